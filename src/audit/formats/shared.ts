/**
 * Pieces both foreign formats (OCSF, ECS) build from: our extras block, named copies of the nested
 * parts of an audit record, and the lifecycle fields. Every copy names its fields (never a spread), the
 * same rule as event.ts: a wider object handed in by mistake cannot carry extra fields into a sink.
 */
import type { AlertEvent } from '../alert-event.js';
import type { AuditCredential, AuditEvent } from '../event.js';
import { copyTokenRecord, copyTrigger } from '../../tokens/signals.js';
import type { ChainRef, FormatContext, LifecycleBody } from './index.js';

export const PRODUCT_NAME = 'mcp-egress';
export const VENDOR_NAME = 'mcp-egress';
/** The namespace of our extras: OCSF `unmapped.mcp_egress`, ECS `mcp_egress`. */
export const EXTRAS_KEY = 'mcp_egress';

export type Json = Record<string, unknown>;

/** Drops undefined and null members, so an absent fact is an absent field (both schemas prefer that). */
export function compact(fields: Json): Json {
  const kept: Json = {};
  for (const [name, value] of Object.entries(fields)) if (value !== undefined && value !== null) kept[name] = value;
  return kept;
}

export function epochMs(iso: string): number {
  return Date.parse(iso);
}

export function product(context: FormatContext): Json {
  return { name: PRODUCT_NAME, vendor_name: VENDOR_NAME, version: context.productVersion };
}

/** The chain reference every document carries, so a receiver can drop resent duplicates and verify order. */
export function chainFields(chain: ChainRef): { seq: number; prev_hash: string } {
  return { seq: chain.seq, prev_hash: chain.prev_hash };
}

export function credentialsOf(credentials: readonly AuditCredential[]): Json[] {
  return credentials.map((credential) =>
    compact({
      source: credential.source,
      scheme: credential.scheme,
      kind: credential.kind,
      fingerprint: credential.fingerprint,
      hint: credential.hint,
      jwt: credential.jwt === undefined ? undefined : jwtOf(credential.jwt),
    }),
  );
}

const JWT_CLAIMS = ['iss', 'sub', 'aud', 'exp', 'iat', 'azp', 'client_id', 'scope', 'expired'] as const;

/** The named claims event.ts keeps (already sanitized there), copied by name again. */
function jwtOf(claims: NonNullable<AuditCredential['jwt']>): Json {
  const copied: Json = {};
  for (const name of JWT_CLAIMS) {
    const value = (claims as Json)[name];
    if (value !== undefined) copied[name] = Array.isArray(value) ? [...(value as unknown[])] : value;
  }
  return copied;
}

function evidenceOf(entry: AuditEvent['actor']['evidence'][number]): Json {
  return entry.source === 'token_kind' ? { source: entry.source, type: entry.type, kind: entry.kind } : { source: entry.source, type: entry.type };
}

export function actorExtras(actor: AuditEvent['actor']): Json {
  return compact({
    type: actor.type,
    source: actor.source,
    launch: actor.launch === undefined ? undefined : { context: actor.launch.context, user: actor.launch.user, ci: actor.launch.ci },
    evidence: actor.evidence.map(evidenceOf),
    conflict: actor.conflict,
  });
}

/** Our request-event facts that neither schema has a field for; identical in both formats. */
export function requestExtras(event: AuditEvent, chain: ChainRef): Json {
  const { decision, scrub, error } = event;
  return compact({
    ...chainFields(chain),
    schema: event.schema,
    kind: event.kind,
    tool: event.tool,
    tunnel_id: event.tunnel_id,
    actor: actorExtras(event.actor),
    decision: { action: decision.action, mode: decision.mode, rule_id: decision.rule_id, reason: decision.reason, policy_reason: decision.policy_reason },
    // Report mode: the policy would have denied, the request went through; both formats say "allowed".
    report_mode: decision.action === 'would_deny' ? 'the policy would have denied this request (report mode); it was allowed' : undefined,
    result: event.result,
    destination_via: event.destination?.via,
    credentials: credentialsOf(event.credentials),
    scrub: scrub === null ? undefined : {
      request_body: scrub.request_body,
      response_body: scrub.response_body,
      findings: scrub.findings.map((f) => ({ action: f.action, kind: f.kind, rule_id: f.rule_id, location: f.location, count: f.count })),
    },
    error: error === null ? undefined : { reason: error.reason, detail: error.detail },
    duration_ms: { total: event.duration_ms.total, upstream: event.duration_ms.upstream },
  });
}

export function tokenOf(token: AlertEvent['token']): Json {
  return compact({ ...copyTokenRecord(token) });
}

export function alertExtras(alert: AlertEvent, chain: ChainRef): Json {
  const { trigger } = alert;
  return compact({
    ...chainFields(chain),
    schema: alert.schema,
    kind: alert.kind,
    signal: alert.signal,
    severity: alert.severity,
    token: tokenOf(alert.token),
    trigger: copyTrigger(trigger),
    previous_use: alert.previous_use,
  });
}

// What header and checkpoint lines hold besides kind and time (audit-log.ts writes them; named here so
// a field added there is a conscious addition here too).
const LIFECYCLE_FIELDS = ['reason', 'host', 'pid', 'process_start', 'continues', 'state_seq', 'partial_tails', 'checkpoint'] as const;

export function lifecycleExtras(body: LifecycleBody, chain: ChainRef): Json {
  const picked: Json = { ...chainFields(chain), schema: body['schema'], kind: body.kind };
  for (const name of LIFECYCLE_FIELDS) if (body[name] !== undefined) picked[name] = body[name];
  return compact(picked);
}

export function lifecycleReason(body: LifecycleBody): string {
  const reason = body['reason'];
  return typeof reason === 'string' ? reason : 'unknown';
}

/** `scheme://host[:port]/path?query` from the redacted parts; the default port is left out. */
export function urlString(request: AuditEvent['request']): string | undefined {
  const { scheme, host, port, path, query } = request;
  if (scheme === null || host === null || path === null) return undefined;
  const bracketed = host.includes(':') ? `[${host}]` : host;
  const defaultPort = (scheme === 'https' && port === 443) || (scheme === 'http' && port === 80);
  const portPart = port === null || defaultPort ? '' : `:${port}`;
  return `${scheme}://${bracketed}${portPart}${path}${query === null ? '' : `?${query}`}`;
}

export function summaryOf(event: AuditEvent): string {
  const where = event.request.host ?? '(no destination)';
  return `${event.decision.action} ${event.request.method} ${where}: ${event.decision.reason}`;
}
