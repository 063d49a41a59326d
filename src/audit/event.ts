/**
 * The native audit event, schema `mcp-egress.audit/1`. Built from the Outcome field by field (an
 * allowlist: nothing is copied wholesale from a request, so no header value can slip in). Versioned:
 * fields are only ever added; a rename or removal bumps the schema. README documents every field.
 */
import type { Destination, Identity, Outcome, RequestContext, ScrubRecord } from '../pipeline/context.js';
import { attribute, type Evidence } from '../tokens/attribution.js';
import type { CredentialSeen } from '../tokens/credential-detect.js';
import type { JwtClaims } from '../tokens/jwt-claims.js';
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
    /** Every piece of evidence for `type`, strongest first (config, launch, token_kind, jwt). */
    readonly evidence: readonly Evidence[];
    /** True when two pieces of evidence disagree (human vs automation). */
    readonly conflict: boolean;
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
  readonly credentials: readonly AuditCredential[];
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

export interface AuditCredential {
  readonly source: string;
  readonly scheme: string | null;
  readonly fingerprint: string;
  readonly hint: string | null;
  readonly kind: string;
  readonly jwt?: JwtClaims;
}

export function buildAuditEvent(outcome: Outcome): AuditEvent {
  const ctx = outcome.context;
  const identity = ctx.identity;
  return {
    schema: AUDIT_SCHEMA,
    event_id: ctx.requestId,
    time: ctx.timings.startedAt.toISOString(),
    kind: ctx.kind,
    tool: identity?.tool ?? null,
    actor: actorPart(identity, ctx.credentials),
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
function actorPart(identity: Identity | undefined, credentials: readonly CredentialSeen[]): AuditEvent['actor'] {
  const actor = identity?.actor ?? { principal: 'unknown', type: 'unknown', source: 'none' };
  const launch = identity?.launch;
  const { type, evidence, conflict } = attribute({
    configured: actor.type,
    launchContext: launch?.context ?? null,
    credentialEvidence: credentials.map((credential) => credential.evidence),
  });
  const copied = evidence.map(evidencePart);
  const base = { principal: actor.principal, type, source: actor.source };
  if (!launch) return { ...base, evidence: copied, conflict };
  const attested = { context: launch.context, user: launch.user, ci: launch.ci };
  return { ...base, launch: attested, evidence: copied, conflict };
}

function evidencePart(entry: Evidence): Evidence {
  if (entry.source === 'token_kind') return { source: entry.source, type: entry.type, kind: entry.kind };
  return { source: entry.source, type: entry.type };
}

function destinationPart(destination: Destination): NonNullable<AuditEvent['destination']> {
  return { address: destination.address, port: destination.port, via: destination.via };
}

function credentialPart(credential: CredentialSeen): AuditCredential {
  const { source, scheme, fingerprint, hint, kind, jwt } = credential;
  const base = { source, scheme, fingerprint, hint, kind };
  return jwt === undefined ? base : { ...base, jwt: jwtPart(jwt) };
}

const JWT_CLAIMS = ['iss', 'sub', 'aud', 'exp', 'iat', 'azp', 'client_id', 'scope', 'expired'] as const;

/** The named claims only (already sanitized by jwt-claims.ts), absent ones left out. */
function jwtPart(claims: JwtClaims): JwtClaims {
  const copied: Record<string, unknown> = {};
  for (const name of JWT_CLAIMS) {
    const value = claims[name];
    if (value !== undefined) copied[name] = Array.isArray(value) ? [...(value as readonly string[])] : value;
  }
  return copied as JwtClaims;
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
