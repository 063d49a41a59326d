/**
 * No header value or secret reaches an OCSF or ECS document: the mappers start from the built audit
 * event (redacted query, fingerprints and hints only) and copy named fields, so even an event object
 * wider than its type (a header bag or raw token stuck on by mistake) loses the extra fields.
 */
import { describe, expect, it } from 'vitest';
import { buildAuditEvent, type AuditEvent } from '../../../../src/audit/event.js';
import { formatRecord, type ForeignFormat } from '../../../../src/audit/formats/index.js';
import { buildOutcome } from '../../../../src/pipeline/run.js';
import { detectCredentials } from '../../../../src/tokens/credential-detect.js';
import { createFingerprinter } from '../../../../src/tokens/fingerprint.js';
import { allowDecision, httpsTarget, requestContext, START_NS, toolIdentity } from '../../../helpers/context-factory.js';
import { CHAIN, CONTEXT } from './records.js';

const BEARER = 'ghp_0123456789abcdefghijklmnopqrstuvwxyz';
const QUERY_TOKEN = 'ghp_zyxwvutsrqponmlkjihgfedcba9876543210';
const COOKIE = 'session=s3cr3t-cookie-value-0123456789';
const SECRETS = [BEARER, QUERY_TOKEN, 's3cr3t-cookie-value', 'Bearer ', 'Proxy-Authorization', 'cHJveHk6c2VjcmV0'];

const fingerprint = createFingerprinter(Buffer.alloc(32, 7));

/** A forwarded request carrying a token in the Authorization header, in the query, a cookie and proxy credentials. */
function eventWithSecrets(): AuditEvent {
  const headers: [string, string][] = [['Authorization', `Bearer ${BEARER}`], ['Cookie', COOKIE], ['Proxy-Authorization', 'Basic cHJveHk6c2VjcmV0']];
  const ctx = requestContext({ headers, url: `https://api.example.test/v1/items?page=2&access_token=${QUERY_TOKEN}` });
  ctx.identity = toolIdentity();
  ctx.target = httpsTarget({ query: `page=2&access_token=${QUERY_TOKEN}` });
  ctx.decision = allowDecision();
  ctx.destination = { address: '203.0.113.7', port: 443, via: 'dns' };
  ctx.credentials = detectCredentials({ headers: ctx.req.headers, query: ctx.target.query }, { scan: () => [], fingerprint, now: new Date(0) });
  ctx.response = { status: 200, bytes: 10 };
  ctx.timings.upstreamStartNs = START_NS + 1_000_000n;
  ctx.timings.endNs = START_NS + 2_000_000n;
  return buildAuditEvent(buildOutcome(ctx));
}

/** The same event with secret-bearing fields stuck on at every level, as a careless caller might. */
function widened(event: AuditEvent): AuditEvent {
  const extra = { headers: { authorization: `Bearer ${BEARER}` }, raw: QUERY_TOKEN };
  return {
    ...event,
    ...extra,
    actor: { ...event.actor, ...extra, evidence: event.actor.evidence.map((entry) => ({ ...entry, ...extra })) },
    request: { ...event.request, ...extra },
    decision: { ...event.decision, ...extra },
    credentials: event.credentials.map((credential) => ({ ...credential, ...extra, value: BEARER })),
  } as AuditEvent;
}

const FORMATS: readonly ForeignFormat[] = ['ocsf', 'ecs'];

describe('foreign formats: no header value or secret', () => {
  const event = eventWithSecrets();

  it('the built event holds the redacted query and fingerprints, never the values', () => {
    expect(event.request.query).toBe('page=2&access_token=[REDACTED]');
    expect(event.credentials.length).toBeGreaterThan(0);
    for (const secret of SECRETS) expect(JSON.stringify(event)).not.toContain(secret);
  });

  it.each(FORMATS.flatMap((format) => [
    { format, name: 'built event', input: event },
    { format, name: 'event widened with secret fields', input: widened(event) },
  ]))('$format, $name: no secret in the document', ({ format, input }) => {
    const line = JSON.stringify(formatRecord(format, { kind: 'request', event: input }, CHAIN, CONTEXT));
    for (const secret of SECRETS) expect(line).not.toContain(secret);
    expect(line).toContain('[REDACTED]');
    expect(line).toContain(event.credentials[0]!.fingerprint);
  });
});
