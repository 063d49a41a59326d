/**
 * The native event's JSON text, written out field by field: exactly `JSON.stringify(event)` for every
 * event buildAuditEvent returns, at a fraction of the generic serializer's cost (it walks a fixed shape
 * instead of discovering one, and quotes most strings without escaping them).
 *
 * Why it equals JSON.stringify: keys are written in the order buildAuditEvent's literals create them
 * (optional `launch` and `jwt` only when present, as JSON.stringify leaves out undefined); a string with
 * nothing JSON.stringify would escape (`"`, `\`, a control character, a surrogate) is quoted as is, any
 * other goes through JSON.stringify; a finite number is `String(n)` (what JSON.stringify writes), a
 * non-finite one `null`. A field holding anything else (undefined, an object where a scalar belongs: only
 * possible against the types) sends the whole event through JSON.stringify instead. Nested parts that are
 * rare and free-form (jwt claims) are JSON.stringify'd on their own, which writes the same text.
 * test/unit/audit/event-json.test.ts holds it to JSON.stringify over generated events.
 */
import type { AuditCredential, AuditEvent } from './event.js';

const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** Set when a field held a value the fast path does not write: the caller then uses JSON.stringify. */
let unexpected = false;

export function auditEventJson(event: AuditEvent): string {
  unexpected = false;
  const text = writeEvent(event);
  return unexpected ? JSON.stringify(event) : text;
}

function writeEvent(e: AuditEvent): string {
  return (
    `{"schema":${word(e.schema)},"event_id":${str(e.event_id)},"time":${str(e.time)},"kind":${word(e.kind)},"tool":${word(e.tool)}` +
    `,"actor":${actorJson(e.actor)},"client":{"address":${word(e.client.address)},"port":${num(e.client.port)}},"tunnel_id":${word(e.tunnel_id)}` +
    `,"request":${requestJson(e.request)},"decision":${decisionJson(e.decision)},"result":${word(e.result)}` +
    `,"response":{"status":${num(e.response.status)},"bytes":${num(e.response.bytes)}},"destination":${destinationJson(e.destination)}` +
    `,"credentials":${credentialsJson(e.credentials)},"scrub":${scrubJson(e.scrub)}` +
    `,"duration_ms":{"total":${num(e.duration_ms.total)},"upstream":${num(e.duration_ms.upstream)}},"error":${errorJson(e.error)}}`
  );
}

function actorJson(actor: AuditEvent['actor']): string {
  const head = `{"principal":${word(actor.principal)},"type":${word(actor.type)},"source":${word(actor.source)}`;
  const launch = actor.launch === undefined ? '' : `,"launch":{"context":${str(actor.launch.context)},"user":${str(actor.launch.user)},"ci":${str(actor.launch.ci)}}`;
  return `${head}${launch},"evidence":${evidenceJson(actor.evidence)},"conflict":${bool(actor.conflict)}}`;
}

function evidenceJson(evidence: AuditEvent['actor']['evidence']): string {
  if (evidence.length === 0) return '[]';
  let text = '';
  for (const entry of evidence) {
    const kind = entry.source === 'token_kind' && entry.kind !== undefined ? `,"kind":${word(entry.kind)}` : '';
    text += `${text === '' ? '[' : ','}{"source":${word(entry.source)},"type":${word(entry.type)}${kind}}`;
  }
  return `${text}]`;
}

function requestJson(r: AuditEvent['request']): string {
  return (
    `{"method":${str(r.method)},"scheme":${word(r.scheme)},"host":${str(r.host)},"port":${num(r.port)}` +
    `,"path":${str(r.path)},"query":${str(r.query)},"bytes":${num(r.bytes)}}`
  );
}

function decisionJson(d: AuditEvent['decision']): string {
  return `{"action":${word(d.action)},"mode":${word(d.mode)},"rule_id":${word(d.rule_id)},"reason":${word(d.reason)},"policy_reason":${word(d.policy_reason)}}`;
}

function destinationJson(d: AuditEvent['destination']): string {
  return d === null ? 'null' : `{"address":${word(d.address)},"port":${num(d.port)},"via":${word(d.via)}}`;
}

function credentialsJson(credentials: readonly AuditCredential[]): string {
  if (credentials.length === 0) return '[]';
  let text = '';
  for (const c of credentials) {
    const jwt = c.jwt === undefined ? '' : `,"jwt":${JSON.stringify(c.jwt)}`;
    text += `${text === '' ? '[' : ','}{"source":${word(c.source)},"scheme":${str(c.scheme)},"fingerprint":${word(c.fingerprint)},"hint":${word(c.hint)},"kind":${word(c.kind)}${jwt}}`;
  }
  return `${text}]`;
}

function scrubJson(scrub: AuditEvent['scrub']): string {
  if (scrub === null) return 'null';
  let findings = '';
  for (const f of scrub.findings) {
    findings += `${findings === '' ? '' : ','}{"action":${word(f.action)},"kind":${word(f.kind)},"rule_id":${word(f.rule_id)},"location":${str(f.location)},"count":${num(f.count)}}`;
  }
  return `{"request_body":${word(scrub.request_body)},"response_body":${word(scrub.response_body)},"findings":[${findings}]}`;
}

function errorJson(error: AuditEvent['error']): string {
  return error === null ? 'null' : `{"reason":${str(error.reason)},"detail":${str(error.detail)}}`;
}

/**
 * Quoted texts of values that repeat from event to event (a tool's name, a rule, a reason, a token's
 * fingerprint): looked up instead of checked and quoted again. Only for fields the proxy or its
 * configuration names, never for text a request chose (method, host, path, query, an Authorization
 * scheme, a finding's location, error detail: a secret smuggled there must not outlive its event in a cache). Bounded: past MAX_WORDS
 * it starts over.
 */
const words = new Map<string, string>();
const MAX_WORDS = 2048;
/** Longer values are rarely repeated exactly: not remembered. */
const MAX_WORD_LENGTH = 128;

function word(value: string | null): string {
  if (typeof value !== 'string' || value.length > MAX_WORD_LENGTH) return str(value);
  let quoted = words.get(value);
  if (quoted === undefined) {
    quoted = str(value);
    if (words.size >= MAX_WORDS) words.clear();
    words.set(value, quoted);
  }
  return quoted;
}

function str(value: string | null): string {
  if (typeof value === 'string') return NEEDS_ESCAPE.test(value) ? JSON.stringify(value) : `"${value}"`;
  return scalar(value);
}

function num(value: number | null): string {
  if (typeof value === 'number') return Number.isFinite(value) ? `${value}` : 'null';
  return scalar(value);
}

function bool(value: boolean): string {
  return typeof value === 'boolean' ? `${value}` : scalar(value);
}

/** Any JSON scalar where the type said another (a number where a string belongs is still written right). */
function scalar(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return Number.isFinite(value) ? `${value}` : 'null';
  if (typeof value === 'boolean') return `${value}`;
  unexpected = true;
  return '';
}
