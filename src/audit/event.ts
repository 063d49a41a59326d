/**
 * The native audit event, schema `mcp-egress.audit/1`. Built from the Outcome field by field (an
 * allowlist: nothing is copied wholesale from a request, so no header value can slip in). Versioned:
 * fields are only ever added; a rename or removal bumps the schema. README documents every field.
 */
import type { Destination, Identity, Outcome, RequestContext, ScrubRecord } from '../pipeline/context.js';
import type { CredentialSeen } from '../tokens/credentials.js';
import { redactQuery } from '../tokens/query.js';

export const AUDIT_SCHEMA = 'mcp-egress.audit/1';

export interface AuditEvent {
  readonly schema: typeof AUDIT_SCHEMA;
  readonly event_id: string;
  readonly time: string;
  readonly kind: 'request' | 'connect';
  readonly tool: string | null;
  readonly actor: {
    readonly principal: string;
    readonly type: string;
    readonly source: string;
    /** Present only when the launcher attested it (`mcp-egress wrap`): evidence beside the configured actor. */
    readonly launch?: { readonly context: string; readonly user: string | null; readonly ci: string | null };
  };
  readonly client: { readonly address: string; readonly port: number };
  readonly tunnel_id: string | null;
  readonly request: {
    readonly method: string;
    readonly scheme: string | null;
    readonly host: string | null;
    readonly port: number | null;
    readonly path: string | null;
    readonly query: string | null;
    readonly bytes: number;
  };
  readonly decision: {
    readonly action: 'allow' | 'deny' | 'would_deny';
    readonly mode: string | null;
    readonly rule_id: string | null;
    readonly reason: string;
    readonly policy_reason: string | null;
  };
  readonly result: Outcome['result'];
  readonly response: { readonly status: number | null; readonly bytes: number };
  readonly destination: { readonly address: string; readonly port: number; readonly via: string } | null;
  readonly credentials: readonly CredentialSeen[];
  /** What secret scrubbing did: how each body was treated and every redaction or block, never a value. */
  readonly scrub: {
    readonly request_body: string;
    readonly response_body: string;
    readonly findings: readonly {
      readonly action: string;
      readonly kind: string;
      readonly rule_id: string;
      readonly location: string;
      readonly count: number;
    }[];
  } | null;
  readonly duration_ms: { readonly total: number; readonly upstream: number | null };
  readonly error: { readonly reason: string; readonly detail: string | null } | null;
}

const UNKNOWN_ACTOR = Object.freeze({ principal: 'unknown', type: 'unknown', source: 'none' } as const);

export function buildAuditEvent(outcome: Outcome): AuditEvent {
  const ctx = outcome.context;
  const identity = ctx.identity;
  return {
    schema: AUDIT_SCHEMA,
    event_id: ctx.requestId,
    time: ctx.timings.startedAt.toISOString(),
    kind: ctx.kind,
    tool: identity?.tool ?? null,
    actor: identity ? actorPart(identity) : UNKNOWN_ACTOR,
    client: { address: ctx.client.address, port: ctx.client.port },
    tunnel_id: ctx.tunnel?.id ?? null,
    request: requestPart(ctx),
    decision: decisionPart(ctx),
    result: outcome.result,
    response: { status: ctx.response?.status ?? null, bytes: ctx.response?.bytes ?? 0 },
    destination: ctx.destination ? destinationPart(ctx.destination) : null,
    credentials: ctx.credentials.map(credentialPart),
    scrub: ctx.scrub ? scrubPart(ctx.scrub) : null,
    duration_ms: { total: outcome.durationMs, upstream: outcome.upstreamMs },
    error: ctx.refusal ? { reason: ctx.refusal.reason, detail: ctx.refusal.detail ?? null } : null,
  };
}

// Field by field, never a spread: these objects are typed, but a wider object (a resolver result, a
// config entry) is assignable to them, and a spread would carry its extra fields into the audit log.
function actorPart(identity: Identity): AuditEvent['actor'] {
  const { actor, launch } = identity;
  if (!launch) return { principal: actor.principal, type: actor.type, source: actor.source };
  const attested = { context: launch.context, user: launch.user, ci: launch.ci };
  return { principal: actor.principal, type: actor.type, source: actor.source, launch: attested };
}

function destinationPart(destination: Destination): NonNullable<AuditEvent['destination']> {
  return { address: destination.address, port: destination.port, via: destination.via };
}

function credentialPart(credential: CredentialSeen): CredentialSeen {
  return { source: credential.source, scheme: credential.scheme, fingerprint: credential.fingerprint, hint: credential.hint };
}

function scrubPart(scrub: ScrubRecord): NonNullable<AuditEvent['scrub']> {
  return {
    request_body: scrub.requestBody,
    response_body: scrub.responseBody,
    findings: scrub.findings.map((entry) => ({
      action: entry.action,
      kind: entry.kind,
      rule_id: entry.ruleId,
      location: entry.location,
      count: entry.count,
    })),
  };
}

function requestPart(ctx: Readonly<RequestContext>): AuditEvent['request'] {
  const target = ctx.target;
  return {
    method: ctx.method === '' ? 'UNKNOWN' : ctx.method,
    scheme: target?.scheme ?? null,
    host: target?.host ?? null,
    port: target?.port ?? null,
    path: ctx.kind === 'connect' ? null : (target?.path ?? null),
    query: target && target.query !== '' ? redactQuery(target.query) : null,
    bytes: ctx.requestBytes,
  };
}

/**
 * The final action: a refusal for any reason is a deny (with that reason); otherwise what the policy
 * said (allow, or would_deny in report mode). `policy_reason` keeps the policy's own verdict beside it.
 */
function decisionPart(ctx: Readonly<RequestContext>): AuditEvent['decision'] {
  const policy = ctx.decision;
  const refusedBeforeUpstream = ctx.refusal !== undefined && ctx.timings.upstreamStartNs === undefined;
  const action = refusedBeforeUpstream ? 'deny' : (policy?.action ?? 'deny');
  const reason = refusedBeforeUpstream ? ctx.refusal!.reason : (policy?.reason ?? ctx.refusal?.reason ?? 'internal_error');
  return {
    action,
    mode: policy?.mode ?? null,
    rule_id: policy?.ruleId ?? null,
    reason,
    policy_reason: policy?.reason ?? null,
  };
}
