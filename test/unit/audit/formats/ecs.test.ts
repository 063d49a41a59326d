/**
 * ECS documents against the ECS field definitions of @elastic/ecs: every field outside `mcp_egress.*`
 * exists with a compatible type, arrays only where ECS normalizes to an array, event.kind / category /
 * type / outcome hold allowed values, and each category/type pairing is one ECS expects.
 */
import { isIP } from 'node:net';
import { EcsFlat, EcsVersion } from '@elastic/ecs';
import { describe, expect, it } from 'vitest';
import { ECS_VERSION, toEcs } from '../../../../src/audit/formats/ecs.js';
import { alertEvent, allowedEvent, CASES, CHAIN, connectEvent, CONTEXT, deniedEvent, refusalEvent, wouldDenyEvent } from './records.js';

type Doc = Record<string, any>;
interface FieldDef { readonly type: string; readonly normalize?: readonly string[]; readonly allowed_values?: readonly { name: string; expected_event_types?: readonly string[] }[] }
const FIELDS = EcsFlat as unknown as Readonly<Record<string, FieldDef>>;
const ecs = (record: Parameters<typeof toEcs>[0]): Doc => toEcs(record, CHAIN, CONTEXT);

/** Leaf paths: objects are walked, arrays and primitives are values. */
function leaves(doc: Doc, prefix = ''): [string, unknown][] {
  return Object.entries(doc).flatMap(([key, value]) => {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? leaves(value as Doc, path) : [[path, value] as [string, unknown]];
  });
}

const STRING_TYPES = new Set(['keyword', 'wildcard', 'match_only_text', 'text', 'constant_keyword']);
function typeError(def: FieldDef, value: unknown): string | undefined {
  if (STRING_TYPES.has(def.type)) return typeof value === 'string' ? undefined : 'expected a string';
  if (['long', 'integer', 'short', 'byte', 'unsigned_long'].includes(def.type)) return Number.isInteger(value) ? undefined : 'expected an integer';
  if (['float', 'double', 'scaled_float'].includes(def.type)) return typeof value === 'number' ? undefined : 'expected a number';
  if (def.type === 'date') return typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? undefined : 'expected a date';
  if (def.type === 'ip') return typeof value === 'string' && isIP(value) !== 0 ? undefined : 'expected an IP';
  if (def.type === 'boolean') return typeof value === 'boolean' ? undefined : 'expected a boolean';
  return `no check for ECS type ${def.type}`;
}

function validateEcs(doc: Doc): string[] {
  const errors: string[] = [];
  for (const [path, value] of leaves(doc)) {
    if (path.startsWith('mcp_egress.')) continue;
    const def = FIELDS[path];
    if (def === undefined) { errors.push(`${path}: not an ECS field`); continue; }
    const isArray = def.normalize?.includes('array') === true;
    if (Array.isArray(value) !== isArray) errors.push(`${path}: ${isArray ? 'ECS expects an array' : 'not an array field'}`);
    for (const item of Array.isArray(value) ? value : [value]) {
      const error = typeError(def, item);
      if (error !== undefined) errors.push(`${path}: ${error}`);
      const allowed = def.allowed_values?.map((entry) => entry.name);
      if (allowed !== undefined && !allowed.includes(String(item))) errors.push(`${path}: ${String(item)} is not an allowed value`);
    }
  }
  return [...errors, ...categoryTypeErrors(doc['event'] as Doc)];
}

/** Every type is expected by one of the categories, and every category expects one of the types. */
function categoryTypeErrors(event: Doc): string[] {
  const expectedBy = new Map((FIELDS['event.category']?.allowed_values ?? []).map((entry) => [entry.name, entry.expected_event_types ?? []]));
  const categories = event['category'] as string[];
  const types = event['type'] as string[];
  const errors = types.filter((type) => !categories.some((c) => expectedBy.get(c)?.includes(type))).map((type) => `event.type ${type} fits none of ${categories.join(', ')}`);
  return [...errors, ...categories.filter((c) => !types.some((type) => expectedBy.get(c)?.includes(type))).map((c) => `event.category ${c} has none of its types`)];
}

describe('toEcs: ECS field definitions', () => {
  it('targets the ECS version of the @elastic/ecs package', () => {
    expect(ECS_VERSION).toBe(EcsVersion);
  });

  it.each(CASES)('$name uses only ECS fields with ECS types and allowed values', ({ record }) => {
    expect(validateEcs(ecs(record))).toEqual([]);
  });

  it.each(CASES)('$name carries seq and prev_hash (event.sequence and mcp_egress)', ({ record }) => {
    const doc = ecs(record);
    expect(doc['event'].sequence).toBe(CHAIN.seq);
    expect(doc['mcp_egress']).toMatchObject({ seq: CHAIN.seq, prev_hash: CHAIN.prev_hash });
    expect(doc['ecs']).toEqual({ version: EcsVersion });
  });

  it('the validator is not vacuous: it rejects an unknown field, a wrong type and a disallowed value', () => {
    const doc = ecs({ kind: 'request', event: allowedEvent() });
    const broken = { ...doc, bogus: 1, http: { request: { bytes: 'many' } }, event: { ...doc['event'], kind: 'happening', type: ['access', 'installation'] } };
    expect(validateEcs(broken)).toEqual(expect.arrayContaining([
      'bogus: not an ECS field', 'http.request.bytes: expected an integer', 'event.kind: happening is not an allowed value', 'event.type installation fits none of network, web',
    ]));
  });
});

describe('toEcs: mapping', () => {
  it('maps an allowed request field by field', () => {
    expect(ecs({ kind: 'request', event: allowedEvent() })).toMatchObject({
      '@timestamp': '2025-03-04T05:06:07.089Z',
      event: { kind: 'event', category: ['network', 'web'], type: ['access', 'allowed'], action: 'allow', outcome: 'success', id: 'req-0001', duration: 4_250_000, reason: 'rule_matched' },
      url: { scheme: 'https', domain: 'api.example.test', port: 443, path: '/v1/items', query: 'page=2&access_token=[REDACTED]', full: 'https://api.example.test/v1/items?page=2&access_token=[REDACTED]' },
      http: { request: { method: 'GET', bytes: 12 }, response: { status_code: 200, bytes: 345 } },
      source: { ip: '127.0.0.1', port: 50_123 },
      destination: { domain: 'api.example.test', ip: '203.0.113.7', port: 443 },
      user: { name: 'reader@example.test' },
      observer: { hostname: CONTEXT.hostname, product: 'mcp-egress', type: 'proxy' },
      rule: { id: 'reader#0' },
      mcp_egress: { tool: 'reader', actor: { type: 'automation', conflict: false }, decision: { action: 'allow' } },
    });
  });

  it.each([
    ['allow', allowedEvent(), ['access', 'allowed'], 'success'],
    ['deny', deniedEvent(), ['access', 'denied'], 'failure'],
    ['would_deny', wouldDenyEvent(), ['access', 'allowed'], 'success'],
    ['connect', connectEvent(), ['access', 'allowed'], 'success'],
    ['refusal', refusalEvent(), ['access', 'denied'], 'failure'],
  ])('%s → event.type %j, outcome %s', (_name, event, type, outcome) => {
    expect(ecs({ kind: 'request', event }).event).toMatchObject({ type, outcome });
  });

  it('a refusal before anything was known has no url or destination', () => {
    const doc = ecs({ kind: 'request', event: refusalEvent() });
    expect(doc).not.toHaveProperty('url');
    expect(doc).not.toHaveProperty('destination');
    expect(doc['http']).toEqual({ request: { id: 'req-0001', method: 'UNKNOWN', bytes: 0 }, response: { bytes: 0 } });
  });

  it('an alert is event.kind alert with a numeric severity', () => {
    expect(ecs({ kind: 'alert', event: alertEvent() })).toMatchObject({
      event: { kind: 'alert', category: ['authentication'], type: ['info'], action: 'shared_token', severity: 73 },
      user: { name: 'writer@example.test' },
      mcp_egress: { signal: 'shared_token', token: { fingerprint: alertEvent().token.fingerprint } },
    });
  });

  it.each([
    [CASES[6]!.record, 'event', ['start']], [CASES[7]!.record, 'event', ['change']], [CASES[8]!.record, 'state', ['info']], [CASES[9]!.record, 'state', ['end']],
  ])('lifecycle line → event.kind %s', (record, kind, type) => {
    expect(ecs(record)['event']).toMatchObject({ kind, category: ['process'], type });
  });
});
