/**
 * Attribution: evidence strongest first (config, launch, token_kind, jwt), the type of the strongest,
 * `conflict` whenever human and automation evidence meet, and no evidence from a JWT that is not clearly
 * a person's or a workload's.
 */
import { describe, expect, it } from 'vitest';
import { attribute, credentialEvidence, jwtSubjectType, type AttributionInput, type Evidence } from '../../../src/tokens/attribution.js';
import type { JwtFacts } from '../../../src/tokens/jwt-claims.js';

const facts = (overrides: Partial<JwtFacts>): JwtFacts => ({ sub: null, azp: null, clientId: null, grantType: null, idType: null, authTime: false, ...overrides });
const ghs: Evidence = { source: 'token_kind', type: 'automation', kind: 'github_installation_token' };
const gho: Evidence = { source: 'token_kind', type: 'human', kind: 'github_oauth_token' };
const jwtAuto: Evidence = { source: 'jwt', type: 'automation' };
const jwtHuman: Evidence = { source: 'jwt', type: 'human' };
const input = (overrides: Partial<AttributionInput>): AttributionInput => ({ configured: 'unknown', launchContext: null, credentialEvidence: [], ...overrides });

describe('attribute', () => {
  it.each([
    { name: 'nothing known', input: input({}), expected: { type: 'unknown', evidence: [], conflict: false } },
    { name: 'config only', input: input({ configured: 'human' }), expected: { type: 'human', evidence: [{ source: 'config', type: 'human' }], conflict: false } },
    { name: 'launch ci → automation', input: input({ launchContext: 'ci' }), expected: { type: 'automation', evidence: [{ source: 'launch', type: 'automation' }], conflict: false } },
    { name: 'launch interactive → human', input: input({ launchContext: 'interactive' }), expected: { type: 'human', evidence: [{ source: 'launch', type: 'human' }], conflict: false } },
    { name: 'token kind only', input: input({ credentialEvidence: [[ghs]] }), expected: { type: 'automation', evidence: [ghs], conflict: false } },
    { name: 'jwt only', input: input({ credentialEvidence: [[jwtHuman]] }), expected: { type: 'human', evidence: [jwtHuman], conflict: false } },
    {
      name: 'ordered strongest first whatever the input order',
      input: input({ configured: 'automation', launchContext: 'ci', credentialEvidence: [[jwtAuto], [ghs]] }),
      expected: { type: 'automation', evidence: [{ source: 'config', type: 'automation' }, { source: 'launch', type: 'automation' }, ghs, jwtAuto], conflict: false },
    },
    {
      name: 'config wins, conflict flagged',
      input: input({ configured: 'human', credentialEvidence: [[ghs]] }),
      expected: { type: 'human', evidence: [{ source: 'config', type: 'human' }, ghs], conflict: true },
    },
    {
      name: 'launch beats token kind, conflict flagged',
      input: input({ launchContext: 'interactive', credentialEvidence: [[ghs]] }),
      expected: { type: 'human', evidence: [{ source: 'launch', type: 'human' }, ghs], conflict: true },
    },
    {
      name: 'two credentials that disagree: the first sent wins, conflict flagged',
      input: input({ credentialEvidence: [[gho], [ghs]] }),
      expected: { type: 'human', evidence: [gho, ghs], conflict: true },
    },
    {
      name: 'token kind beats jwt',
      input: input({ credentialEvidence: [[jwtHuman], [ghs]] }),
      expected: { type: 'automation', evidence: [ghs, jwtHuman], conflict: true },
    },
    {
      name: 'identical evidence is listed once',
      input: input({ credentialEvidence: [[ghs], [ghs], [jwtAuto, jwtAuto]] }),
      expected: { type: 'automation', evidence: [ghs, jwtAuto], conflict: false },
    },
  ])('$name', ({ input: given, expected }) => {
    expect(attribute(given)).toEqual(expected);
  });

  it('keeps at most 16 entries, and still flags a conflict beyond them', () => {
    const many = Array.from({ length: 30 }, (_, i): Evidence[] => [{ source: 'token_kind', type: 'automation', kind: `k${i}` }]);
    const result = attribute(input({ credentialEvidence: [...many, [jwtHuman]] }));
    expect(result.evidence).toHaveLength(16);
    expect(result.conflict).toBe(true);
  });
});

describe('credentialEvidence', () => {
  it.each([
    { name: 'unknown holder: none', kind: 'jwt', holder: 'unknown' as const, jwt: null, expected: [] },
    { name: 'ghs_ (automation)', kind: 'github_installation_token', holder: 'automation' as const, jwt: null, expected: [ghs] },
    { name: 'ASIA session key', kind: 'aws_temporary_access_key_id', holder: 'automation' as const, jwt: null, expected: [{ source: 'token_kind', type: 'automation', kind: 'aws_temporary_access_key_id' }] },
    { name: 'xoxp- (human)', kind: 'slack_user_token', holder: 'human' as const, jwt: null, expected: [{ source: 'token_kind', type: 'human', kind: 'slack_user_token' }] },
    { name: 'jwt with a client-credentials subject', kind: 'jwt', holder: 'unknown' as const, jwt: facts({ sub: 'c1', azp: 'c1' }), expected: [jwtAuto] },
    { name: 'jwt with a subject that says nothing', kind: 'jwt', holder: 'unknown' as const, jwt: facts({ sub: '12345' }), expected: [] },
    { name: 'both (a JWT-form token the catalogue knows)', kind: 'github_installation_token', holder: 'automation' as const, jwt: facts({ grantType: 'client-credentials' }), expected: [ghs, jwtAuto] },
  ])('$name', ({ kind, holder, jwt, expected }) => {
    expect(credentialEvidence(kind, holder, jwt)).toEqual(expected);
  });
});

describe('jwtSubjectType', () => {
  it.each([
    { name: 'sub = azp', facts: facts({ sub: 'svc-client', azp: 'svc-client' }), expected: 'automation' },
    { name: 'sub = client_id', facts: facts({ sub: 'abc', clientId: 'abc' }), expected: 'automation' },
    { name: 'gty client-credentials (Auth0)', facts: facts({ sub: 'x', grantType: 'client-credentials' }), expected: 'automation' },
    { name: 'gty client_credentials', facts: facts({ grantType: 'client_credentials' }), expected: 'automation' },
    { name: 'Azure idtyp app', facts: facts({ sub: 'oid', idType: 'app' }), expected: 'automation' },
    { name: 'Auth0 M2M subject', facts: facts({ sub: 'AbCd@clients' }), expected: 'automation' },
    { name: 'Kubernetes service account', facts: facts({ sub: 'system:serviceaccount:ns:builder' }), expected: 'automation' },
    { name: 'Google service account', facts: facts({ sub: 'deploy@proj.iam.gserviceaccount.com' }), expected: 'automation' },
    { name: 'GitHub Actions OIDC', facts: facts({ sub: 'repo:octo/app:ref:refs/heads/main' }), expected: 'automation' },
    { name: 'GitLab CI OIDC', facts: facts({ sub: 'project_path:group/app:ref_type:branch:ref:main' }), expected: 'automation' },
    { name: 'workload signs win over an auth_time', facts: facts({ sub: 'c', azp: 'c', authTime: true }), expected: 'automation' },
    { name: 'Azure idtyp user', facts: facts({ sub: 'oid', idType: 'user' }), expected: 'human' },
    { name: 'password grant', facts: facts({ sub: 'u', grantType: 'password' }), expected: 'human' },
    { name: 'end-user auth_time', facts: facts({ sub: 'u', azp: 'app', authTime: true }), expected: 'human' },
    { name: 'Auth0 person login', facts: facts({ sub: 'google-oauth2|1234' }), expected: 'human' },
    { name: 'opaque subject: no evidence', facts: facts({ sub: '248289761001', azp: 'web-app' }), expected: null },
    { name: 'an email subject alone: no evidence', facts: facts({ sub: 'alice@example.com' }), expected: null },
    { name: 'empty sub equal to empty azp: no evidence', facts: facts({ sub: '', azp: '' }), expected: null },
    { name: 'nothing at all', facts: facts({}), expected: null },
  ])('$name → $expected', ({ facts: given, expected }) => {
    expect(jwtSubjectType(given)).toBe(expected);
  });
});
