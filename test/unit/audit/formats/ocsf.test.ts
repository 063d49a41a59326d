/**
 * OCSF documents against the OCSF schema files (test/fixtures/ocsf, see its README): every field we
 * write exists in its class or object with the dictionary's type, enums hold defined values, required
 * attributes and constraints are met; then what each case must say (activity, verdict, actor, chain).
 */
import { describe, expect, it } from 'vitest';
import { toOcsf } from '../../../../src/audit/formats/ocsf.js';
import { OCSF_VERSION } from '../../../../src/audit/formats/ocsf-enums.js';
import { classIds, resolveClass, validate } from './ocsf-schema.js';
import { alertEvent, allowedEvent, CASES, CHAIN, connectEvent, CONTEXT, deniedEvent, FINGERPRINT, refusalEvent, wouldDenyEvent } from './records.js';

type Doc = Record<string, any>;
const ocsf = (record: Parameters<typeof toOcsf>[0]): Doc => toOcsf(record, CHAIN, CONTEXT);
const request = (event: ReturnType<typeof allowedEvent>): Doc => ocsf({ kind: 'request', event });

describe('toOcsf: schema', () => {
  it.each(CASES)('$name validates as $ocsfClass', ({ record, ocsfClass }) => {
    const doc = ocsf(record);
    const resolved = resolveClass(ocsfClass);
    expect(validate(doc, resolved, '')).toEqual([]);
    expect(doc).toMatchObject(classIds(resolved));
    expect(doc['type_uid']).toBe(doc['class_uid'] * 100 + doc['activity_id']);
  });

  it.each(CASES)('$name carries seq and prev_hash (metadata.sequence and unmapped.mcp_egress)', ({ record }) => {
    const doc = ocsf(record);
    expect(doc['metadata']).toMatchObject({ sequence: CHAIN.seq, version: OCSF_VERSION, product: { name: 'mcp-egress', version: CONTEXT.productVersion } });
    expect(doc['unmapped']).toEqual({ mcp_egress: expect.objectContaining({ seq: CHAIN.seq, prev_hash: CHAIN.prev_hash }) });
  });

  it('the validator is not vacuous: it rejects an unknown field, a wrong type, an undefined enum value and a missing requirement', () => {
    const doc = request(allowedEvent());
    const broken = { ...doc, bogus: 1, severity_id: 7, time: 'yesterday', http_response: {}, proxy: { hostname: 'x' } };
    delete (broken as Doc)['metadata'];
    const errors = validate(broken, resolveClass('http_activity'), '');
    expect(errors).toEqual(expect.arrayContaining([
      expect.stringContaining('bogus: not an attribute'),
      expect.stringContaining('severity_id: 7 is not in the enum'),
      expect.stringContaining('time: expected timestamp_t'),
      expect.stringContaining('http_response: required code missing'),
      expect.stringContaining('proxy: deprecated'),
      expect.stringContaining('required metadata missing'),
    ]));
  });
});

describe('toOcsf: HTTP Activity', () => {
  it('maps an allowed GET field by field', () => {
    const doc = request(allowedEvent());
    expect(doc).toMatchObject({
      class_uid: 4002, category_uid: 4, activity_id: 3, activity_name: 'Get', type_uid: 400203,
      action_id: 1, disposition_id: 1, severity_id: 1, status_id: 1, time: Date.parse('2025-03-04T05:06:07.089Z'), duration: 4,
      actor: { user: { name: 'reader@example.test', type_id: 4, type: 'Service', credential_uid: FINGERPRINT }, app_name: 'reader' },
      http_request: { uid: 'req-0001', http_method: 'GET', url: { scheme: 'https', hostname: 'api.example.test', port: 443, path: '/v1/items', query_string: 'page=2&access_token=[REDACTED]', url_string: 'https://api.example.test/v1/items?page=2&access_token=[REDACTED]' } },
      http_response: { code: 200 },
      src_endpoint: { ip: '127.0.0.1', port: 50_123 },
      dst_endpoint: { hostname: 'api.example.test', ip: '203.0.113.7', port: 443 },
      proxy_endpoint: { hostname: CONTEXT.hostname },
      traffic: { bytes_out: 12, bytes_in: 345, bytes: 357 },
      metadata: { uid: 'req-0001', correlation_uid: 'tun-0007', log_name: 'mcp-egress.audit' },
    });
    expect(doc['unmapped'].mcp_egress).toMatchObject({ decision: { action: 'allow', rule_id: 'reader#0' }, scrub: { findings: [{ kind: 'aws_access_key' }] }, credentials: [{ fingerprint: FINGERPRINT, hint: 'ghp_…wxyz' }] });
  });

  it.each([
    ['allow', allowedEvent(), { action_id: 1, disposition_id: 1, severity_id: 1, status_id: 1 }],
    ['deny', deniedEvent(), { action_id: 2, action: 'Denied', disposition_id: 2, disposition: 'Blocked', severity_id: 2, status_id: 2 }],
    ['would_deny', wouldDenyEvent(), { action_id: 1, disposition_id: 1, severity_id: 2, status_id: 1 }],
  ])('%s → action, disposition, severity, status', (_name, event, expected) => {
    expect(request(event)).toMatchObject(expected);
  });

  it('report mode says allowed and keeps the policy verdict in unmapped', () => {
    const doc = request(wouldDenyEvent());
    expect(doc['unmapped'].mcp_egress.decision).toMatchObject({ action: 'would_deny', mode: 'report' });
    expect(doc['unmapped'].mcp_egress.report_mode).toContain('would have denied');
  });

  it.each([
    ['GET', 3], ['CONNECT', 1], ['DELETE', 2], ['HEAD', 4], ['OPTIONS', 5], ['POST', 6], ['PUT', 7], ['TRACE', 8], ['PATCH', 9], ['PROPFIND', 99], ['UNKNOWN', 0],
  ])('method %s → activity_id %i', (method, id) => {
    const base = allowedEvent();
    const doc = request({ ...base, request: { ...base.request, method } });
    expect(doc['activity_id']).toBe(id);
    expect(doc['http_request'].http_method).toBe(id === 99 || id === 0 ? undefined : method);
    expect(validate(doc, resolveClass('http_activity'), '')).toEqual([]);
  });

  it.each([['human', 1, 'User'], ['automation', 4, 'Service'], ['unknown', 0, 'Unknown']])('actor type %s → user.type_id %i', (type, id, caption) => {
    const base = allowedEvent();
    expect(request({ ...base, actor: { ...base.actor, type } }).actor.user).toMatchObject({ type_id: id, type: caption });
  });

  it('a CONNECT names its destination in dst_endpoint and has no URL', () => {
    const doc = request(connectEvent());
    expect(doc['http_request']).toEqual({ uid: 'req-0001', http_method: 'CONNECT' });
    expect(doc['dst_endpoint']).toEqual({ hostname: 'api.example.test', ip: '203.0.113.7', port: 443 });
    expect(doc).not.toHaveProperty('http_response');
  });

  it('a refusal before anything was known has no destination, URL, response or credential', () => {
    const doc = request(refusalEvent());
    expect(doc).not.toHaveProperty('dst_endpoint');
    expect(doc).not.toHaveProperty('http_response');
    expect(doc['http_request']).toEqual({ uid: 'req-0001' });
    expect(doc['actor']).toEqual({ user: { name: 'unknown', type_id: 0, type: 'Unknown' } });
    expect(doc).toMatchObject({ activity_id: 0, action_id: 2, status_detail: 'proxy_auth_missing' });
  });
});

describe('toOcsf: alerts and lifecycle', () => {
  it('a token alert is a Detection Finding linked to its request', () => {
    const doc = ocsf({ kind: 'alert', event: alertEvent() });
    expect(doc).toMatchObject({
      class_uid: 2004, activity_id: 1, type_uid: 200401, severity_id: 4, status_id: 1, is_alert: true, count: 17,
      finding_info: { uid: 'alert-0001', types: ['shared_token'], first_seen_time: Date.parse('2025-03-01T00:00:00.000Z') },
      actor: { user: { name: 'writer@example.test', type_id: 4, credential_uid: FINGERPRINT }, app_name: 'writer' },
      metadata: { uid: 'alert-0001', correlation_uid: 'req-0001' },
    });
    expect(doc['unmapped'].mcp_egress.token).toMatchObject({ fingerprint: FINGERPRINT, principals: ['reader@example.test', 'writer@example.test'] });
  });

  it.each([
    [CASES[6]!.record, 3, 'Start'], [CASES[7]!.record, 99, 'Rotate'], [CASES[8]!.record, 99, 'Checkpoint'], [CASES[9]!.record, 4, 'Stop'],
  ])('lifecycle line → Application Lifecycle activity %i (%s)', (record, id, name) => {
    const doc = ocsf(record);
    expect(doc).toMatchObject({ class_uid: 6002, activity_id: id, activity_name: name, app: { name: 'mcp-egress' } });
  });

  it('chain positions of header and checkpoint lines travel in unmapped', () => {
    expect(ocsf(CASES[6]!.record)['unmapped'].mcp_egress).toMatchObject({ kind: 'header', reason: 'start', pid: 4321, continues: { seq: 41 } });
    expect(ocsf(CASES[8]!.record)['unmapped'].mcp_egress).toMatchObject({ kind: 'checkpoint', checkpoint: { seq: 41, events: 1000 } });
  });
});
