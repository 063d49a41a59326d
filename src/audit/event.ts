/**
 * The native audit event, schema `mcp-egress.audit/1`. Built from the Outcome field by field (an
 * allowlist: nothing is copied wholesale from a request, so no header value can slip in). Versioned:
 * fields are only ever added; a rename or removal bumps the schema. README documents every field.
 */
import type { Destination, Identity, Outcome, RequestContext, ScrubRecord } from '../pipeline/context.js';
import { attribute, type Attribution, type Evidence } from '../tokens/attribution.js';
import type { CredentialSeen } from '../tokens/credential-detect.js';
import type { JwtClaims } from '../tokens/jwt-claims.js';
import { redactQuery } from '../tokens/query.js';
import { isoTime } from './iso-time.js';

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
  const response = ctx.response;
  const refusal = ctx.refusal;
  // One literal in the documented key order: every event has the same shape (and the same hidden class).
  return {
    schema: AUDIT_SCHEMA,
    event_id: ctx.requestId,
    time: isoTime(ctx.timings.startedAt),
    kind: ctx.kind,
    tool: identity?.tool ?? null,
    actor: actorPart(identity, ctx.credentials),
    client: { address: ctx.client.address, port: ctx.client.port },
    tunnel_id: ctx.tunnel?.id ?? null,
    request: requestPart(ctx),
    decision: decisionPart(ctx),
    result: outcome.result,
    response: { status: response?.status ?? null, bytes: response?.bytes ?? 0 },
    destination: ctx.destination ? destinationPart(ctx.destination) : null,
    credentials: ctx.credentials.length === 0 ? [] : ctx.credentials.map(credentialPart),
    scrub: ctx.scrub ? scrubPart(ctx.scrub) : null,
    duration_ms: { total: outcome.durationMs, upstream: outcome.upstreamMs },
    error: refusal ? { reason: refusal.reason, detail: refusal.detail ?? null } : null,
  };
}

// Field by field, never a spread: these objects are typed, but a wider object (a resolver result, a
// config entry) is assignable to them, and a spread would carry its extra fields into the audit log.
function actorPart(identity: Identity | undefined, credentials: readonly CredentialSeen[]): AuditEvent['actor'] {
  const actor = identity?.actor ?? UNKNOWN_ACTOR;
  const launch = identity?.launch;
  const { type, evidence, conflict } = attributionOf(actor.type, launch?.context ?? null, credentials);
  if (!launch) return { principal: actor.principal, type, source: actor.source, evidence, conflict };
  const attested = { context: launch.context, user: launch.user, ci: launch.ci };
  return { principal: actor.principal, type, source: actor.source, launch: attested, evidence, conflict };
}

const UNKNOWN_ACTOR = { principal: 'unknown', type: 'unknown', source: 'none' } as const;

/**
 * attribute() for the inputs it depends on, remembered: a tool's requests repeat the same few
 * combinations (its configured type, its launch context, the evidence of the kinds it sends), and
 * attribute() sorts and de-duplicates on every call. The remembered evidence is copied (evidencePart) and
 * frozen, so events share it read-only. Bounded: past MAX_ATTRIBUTIONS combinations the memo starts over.
 */
const attributions = new Map<string, Attribution>();
const MAX_ATTRIBUTIONS = 512;

function attributionOf(configured: Attribution['type'], launchContext: 'interactive' | 'ci' | null, credentials: readonly CredentialSeen[]): Attribution {
  // The usual request: no launch attestation, no credential with evidence; only the configured type counts.
  const key = launchContext === null && credentials.every(hasNoEvidence) ? configured : attributionKey(configured, launchContext, credentials);
  const known = key === null ? undefined : attributions.get(key);
  if (known !== undefined) return known;
  const computed = attribute({ configured, launchContext, credentialEvidence: credentials.map((credential) => credential.evidence) });
  const remembered: Attribution = Object.freeze({
    type: computed.type,
    evidence: Object.freeze(computed.evidence.map(evidencePart)),
    conflict: computed.conflict,
  });
  if (key === null) return remembered;
  if (attributions.size >= MAX_ATTRIBUTIONS) attributions.clear();
  attributions.set(key, remembered);
  return remembered;
}

const hasNoEvidence = (credential: CredentialSeen): boolean => credential.evidence.length === 0;

/**
 * Everything attribute() and evidencePart() read, unambiguously: the configured type, the launch context,
 * and every evidence entry in order (source and type, fixed words; the kind, free text, length-prefixed,
 * or `-` when absent). Null (not remembered) for an entry whose kind is present but no string.
 */
function attributionKey(configured: string, launchContext: string | null, credentials: readonly CredentialSeen[]): string | null {
  let key = `${configured}\u0000${launchContext === null ? '-' : `+${launchContext}`}`;
  for (const credential of credentials) {
    for (const entry of credential.evidence) {
      const kind: unknown = 'kind' in entry ? entry.kind : undefined;
      if (kind === undefined && 'kind' in entry) return null;
      if (kind !== undefined && typeof kind !== 'string') return null;
      key += `\u0000${entry.source}\u0000${entry.type}\u0000${kind === undefined ? '-' : `${kind.length}:${kind}`}`;
    }
  }
  return key;
}

function evidencePart(entry: Evidence): Evidence {
  if (entry.source === 'token_kind') return { source: entry.source, type: entry.type, kind: entry.kind };
  return { source: entry.source, type: entry.type };
}

function destinationPart(destination: Destination): NonNullable<AuditEvent['destination']> {
  return { address: destination.address, port: destination.port, via: destination.via };
}

function credentialPart(credential: CredentialSeen): AuditCredential {
  const jwt = credential.jwt;
  if (jwt === undefined) {
    return { source: credential.source, scheme: credential.scheme, fingerprint: credential.fingerprint, hint: credential.hint, kind: credential.kind };
  }
  return { source: credential.source, scheme: credential.scheme, fingerprint: credential.fingerprint, hint: credential.hint, kind: credential.kind, jwt: jwtPart(jwt) };
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
