/**
 * The native audit event: an allowlisted shape (the key list of every level written out here), the final
 * decision, the redacted query, and no header value from the request whatever the request carried.
 */
import { describe, expect, it } from 'vitest';
import { buildAuditEvent } from '../../../src/audit/event.js';
import type { Destination, Identity, RequestContext } from '../../../src/pipeline/context.js';
import { buildOutcome, runPipeline } from '../../../src/pipeline/run.js';
import type { Runtime } from '../../../src/pipeline/runtime.js';
import { NEXT, refuse, type Stage } from '../../../src/pipeline/stage.js';
import { detectCredentials, type CredentialSeen } from '../../../src/tokens/credential-detect.js';
import type { HeaderBag } from '../../../src/tokens/credentials.js';
import { createFingerprinter } from '../../../src/tokens/fingerprint.js';
import type { Decision } from '../../../src/policy/types.js';
import { allowDecision, httpsTarget, requestContext, START_NS, toolIdentity } from '../../helpers/context-factory.js';

const TOP_KEYS = ['schema', 'event_id', 'time', 'kind', 'tool', 'actor', 'client', 'tunnel_id', 'request', 'decision', 'result', 'response', 'destination', 'credentials', 'scrub', 'duration_ms', 'error'];
const ACTOR_KEYS = ['principal', 'type', 'source', 'evidence', 'conflict'];
const CLIENT_KEYS = ['address', 'port'];
const REQUEST_KEYS = ['method', 'scheme', 'host', 'port', 'path', 'query', 'bytes'];
const DECISION_KEYS = ['action', 'mode', 'rule_id', 'reason', 'policy_reason'];
const RESPONSE_KEYS = ['status', 'bytes'];
const DESTINATION_KEYS = ['address', 'port', 'via'];
const CREDENTIAL_KEYS = ['source', 'scheme', 'fingerprint', 'hint', 'kind'];
const DURATION_KEYS = ['total', 'upstream'];
const ERROR_KEYS = ['reason', 'detail'];

const fingerprint = createFingerprinter(Buffer.alloc(32, 3));
// No scanner here (kinds fall back to the generic ones): the event's shape is under test, not detection.
const credentialsIn = (headers: HeaderBag): CredentialSeen[] =>
  detectCredentials({ headers, query: '' }, { scan: () => [], fingerprint, now: new Date(0) });

/** A request that went all the way: every lifecycle part filled in. */
function forwardedContext(): RequestContext {
  const ctx = requestContext({ headers: [['Authorization', 'Bearer ghp_0123456789abcdefghijklmnopqrstuvwxyz']] });
  ctx.identity = toolIdentity();
  ctx.target = httpsTarget({ query: 'page=2' });
  ctx.decision = allowDecision();
  ctx.destination = { address: '203.0.113.7', port: 443, via: 'dns' };
  ctx.credentials = credentialsIn(ctx.req.headers);
  ctx.requestBytes = 12;
  ctx.response = { status: 200, bytes: 345 };
  ctx.timings.upstreamStartNs = START_NS + 1_000_000n;
  ctx.timings.endNs = START_NS + 5_000_000n;
  return ctx;
}

const eventOf = (ctx: RequestContext) => buildAuditEvent(buildOutcome(ctx));

describe('buildAuditEvent: shape', () => {
  it('a forwarded request has exactly the allowlisted keys at every level', () => {
    const event = eventOf(forwardedContext());
    expect(Object.keys(event)).toEqual(TOP_KEYS);
    expect(Object.keys(event.actor)).toEqual(ACTOR_KEYS);
    expect(Object.keys(event.client)).toEqual(CLIENT_KEYS);
    expect(Object.keys(event.request)).toEqual(REQUEST_KEYS);
    expect(Object.keys(event.decision)).toEqual(DECISION_KEYS);
    expect(Object.keys(event.response)).toEqual(RESPONSE_KEYS);
    expect(Object.keys(event.destination!)).toEqual(DESTINATION_KEYS);
    expect(event.credentials).toHaveLength(1);
    expect(Object.keys(event.credentials[0]!)).toEqual(CREDENTIAL_KEYS);
    expect(Object.keys(event.duration_ms)).toEqual(DURATION_KEYS);
    expect(event.error).toBeNull();
  });

  it('a request refused before anything was known has the same top-level keys', () => {
    const ctx = requestContext({ method: '' });
    ctx.refusal = { reason: 'proxy_auth_missing' };
    const event = eventOf(ctx);
    expect(Object.keys(event)).toEqual(TOP_KEYS);
    expect(Object.keys(event.error!)).toEqual(ERROR_KEYS);
    expect(event).toMatchObject({
      tool: null,
      actor: { principal: 'unknown', type: 'unknown', source: 'none', evidence: [], conflict: false },
      request: { method: 'UNKNOWN', scheme: null, host: null, port: null, path: null, query: null, bytes: 0 },
      response: { status: null, bytes: 0 },
      destination: null,
      credentials: [],
      error: { reason: 'proxy_auth_missing', detail: null },
    });
  });

  it('copies field by field: extra properties on context parts never reach the event', () => {
    const ctx = forwardedContext();
    const actor = { principal: 'p', type: 'human' as const, source: 'config' as const, secret: 'actor-extra' };
    const identity: Identity = { tool: 'reader', actor };
    const destination: Destination = Object.assign({ address: '203.0.113.7', port: 443, via: 'dns' as const }, { addresses: ['resolver-extra'] });
    const credential: CredentialSeen = Object.assign({ ...ctx.credentials[0]! }, { token: 'credential-extra' });
    Object.assign(ctx, { identity, destination, credentials: [credential] });
    Object.assign(ctx.client, { headers: 'client-extra' });
    const event = eventOf(ctx);
    expect(Object.keys(event.actor)).toEqual(ACTOR_KEYS);
    expect(Object.keys(event.client)).toEqual(CLIENT_KEYS);
    expect(Object.keys(event.destination!)).toEqual(DESTINATION_KEYS);
    expect(Object.keys(event.credentials[0]!)).toEqual(CREDENTIAL_KEYS);
    expect(JSON.stringify(event)).not.toMatch(/-extra/);
  });

  it('fills the fields from the context', () => {
    const event = eventOf(forwardedContext());
    expect(event).toMatchObject({
      schema: 'mcp-egress.audit/1',
      event_id: 'req-0001',
      time: '2025-03-04T05:06:07.089Z',
      kind: 'request',
      tool: 'reader',
      actor: { principal: 'reader@example.test', type: 'automation', source: 'config', evidence: [{ source: 'config', type: 'automation' }], conflict: false },
      client: { address: '127.0.0.1', port: 50_123 },
      tunnel_id: null,
      request: { method: 'GET', scheme: 'https', host: 'api.example.test', port: 443, path: '/v1/items', query: 'page=2', bytes: 12 },
      result: 'forwarded',
      response: { status: 200, bytes: 345 },
      destination: { address: '203.0.113.7', port: 443, via: 'dns' },
      duration_ms: { total: 5, upstream: 4 },
    });
  });

  it('a CONNECT has no path', () => {
    const ctx = requestContext({ kind: 'connect', method: 'CONNECT', url: 'api.example.test:443' });
    ctx.target = httpsTarget();
    expect(eventOf(ctx).request.path).toBeNull();
  });

  it.each([
    { query: '', expected: null },
    { query: 'a=1&access_token=ghp_zzz&api%5Fkey=k2', expected: 'a=1&access_token=[REDACTED]&api%5Fkey=[REDACTED]' },
  ])('records the query $query redacted as $expected', ({ query, expected }) => {
    const ctx = forwardedContext();
    ctx.target = httpsTarget({ query });
    expect(eventOf(ctx).request.query).toBe(expected);
  });
});

describe('buildAuditEvent: decision', () => {
  const deny = (reason: Decision['reason']): Decision => ({ action: 'deny', mode: 'enforce', reason, ruleId: null });
  const report = (reason: Decision['reason']): Decision => ({ action: 'would_deny', mode: 'report', reason, ruleId: null });

  it.each([
    { name: 'policy deny', decision: deny('no_rule_for_host'), refusal: 'no_rule_for_host' as const, upstream: false, expected: { action: 'deny', mode: 'enforce', rule_id: null, reason: 'no_rule_for_host', policy_reason: 'no_rule_for_host' } },
    { name: 'refused at identify, no decision yet', decision: undefined, refusal: 'proxy_auth_invalid' as const, upstream: false, expected: { action: 'deny', mode: null, rule_id: null, reason: 'proxy_auth_invalid', policy_reason: null } },
    { name: 'allowed, then refused by the SSRF guard', decision: allowDecision(), refusal: 'ssrf_private' as const, upstream: false, expected: { action: 'deny', mode: 'enforce', rule_id: 'reader#0', reason: 'ssrf_private', policy_reason: 'rule_matched' } },
    { name: 'report mode, refused for audit_unavailable', decision: report('path_not_allowed'), refusal: 'audit_unavailable' as const, upstream: false, expected: { action: 'deny', mode: 'report', rule_id: null, reason: 'audit_unavailable', policy_reason: 'path_not_allowed' } },
    { name: 'report mode, forwarded: would_deny kept', decision: report('no_rule_for_host'), refusal: undefined, upstream: true, expected: { action: 'would_deny', mode: 'report', rule_id: null, reason: 'no_rule_for_host', policy_reason: 'no_rule_for_host' } },
    { name: 'allowed and forwarded', decision: allowDecision(), refusal: undefined, upstream: true, expected: { action: 'allow', mode: 'enforce', rule_id: 'reader#0', reason: 'rule_matched', policy_reason: 'rule_matched' } },
    { name: 'allowed, failed upstream: the policy verdict, error beside it', decision: allowDecision(), refusal: 'upstream_reset' as const, upstream: true, expected: { action: 'allow', mode: 'enforce', rule_id: 'reader#0', reason: 'rule_matched', policy_reason: 'rule_matched' } },
  ])('$name', ({ decision, refusal, upstream, expected }) => {
    const ctx = requestContext();
    if (decision) ctx.decision = decision;
    if (refusal) ctx.refusal = { reason: refusal };
    if (upstream) ctx.timings.upstreamStartNs = START_NS;
    const event = eventOf(ctx);
    expect(event.decision).toEqual(expected);
    expect(event.error).toEqual(refusal ? { reason: refusal, detail: null } : null);
  });
});

describe('buildAuditEvent: no header value from the request', () => {
  const SECRETS = {
    authorization: 'ghp_AuthSecretValue0123456789abcdefXYZW',
    cookie: 'CookieSecretValue-5c7e1a',
    proxyPassword: 'ProxyPasswordSecret-9f2b',
    apiKey: 'sk-ant-api03-ApiKeySecretValue-0123456789',
    query: 'QuerySecretValue-77aa',
  };
  const proxyAuthorization = `Basic ${Buffer.from(`reader:${SECRETS.proxyPassword}`).toString('base64')}`;

  const filling = (name: string, fill: (ctx: RequestContext) => void): Stage => ({
    name,
    run: (ctx) => {
      fill(ctx);
      return NEXT;
    },
  });
  // Stages that fill the context as the real ones do, from a request carrying every kind of secret.
  const stages: readonly Stage[] = [
    filling('identify', (ctx) => (ctx.identity = toolIdentity())),
    filling('target', (ctx) => (ctx.target = httpsTarget({ query: `x=1&token=${SECRETS.query}`, requestTarget: `/v1/items?x=1&token=${SECRETS.query}` }))),
    filling('policy', (ctx) => (ctx.decision = allowDecision())),
    filling('credentials', (ctx) => (ctx.credentials = credentialsIn(ctx.req.headers))),
  ];

  it.each([
    { name: 'forwarded', last: { name: 'forward', run: () => NEXT } satisfies Stage },
    { name: 'refused', last: { name: 'forward', run: () => refuse('upstream_connect_failed') } satisfies Stage },
  ])('$name', async ({ last }) => {
    const ctx = requestContext({
      url: `http://api.example.test/v1/items?x=1&token=${SECRETS.query}`,
      headers: [
        ['Host', 'api.example.test'],
        ['Authorization', `Bearer ${SECRETS.authorization}`],
        ['Cookie', `session=${SECRETS.cookie}`],
        ['Proxy-Authorization', proxyAuthorization],
        ['X-Api-Key', SECRETS.apiKey],
      ],
    });
    const events: ReturnType<typeof buildAuditEvent>[] = [];
    await runPipeline(ctx, {
      stages: [...stages, last],
      runtime: Object.freeze({}) as unknown as Runtime,
      writeRefusal: () => undefined,
      observe: (outcome) => void events.push(buildAuditEvent(outcome)),
      now: () => START_NS + 2_000_000n,
    });
    expect(events).toHaveLength(1);
    const text = JSON.stringify(events[0]);
    for (const secret of [...Object.values(SECRETS), proxyAuthorization.slice('Basic '.length)]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(secret.slice(4, -4));
    }
    expect(events[0]!.credentials.map((c) => c.source)).toEqual(['authorization', 'x-api-key']);
  });
});

describe('buildAuditEvent: token intelligence', () => {
  const jwtCredential = (claims: CredentialSeen['jwt'], evidence: CredentialSeen['evidence']): CredentialSeen => ({
    source: 'authorization', scheme: 'bearer', kind: 'jwt', fingerprint: 'hmac-sha256:00', hint: null, evidence, ...(claims ? { jwt: claims } : {}),
  });

  it('a JWT credential carries kind and jwt claims, nothing else', () => {
    const ctx = forwardedContext();
    const claims = Object.assign({ sub: 's', exp: 10, expired: true }, { signature: 'jwt-extra' });
    const evidence = [Object.assign({ source: 'jwt' as const, type: 'automation' as const }, { raw: 'evidence-extra' })];
    ctx.credentials = [Object.assign(jwtCredential(claims, evidence), { value: 'credential-extra' })];
    const event = eventOf(ctx);
    expect(Object.keys(event.credentials[0]!)).toEqual([...CREDENTIAL_KEYS, 'jwt']);
    expect(event.credentials[0]!.jwt).toEqual({ sub: 's', exp: 10, expired: true });
    expect(event.actor.evidence).toEqual([{ source: 'config', type: 'automation' }, { source: 'jwt', type: 'automation' }]);
    expect(JSON.stringify(event)).not.toMatch(/-extra/);
  });

  it.each([
    {
      name: 'configured unknown, launched in CI, a human token: type from the launch, conflict',
      identity: { tool: 'reader', actor: { principal: 'p', type: 'unknown' as const, source: 'config' as const }, launch: { context: 'ci' as const, user: 'runner', ci: 'github_actions' } },
      evidence: [{ source: 'token_kind' as const, type: 'human' as const, kind: 'github_oauth_token' }],
      expected: {
        keys: ['principal', 'type', 'source', 'launch', 'evidence', 'conflict'],
        type: 'automation',
        evidence: [{ source: 'launch', type: 'automation' }, { source: 'token_kind', type: 'human', kind: 'github_oauth_token' }],
        conflict: true,
      },
    },
    {
      name: 'configured unknown, no launch, an installation token: automation from the token kind',
      identity: { tool: 'reader', actor: { principal: 'p', type: 'unknown' as const, source: 'config' as const } },
      evidence: [{ source: 'token_kind' as const, type: 'automation' as const, kind: 'github_installation_token' }],
      expected: { keys: ACTOR_KEYS, type: 'automation', evidence: [{ source: 'token_kind', type: 'automation', kind: 'github_installation_token' }], conflict: false },
    },
    {
      name: 'nothing but an unknown configuration: unknown, no evidence',
      identity: { tool: 'reader', actor: { principal: 'p', type: 'unknown' as const, source: 'config' as const } },
      evidence: [],
      expected: { keys: ACTOR_KEYS, type: 'unknown', evidence: [], conflict: false },
    },
  ])('$name', ({ identity, evidence, expected }) => {
    const ctx = forwardedContext();
    ctx.identity = identity as Identity;
    ctx.credentials = [jwtCredential(undefined, evidence)];
    const { actor } = eventOf(ctx);
    expect(Object.keys(actor)).toEqual(expected.keys);
    expect({ type: actor.type, evidence: actor.evidence, conflict: actor.conflict }).toEqual({ type: expected.type, evidence: expected.evidence, conflict: expected.conflict });
  });
});
