/**
 * credentialValuesInHeaders / credentialValuesInQuery: where a tool puts the credential it sends upstream
 * (source, scheme, the value). Hashing, kinds and hints are credential-detect's (credential-detect.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { credentialValuesInHeaders, credentialValuesInQuery, type HeaderBag } from '../../../src/tokens/credentials.js';

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

describe('credentialValuesInHeaders', () => {
  it.each(CASES)('$name', ({ headers, expected }) => {
    expect(credentialValuesInHeaders(headers)).toEqual(expected.map(({ source, scheme, token }) => ({ source, scheme, value: token })));
  });

  const AKID = 'ASIA3ASJSQRRRRTXAT73';
  it.each([
    { name: 'X-Goog-Api-Key', headers: { 'x-goog-api-key': PLAIN }, expected: [{ source: 'x-goog-api-key', scheme: null, value: PLAIN }] },
    { name: 'Ocp-Apim-Subscription-Key', headers: { 'ocp-apim-subscription-key': PLAIN }, expected: [{ source: 'ocp-apim-subscription-key', scheme: null, value: PLAIN }] },
    { name: 'JOB-TOKEN and X-Vault-Token', headers: { 'job-token': SHORT, 'x-vault-token': PLAIN }, expected: [{ source: 'job-token', scheme: null, value: SHORT }, { source: 'x-vault-token', scheme: null, value: PLAIN }] },
    {
      name: 'AWS SigV4: the access key ID, not the per-request signature',
      headers: { authorization: `AWS4-HMAC-SHA256 Credential=${AKID}/20240101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=abc123` },
      expected: [{ source: 'authorization', scheme: 'aws4-hmac-sha256', value: AKID }],
    },
    { name: 'AWS SigV4 without Credential=: the parameters', headers: { authorization: 'AWS4-HMAC-SHA256 Signature=abc' }, expected: [{ source: 'authorization', scheme: 'aws4-hmac-sha256', value: 'Signature=abc' }] },
  ])('$name', ({ headers, expected }) => {
    expect(credentialValuesInHeaders(headers)).toEqual(expected);
  });
});

describe('credentialValuesInQuery', () => {
  it.each([
    { query: '', expected: [] },
    { query: 'page=2&q=ghp', expected: [] },
    { query: `access_token=${GH}`, expected: [{ param: 'access_token', value: GH }] },
    { query: `a=1&API_KEY=${PLAIN}&key=${SHORT}&token=t1&token=t2`, expected: [{ param: 'api_key', value: PLAIN }, { param: 'key', value: SHORT }, { param: 'token', value: 't1' }, { param: 'token', value: 't2' }] },
    { query: 'api%5Fkey=a%2Bb+c', expected: [{ param: 'api_key', value: 'a+b c' }] },
    { query: 'token=&key&access_token=%20', expected: [] },
    { query: 'next_page_token=abc&code=xyz&signature=s', expected: [] },
    { query: 'key=%E0%A4%A', expected: [{ param: 'key', value: '%E0%A4%A' }] },
  ])('$query', ({ query, expected }) => {
    expect(credentialValuesInQuery(query)).toEqual(expected.map(({ param, value }) => ({ source: 'query', scheme: null, value, param })));
  });

  it('keeps at most 32 values', () => {
    const query = Array.from({ length: 100 }, (_, i) => `key=k${i}`).join('&');
    expect(credentialValuesInQuery(query)).toHaveLength(32);
  });
});
