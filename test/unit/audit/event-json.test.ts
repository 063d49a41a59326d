/**
 * The native event's hand-written JSON text is JSON.stringify's, byte for byte: over every lifecycle shape
 * the builder makes (forwarded, refused, CONNECT, launch attestation, JWT claims, scrub findings, error
 * detail), over generated values (any UTF-16, lone surrogates and control characters included, any number),
 * and, for a field holding something the types rule out, by falling back to JSON.stringify itself.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { auditEventJson } from '../../../src/audit/event-json.js';
import { buildAuditEvent, type AuditEvent } from '../../../src/audit/event.js';
import type { RequestContext } from '../../../src/pipeline/context.js';
import { buildOutcome } from '../../../src/pipeline/run.js';
import type { CredentialSeen } from '../../../src/tokens/credential-detect.js';
import { allowDecision, httpsTarget, requestContext, START_NS, toolIdentity } from '../../helpers/context-factory.js';

const bearer = (fingerprint: string, hint: string | null, extra: Partial<CredentialSeen> = {}): CredentialSeen => ({
  source: 'authorization',
  scheme: 'bearer',
  kind: 'generic_bearer',
  fingerprint,
  hint,
  evidence: [],
  ...extra,
});

function forwarded(): RequestContext {
  const ctx = requestContext();
  ctx.identity = toolIdentity();
  ctx.target = httpsTarget({ query: 'page=2&access_token=abc' });
  ctx.decision = allowDecision();
  ctx.destination = { address: '203.0.113.7', port: 443, via: 'dns' };
  ctx.credentials = [bearer('hmac-sha256:00ff', '…a1b2')];
  ctx.scrub = { requestBody: 'none', responseBody: 'scanned', findings: [] };
  ctx.response = { status: 200, bytes: 345 };
  ctx.timings.upstreamStartNs = START_NS + 1_000_000n;
  ctx.timings.endNs = START_NS + 5_000_000n;
  return ctx;
}

const SHAPES: readonly [string, () => RequestContext][] = [
  ['a forwarded request', forwarded],
  ['a request refused before anything was known', () => {
    const ctx = requestContext({ method: '' });
    ctx.refusal = { reason: 'proxy_auth_missing' };
    return ctx;
  }],
  ['a CONNECT', () => {
    const ctx = requestContext({ kind: 'connect', method: 'CONNECT', url: 'api.example.test:443' });
    ctx.target = httpsTarget();
    return ctx;
  }],
  ['a launch attestation and evidence of every kind', () => {
    const ctx = forwarded();
    ctx.identity = { ...toolIdentity(), launch: { context: 'ci', user: null, ci: 'github-actions' } } as NonNullable<RequestContext['identity']>;
    ctx.credentials = [
      bearer('hmac-sha256:01', null, { kind: 'github_pat', evidence: [{ source: 'token_kind', type: 'human', kind: 'github_pat' }] }),
      bearer('hmac-sha256:02', 'ey…zzzz', { kind: 'jwt', jwt: { iss: 'https://issuer.example', aud: ['a', 'b'], exp: 1.5, expired: true }, evidence: [{ source: 'jwt', type: 'automation' }] }),
    ];
    return ctx;
  }],
  ['scrub findings and a failed upstream with detail', () => {
    const ctx = forwarded();
    ctx.scrub = {
      requestBody: 'scanned',
      responseBody: 'too_large',
      findings: [{ action: 'redacted', kind: 'github_pat', ruleId: 'github-pat', location: 'request.header.x-"quoted"', count: 3 }],
    };
    ctx.refusal = { reason: 'upstream_reset', detail: 'read ECONNRESET\n\t"peer" \\ closed \u0000 \ud800 ☃' };
    return ctx;
  }],
];

const eventOf = (ctx: RequestContext): AuditEvent => buildAuditEvent(buildOutcome(ctx));

describe('auditEventJson', () => {
  it.each(SHAPES)('%s: the same text as JSON.stringify', (_name, make) => {
    const event = eventOf(make());
    expect(auditEventJson(event)).toBe(JSON.stringify(event));
  });

  it('generated values anywhere a request can put text or numbers: the same text as JSON.stringify', () => {
    const anyText = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)), maxLength: 24 });
    const anyNumber = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(Number.NaN, Infinity, -0, 1e21, 5e-7));
    const fields = fc.record({ text: fc.array(anyText, { minLength: 12, maxLength: 12 }), numbers: fc.array(anyNumber, { minLength: 4, maxLength: 4 }) });
    fc.assert(
      fc.property(fields, ({ text, numbers }) => {
        const t = (i: number) => text[i]!;
        const ctx = forwarded();
        Object.assign(ctx, { requestId: t(0), method: t(1) });
        ctx.identity = { tool: t(2), actor: { principal: t(3), type: 'human', source: 'config' } };
        ctx.target = httpsTarget({ host: t(4), path: t(5), query: t(6), port: numbers[0]! });
        ctx.decision = allowDecision({ ruleId: t(7) });
        ctx.credentials = [bearer(t(8), t(9))];
        ctx.refusal = { reason: 'upstream_reset', detail: t(10) };
        ctx.response = { status: numbers[1]!, bytes: numbers[2]! };
        Object.assign(ctx, { client: { address: t(11), port: numbers[3]! } });
        const event = eventOf(ctx);
        expect(auditEventJson(event)).toBe(JSON.stringify(event));
      }),
      { numRuns: 300 },
    );
  });

  it('the same event twice (remembered quoted values): the same text both times', () => {
    const event = eventOf(forwarded());
    expect([auditEventJson(event), auditEventJson(event)]).toEqual([JSON.stringify(event), JSON.stringify(event)]);
  });

  it.each([
    ['undefined where a string belongs', { tool: undefined }],
    ['an object where a string belongs', { event_id: { toJSON: () => 'custom' } }],
    ['a number where a string belongs', { kind: 7 }],
    ['undefined inside a nested part', { client: { address: '127.0.0.1', port: undefined } }],
  ])('a field holding %s: still exactly JSON.stringify', (_name, patch) => {
    const event = { ...eventOf(forwarded()), ...patch } as unknown as AuditEvent;
    expect(auditEventJson(event)).toBe(JSON.stringify(event));
  });
});
