/**
 * detectCredentials with the real patterns catalogue: every source (Authorization, API-key headers,
 * credential query parameters, any other header the scanner recognises a token in), the kind (the
 * scanner's when it recognises the whole value, else generic by source), the keyed fingerprint and hint,
 * JWT claims against a fixed clock, the evidence each credential carries — and never a token value.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createScanner, loadCatalogue, type Scanner } from '../../../src/scanning/index.js';
import { detectCredentials, type CredentialSeen, type OutgoingCredentials } from '../../../src/tokens/credential-detect.js';
import { createFingerprinter } from '../../../src/tokens/fingerprint.js';

const fingerprint = createFingerprinter(Buffer.alloc(32, 9));
const NOW = new Date('2026-01-01T00:00:00Z');
const NOW_S = NOW.getTime() / 1000;
const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
const jwtOf = (payload: unknown): string => `${b64url({ alg: 'RS256', typ: 'JWT' })}.${b64url(payload)}.U2lnbmF0dXJlUGFydE9mVGhlVG9rZW4`;

const GHS = 'ghs_16C7e42F292c6912E7710c838347Ae178B4a';
const GHP = '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';
const GHO = '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';
const ASIA = 'ASIA3ASJSQRRRRTXAT73';
const XOXB = 'xoxb-434045456173-9969877853169-YyVc1pFRS8A2GY4bIjBkadI9';
const XOXP = 'xoxp-48950680748-952055929647-581917675605-d6ba93e3c411a056d753e37876d6dd9f';
const OPAQUE = 'OpaqueSecretValue0123456789wxyz';
const M2M_JWT = jwtOf({ iss: 'https://idp.example', sub: 'svc-client', azp: 'svc-client', aud: 'api', exp: NOW_S + 600, iat: NOW_S - 60, scope: 'repo:read' });
const EXPIRED_JWT = jwtOf({ sub: 'google-oauth2|1234', exp: NOW_S - 1 });
const SECRETS = [GHS, GHP, GHO, ASIA, XOXB, XOXP, OPAQUE, M2M_JWT, EXPIRED_JWT];

let scanner: Scanner;
beforeAll(() => {
  scanner = createScanner(loadCatalogue());
});

const detect = (headers: OutgoingCredentials['headers'], query = ''): CredentialSeen[] =>
  detectCredentials({ headers, query }, { scan: (input) => scanner.scan(input), fingerprint, now: NOW });

interface Expected {
  readonly source: string;
  readonly scheme?: string | null;
  readonly kind: string;
  readonly token: string;
  readonly evidence?: readonly unknown[];
}

const automation = (kind: string) => [{ source: 'token_kind', type: 'automation', kind }];
const human = (kind: string) => [{ source: 'token_kind', type: 'human', kind }];

const CASES: readonly { name: string; headers: OutgoingCredentials['headers']; query?: string; expected: readonly Expected[] }[] = [
  { name: 'Bearer ghs_ (installation token)', headers: { authorization: `Bearer ${GHS}` }, expected: [{ source: 'authorization', scheme: 'bearer', kind: 'github_installation_token', token: GHS, evidence: automation('github_installation_token') }] },
  { name: 'token ghp_', headers: { authorization: `token ${GHP}` }, expected: [{ source: 'authorization', scheme: 'token', kind: 'github_classic_pat', token: GHP, evidence: human('github_classic_pat') }] },
  { name: 'Basic: the password part is recognised', headers: { authorization: `Basic ${b64(`x-access-token:${GHO}`)}` }, expected: [{ source: 'authorization', scheme: 'basic', kind: 'github_oauth_token', token: GHO, evidence: human('github_oauth_token') }] },
  { name: 'Basic with a plain password', headers: { authorization: `Basic ${b64(`me:${OPAQUE}`)}` }, expected: [{ source: 'authorization', scheme: 'basic', kind: 'basic_password', token: OPAQUE, evidence: [] }] },
  { name: 'opaque Bearer', headers: { authorization: `Bearer ${OPAQUE}` }, expected: [{ source: 'authorization', scheme: 'bearer', kind: 'generic_bearer', token: OPAQUE, evidence: [] }] },
  { name: 'ApiKey scheme', headers: { authorization: `ApiKey ${OPAQUE}` }, expected: [{ source: 'authorization', scheme: 'apikey', kind: 'generic_api_key', token: OPAQUE }] },
  { name: 'Slack bot token', headers: { authorization: `Bearer ${XOXB}` }, expected: [{ source: 'authorization', kind: 'slack_bot_token', token: XOXB, evidence: automation('slack_bot_token') }] },
  { name: 'Slack user token', headers: { authorization: `Bearer ${XOXP}` }, expected: [{ source: 'authorization', kind: 'slack_user_token', token: XOXP, evidence: human('slack_user_token') }] },
  {
    name: 'AWS SigV4 with an ASIA session key',
    headers: { authorization: `AWS4-HMAC-SHA256 Credential=${ASIA}/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00ff` },
    expected: [{ source: 'authorization', scheme: 'aws4-hmac-sha256', kind: 'aws_temporary_access_key_id', token: ASIA, evidence: automation('aws_temporary_access_key_id') }],
  },
  { name: 'X-Api-Key opaque', headers: { 'x-api-key': OPAQUE }, expected: [{ source: 'x-api-key', scheme: null, kind: 'generic_api_key', token: OPAQUE }] },
  { name: 'PRIVATE-TOKEN with a GitHub token', headers: { 'private-token': GHP }, expected: [{ source: 'private-token', kind: 'github_classic_pat', token: GHP }] },
  { name: 'X-Goog-Api-Key and Ocp-Apim-Subscription-Key', headers: { 'x-goog-api-key': OPAQUE, 'ocp-apim-subscription-key': GHS }, expected: [{ source: 'x-goog-api-key', kind: 'generic_api_key', token: OPAQUE }, { source: 'ocp-apim-subscription-key', kind: 'github_installation_token', token: GHS }] },
  { name: 'query access_token', headers: {}, query: `a=1&access_token=${GHS}`, expected: [{ source: 'query', scheme: null, kind: 'github_installation_token', token: GHS }] },
  { name: 'query key and token, generic kinds', headers: {}, query: `key=${OPAQUE}&token=${OPAQUE}x`, expected: [{ source: 'query', kind: 'generic_api_key', token: OPAQUE }, { source: 'query', kind: 'generic_bearer', token: `${OPAQUE}x` }] },
  { name: 'query value percent-encoded', headers: {}, query: `api_key=${encodeURIComponent(XOXB)}`, expected: [{ source: 'query', kind: 'slack_bot_token', token: XOXB }] },
  { name: 'a token in another header: source header', headers: { 'x-custom': `note ${GHP} and ${XOXB}` }, expected: [{ source: 'header', scheme: null, kind: 'github_classic_pat', token: GHP }, { source: 'header', scheme: null, kind: 'slack_bot_token', token: XOXB }] },
  { name: 'other header, every value', headers: { 'x-a': [GHO, 'plain', GHS] }, expected: [{ source: 'header', kind: 'github_oauth_token', token: GHO }, { source: 'header', kind: 'github_installation_token', token: GHS }] },
  { name: 'proxy and hop-by-hop headers are not sent upstream', headers: { 'proxy-authorization': `Bearer ${GHP}`, 'proxy-x': GHS, connection: GHO, host: 'api.example' }, expected: [] },
  { name: 'plain headers: nothing', headers: { accept: 'application/json', 'user-agent': 'curl/8' }, expected: [] },
  {
    name: 'several Authorization lines, in order',
    headers: { authorization: [`Bearer ${GHS}`, `Bearer ${OPAQUE}`, '   '] },
    expected: [{ source: 'authorization', kind: 'github_installation_token', token: GHS }, { source: 'authorization', kind: 'generic_bearer', token: OPAQUE }],
  },
  { name: 'malformed: a token with trailing junk is not taken for the token', headers: { authorization: `Bearer ${GHS} junk` }, expected: [{ source: 'authorization', kind: 'generic_bearer', token: `${GHS} junk` }] },
  { name: 'malformed: scheme only', headers: { authorization: 'Bearer' }, expected: [{ source: 'authorization', scheme: 'none', kind: 'generic_bearer', token: 'Bearer' }] },
  { name: 'malformed: Basic that is not base64', headers: { authorization: 'Basic ***' }, expected: [{ source: 'authorization', scheme: 'basic', kind: 'basic_password', token: '***' }] },
  {
    name: 'sources in a fixed order: Authorization, API-key headers, query, other headers',
    headers: { 'x-note': GHO, 'x-api-key': OPAQUE, authorization: `Bearer ${GHS}` },
    query: `key=${GHP}`,
    expected: [
      { source: 'authorization', kind: 'github_installation_token', token: GHS },
      { source: 'x-api-key', kind: 'generic_api_key', token: OPAQUE },
      { source: 'query', kind: 'github_classic_pat', token: GHP },
      { source: 'header', kind: 'github_oauth_token', token: GHO },
    ],
  },
];

describe('detectCredentials', () => {
  it.each(CASES)('$name', ({ headers, query, expected }) => {
    const seen = detect(headers, query);
    expect(seen.map(({ source, kind, fingerprint: fp }) => ({ source, kind, fingerprint: fp }))).toEqual(
      expected.map(({ source, kind, token }) => ({ source, kind, fingerprint: fingerprint(token) })),
    );
    expected.forEach((entry, at) => {
      if (entry.scheme !== undefined) expect(seen[at]!.scheme).toBe(entry.scheme);
      if (entry.evidence !== undefined) expect(seen[at]!.evidence).toEqual(entry.evidence);
    });
  });

  it.each(CASES)('$name: no token value in the result', ({ headers, query }) => {
    const text = JSON.stringify(detect(headers, query)).toLowerCase();
    for (const secret of SECRETS) {
      expect(text).not.toContain(secret.toLowerCase());
      expect(text).not.toContain(secret.slice(-16, -4).toLowerCase());
    }
  });

  it('hints: the known prefix and the last 4 characters', () => {
    expect(detect({ authorization: `Bearer ${GHS}` })[0]!.hint).toBe(`ghs_…${GHS.slice(-4)}`);
  });
});

describe('detectCredentials: JWTs', () => {
  it('a client-credentials JWT: kind jwt, its claims, automation evidence', () => {
    const [seen] = detect({ authorization: `Bearer ${M2M_JWT}` });
    expect(seen).toMatchObject({ source: 'authorization', kind: 'jwt', fingerprint: fingerprint(M2M_JWT) });
    expect(seen!.jwt).toEqual({ iss: 'https://idp.example', sub: 'svc-client', aud: 'api', exp: NOW_S + 600, iat: NOW_S - 60, azp: 'svc-client', scope: 'repo:read', expired: false });
    expect(seen!.evidence).toEqual([{ source: 'jwt', type: 'automation' }]);
  });

  it('an expired user JWT (fixed clock): expired true, human evidence', () => {
    const [seen] = detect({ 'x-auth-token': EXPIRED_JWT });
    expect(seen!.jwt).toEqual({ sub: 'google-oauth2|1234', exp: NOW_S - 1, expired: true });
    expect(seen!.evidence).toEqual([{ source: 'jwt', type: 'human' }]);
  });

  it('a JWT in another header is decoded too', () => {
    const [seen] = detect({ 'x-id-token': M2M_JWT });
    expect(seen).toMatchObject({ source: 'header', kind: 'jwt', jwt: { sub: 'svc-client' } });
  });

  it('no jwt field for a token that is not a JWT', () => {
    expect(detect({ authorization: `Bearer ${GHS}` })[0]).not.toHaveProperty('jwt');
  });
});
