/**
 * Audit records for the format tests, one per shape a sink can receive: forwarded, denied and report
 * mode requests, a CONNECT tunnel, a refusal before anything was known, a token alert, and the two
 * lifecycle lines. Literals of the native types, so each case shows exactly what the mappers get.
 */
import type { AlertEvent } from '../../../../src/audit/alert-event.js';
import { AUDIT_SCHEMA, type AuditEvent } from '../../../../src/audit/event.js';
import type { AuditRecord, ChainRef, FormatContext } from '../../../../src/audit/formats/index.js';

export const CHAIN: ChainRef = { seq: 42, prev_hash: 'sha256:5f2b0c7e9a1d4c3b8e6f0a2d4c6e8f1a3b5d7f9e1c3a5b7d9f1e3c5a7b9d1f3e' };
export const CONTEXT: FormatContext = { productVersion: '0.1.0', hostname: 'egress-1.internal' };
export const FINGERPRINT = 'fp_1a2b3c4d5e6f7a8b';

export function allowedEvent(): AuditEvent {
  return {
    schema: AUDIT_SCHEMA,
    event_id: 'req-0001',
    time: '2025-03-04T05:06:07.089Z',
    kind: 'request',
    tool: 'reader',
    actor: { principal: 'reader@example.test', type: 'automation', source: 'config', evidence: [{ source: 'config', type: 'automation' }], conflict: false },
    client: { address: '127.0.0.1', port: 50_123 },
    tunnel_id: 'tun-0007',
    request: { method: 'GET', scheme: 'https', host: 'api.example.test', port: 443, path: '/v1/items', query: 'page=2&access_token=[REDACTED]', bytes: 12 },
    decision: { action: 'allow', mode: 'enforce', rule_id: 'reader#0', reason: 'rule_matched', policy_reason: 'rule_matched' },
    result: 'forwarded',
    response: { status: 200, bytes: 345 },
    destination: { address: '203.0.113.7', port: 443, via: 'dns' },
    credentials: [{ source: 'header:authorization', scheme: 'Bearer', fingerprint: FINGERPRINT, hint: 'ghp_…wxyz', kind: 'github_pat' }],
    scrub: { request_body: 'scanned', response_body: 'scanned', findings: [{ action: 'redact', kind: 'aws_access_key', rule_id: 'aws-1', location: 'response_body', count: 1 }] },
    duration_ms: { total: 4.25, upstream: 3.5 },
    error: null,
  };
}

export function deniedEvent(): AuditEvent {
  const base = allowedEvent();
  return {
    ...base,
    actor: { principal: 'alice', type: 'human', source: 'config', launch: { context: 'interactive', user: 'alice', ci: null }, evidence: [{ source: 'launch', type: 'human' }], conflict: false },
    request: { ...base.request, method: 'POST', host: 'evil.example.test', path: '/upload', query: null },
    decision: { action: 'deny', mode: 'enforce', rule_id: null, reason: 'host_not_allowed', policy_reason: 'host_not_allowed' },
    result: 'refused',
    response: { status: 403, bytes: 120 },
    destination: null,
    credentials: [],
    scrub: null,
    duration_ms: { total: 0.4, upstream: null },
    error: { reason: 'host_not_allowed', detail: null },
  };
}

export function wouldDenyEvent(): AuditEvent {
  const base = allowedEvent();
  return { ...base, request: { ...base.request, method: 'PROPFIND' }, decision: { action: 'would_deny', mode: 'report', rule_id: null, reason: 'host_not_allowed', policy_reason: 'host_not_allowed' } };
}

export function connectEvent(): AuditEvent {
  const base = allowedEvent();
  return {
    ...base,
    kind: 'connect',
    tunnel_id: null,
    request: { method: 'CONNECT', scheme: null, host: 'api.example.test', port: 443, path: null, query: null, bytes: 0 },
    response: { status: null, bytes: 0 },
    credentials: [],
    scrub: null,
  };
}

/** Refused before the method or target were known (no proxy credentials): nearly everything is null. */
export function refusalEvent(): AuditEvent {
  return {
    ...deniedEvent(),
    tool: null,
    actor: { principal: 'unknown', type: 'unknown', source: 'none', evidence: [], conflict: false },
    tunnel_id: null,
    request: { method: 'UNKNOWN', scheme: null, host: null, port: null, path: null, query: null, bytes: 0 },
    decision: { action: 'deny', mode: null, rule_id: null, reason: 'proxy_auth_missing', policy_reason: null },
    response: { status: null, bytes: 0 },
    error: { reason: 'proxy_auth_missing', detail: null },
  };
}

export function alertEvent(): AlertEvent {
  return {
    schema: AUDIT_SCHEMA,
    kind: 'alert',
    event_id: 'alert-0001',
    time: '2025-03-04T05:07:00.000Z',
    signal: 'shared_token',
    severity: 'high',
    summary: 'github_pat …wxyz used by 2 principals: reader@example.test, writer@example.test',
    token: {
      fingerprint: FINGERPRINT, kind: 'github_pat', hint: 'ghp_…wxyz', first_seen: '2025-03-01T00:00:00.000Z', last_seen: '2025-03-04T05:06:07.089Z',
      count: 17, tools: ['reader', 'writer'], principals: ['reader@example.test', 'writer@example.test'], hosts: ['api.example.test'],
    },
    trigger: { event_id: 'req-0001', tool: 'writer', principal: 'writer@example.test', actor_type: 'automation', host: 'api.example.test' },
    previous_use: null,
  };
}

export function headerRecord(reason: 'start' | 'rotation' = 'start'): AuditRecord {
  return {
    kind: 'lifecycle',
    body: {
      schema: AUDIT_SCHEMA, kind: 'header', time: '2025-03-04T05:00:00.000Z', reason, host: 'egress-1.internal', pid: 4321,
      process_start: '2025-03-04T04:59:59.000Z', continues: { seq: 41, hash: CHAIN.prev_hash, source: 'state' }, state_seq: null, partial_tails: [],
    },
  };
}

export function checkpointRecord(reason: 'count' | 'shutdown' = 'count'): AuditRecord {
  return {
    kind: 'lifecycle',
    body: { schema: AUDIT_SCHEMA, kind: 'checkpoint', time: '2025-03-04T06:00:00.000Z', reason, checkpoint: { seq: 41, hash: CHAIN.prev_hash, events: 1000 } },
  };
}

const request = (event: AuditEvent): AuditRecord => ({ kind: 'request', event });

/** Every case: name, record, and the OCSF class it must validate as. */
export const CASES: readonly { readonly name: string; readonly record: AuditRecord; readonly ocsfClass: string }[] = [
  { name: 'request allowed', record: request(allowedEvent()), ocsfClass: 'http_activity' },
  { name: 'request denied', record: request(deniedEvent()), ocsfClass: 'http_activity' },
  { name: 'request would_deny (report mode, non-standard method)', record: request(wouldDenyEvent()), ocsfClass: 'http_activity' },
  { name: 'connect tunnel', record: request(connectEvent()), ocsfClass: 'http_activity' },
  { name: 'refusal without destination', record: request(refusalEvent()), ocsfClass: 'http_activity' },
  { name: 'token alert', record: { kind: 'alert', event: alertEvent() }, ocsfClass: 'detection_finding' },
  { name: 'header (start)', record: headerRecord('start'), ocsfClass: 'application_lifecycle' },
  { name: 'header (rotation)', record: headerRecord('rotation'), ocsfClass: 'application_lifecycle' },
  { name: 'checkpoint (count)', record: checkpointRecord('count'), ocsfClass: 'application_lifecycle' },
  { name: 'checkpoint (shutdown)', record: checkpointRecord('shutdown'), ocsfClass: 'application_lifecycle' },
];
