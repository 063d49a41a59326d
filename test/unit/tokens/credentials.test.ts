/**
 * credentialsInHeaders: which credential a tool sends upstream, named by source, scheme, fingerprint and
 * hint, and never by its value.
 */
import { describe, expect, it } from 'vitest';
import { credentialsInHeaders, type HeaderBag } from '../../../src/tokens/credentials.js';
import { createFingerprinter } from '../../../src/tokens/fingerprint.js';

const fingerprint = createFingerprinter(Buffer.alloc(32, 7));
const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

const GH = 'ghp_Secret0123456789abcdefghijKLMNOPQRST';
const ANT = 'sk-ant-api03-Secret0123456789abcdefghijklmnopqrstuv';
const SHORT = 'Tiny9Secret';
const PLAIN = 'NoPrefixSecret0123456789xyzW';

interface Expected {
  readonly source: string;
  readonly scheme: string | null;
  readonly token: string;
  readonly hint: string | null;
}

interface Case {
  readonly name: string;
  readonly headers: HeaderBag;
  readonly expected: readonly Expected[];
}

const auth = (scheme: string | null, token: string, hint: string | null): Expected => ({ source: 'authorization', scheme, token, hint });

const CASES: readonly Case[] = [
  { name: 'Bearer', headers: { authorization: `Bearer ${GH}` }, expected: [auth('bearer', GH, 'ghp_…QRST')] },
  { name: 'bearer in lower case, extra spaces', headers: { authorization: `  bearer   ${GH} ` }, expected: [auth('bearer', GH, 'ghp_…QRST')] },
  { name: 'token (GitHub style)', headers: { authorization: `token ${GH}` }, expected: [auth('token', GH, 'ghp_…QRST')] },
  { name: 'Basic: the password part', headers: { authorization: `Basic ${b64(`x-access-token:${GH}`)}` }, expected: [auth('basic', GH, 'ghp_…QRST')] },
  { name: 'Basic: a password with : and %41 is taken as sent', headers: { authorization: `Basic ${b64(`u:${PLAIN}:%41`)}` }, expected: [auth('basic', `${PLAIN}:%41`, '…:%41')] },
  { name: 'Basic that does not parse: the encoded value', headers: { authorization: 'Basic not*base64*at*all*here' }, expected: [auth('basic', 'not*base64*at*all*here', '…here')] },
  { name: 'no scheme', headers: { authorization: GH }, expected: [auth('none', GH, 'ghp_…QRST')] },
  { name: 'a short token gets no hint', headers: { authorization: `Bearer ${SHORT}` }, expected: [auth('bearer', SHORT, null)] },
  // A malformed value whose first word is the token: that word must not become the recorded scheme.
  { name: 'unknown first word: scheme recorded as other', headers: { authorization: `${ANT} trailing-word` }, expected: [auth('other', 'trailing-word', null)] },
  { name: 'vendor scheme outside the vocabulary', headers: { authorization: `Klaviyo-API-Key ${PLAIN}` }, expected: [auth('other', PLAIN, '…xyzW')] },
  { name: 'empty Authorization', headers: { authorization: '' }, expected: [] },
  { name: 'whitespace-only Authorization', headers: { authorization: '   ' }, expected: [] },
  { name: 'X-Api-Key', headers: { 'x-api-key': ANT }, expected: [{ source: 'x-api-key', scheme: null, token: ANT, hint: 'sk-ant-api03-…stuv' }] },
  { name: 'Api-Key', headers: { 'api-key': PLAIN }, expected: [{ source: 'api-key', scheme: null, token: PLAIN, hint: '…xyzW' }] },
  { name: 'PRIVATE-TOKEN', headers: { 'private-token': ` ${GH} ` }, expected: [{ source: 'private-token', scheme: null, token: GH, hint: 'ghp_…QRST' }] },
  { name: 'X-Auth-Token', headers: { 'x-auth-token': SHORT }, expected: [{ source: 'x-auth-token', scheme: null, token: SHORT, hint: null }] },
  { name: 'empty API key header', headers: { 'x-api-key': ' ' }, expected: [] },
  {
    name: 'Authorization and API keys together, in a fixed order',
    headers: { 'x-auth-token': SHORT, 'x-api-key': ANT, authorization: `Bearer ${GH}` },
    expected: [
      auth('bearer', GH, 'ghp_…QRST'),
      { source: 'x-api-key', scheme: null, token: ANT, hint: 'sk-ant-api03-…stuv' },
      { source: 'x-auth-token', scheme: null, token: SHORT, hint: null },
    ],
  },
  {
    name: 'array-valued headers: every value, in order',
    headers: { authorization: [`Bearer ${GH}`, `token ${ANT}`], 'x-api-key': [PLAIN, ' ', SHORT] },
    expected: [
      auth('bearer', GH, 'ghp_…QRST'),
      auth('token', ANT, 'sk-ant-api03-…stuv'),
      { source: 'x-api-key', scheme: null, token: PLAIN, hint: '…xyzW' },
      { source: 'x-api-key', scheme: null, token: SHORT, hint: null },
    ],
  },
  { name: 'empty array', headers: { authorization: [] }, expected: [] },
  { name: 'unrelated headers only', headers: { cookie: `session=${GH}`, 'proxy-authorization': `Basic ${b64(`r:${ANT}`)}` }, expected: [] },
  { name: 'undefined values', headers: { authorization: undefined, 'x-api-key': undefined }, expected: [] },
];

describe('credentialsInHeaders', () => {
  it.each(CASES)('$name', ({ headers, expected }) => {
    expect(credentialsInHeaders(headers, fingerprint)).toEqual(
      expected.map(({ source, scheme, token, hint }) => ({ source, scheme, fingerprint: fingerprint(token), hint })),
    );
  });

  it.each(CASES)('$name: no token value in the result', ({ headers }) => {
    const text = JSON.stringify(credentialsInHeaders(headers, fingerprint)).toLowerCase();
    for (const secret of [GH, ANT, SHORT, PLAIN]) {
      expect(text).not.toContain(secret.toLowerCase());
      // Nor the secret part without its public prefix.
      expect(text).not.toContain(secret.slice(-16, -4).toLowerCase());
    }
  });

  it('gives each entry exactly the documented fields', () => {
    const [entry] = credentialsInHeaders({ authorization: `Bearer ${GH}` }, fingerprint);
    expect(Object.keys(entry!)).toEqual(['source', 'scheme', 'fingerprint', 'hint']);
  });
});
