/**
 * The token inventory: each signal raised exactly when its condition first holds (dormant: each time a
 * use comes after a dormant period, the boundary included), never again after a restart from stored
 * records, and everything bounded (names per record, records per inventory, least recently seen evicted).
 * Events are real audit events (buildAuditEvent over a request context), so the inventory's input type is
 * checked against the audit schema it reads.
 */
import { describe, expect, it } from 'vitest';
import { buildAuditEvent, type AuditEvent } from '../../../src/audit/event.js';
import { buildOutcome } from '../../../src/pipeline/run.js';
import type { CredentialSeen } from '../../../src/tokens/credential-detect.js';
import { createFingerprinter } from '../../../src/tokens/fingerprint.js';
import { createTokenInventory, MAX_NAMES, shortFingerprint, type TokenInventory } from '../../../src/tokens/inventory.js';
import type { TokenSignalKind } from '../../../src/tokens/signals.js';
import { httpsTarget, requestContext } from '../../helpers/context-factory.js';

const DAY = 86_400_000;
const DORMANT = 30 * DAY;
const T0 = Date.parse('2025-03-04T05:06:07.089Z');
const fingerprintOf = createFingerprinter(Buffer.alloc(32, 7));

interface Use {
  /** Which token (its fingerprint is derived from this name). */
  readonly token?: string;
  /** null: anonymous use. */
  readonly tool?: string | null;
  readonly principal?: string;
  readonly host?: string | null;
  readonly expired?: boolean;
  readonly id?: string;
  /** More tokens in the same request. */
  readonly alsoTokens?: readonly string[];
}

function credential(token: string, expired?: boolean): CredentialSeen {
  const base = { source: 'authorization' as const, scheme: 'bearer', kind: 'github_pat', fingerprint: fingerprintOf(token), hint: `ghp_…${token.slice(-4)}`, evidence: [] };
  return expired === undefined ? base : { ...base, kind: 'jwt', jwt: { exp: 1, expired } };
}

function eventOf(use: Use = {}): AuditEvent {
  const ctx = requestContext({ requestId: use.id ?? 'req-0001' });
  const tool = use.tool === undefined ? 'reader' : use.tool;
  ctx.identity = tool === null
    ? { tool: null, actor: { principal: 'anonymous', type: 'unknown', source: 'none' } }
    : { tool, actor: { principal: use.principal ?? `${tool}@example.test`, type: 'automation', source: 'config' } };
  const host = use.host === undefined ? 'api.example.test' : use.host;
  if (host !== null) ctx.target = httpsTarget({ host });
  ctx.credentials = [credential(use.token ?? 'token-a', use.expired), ...(use.alsoTokens ?? []).map((t) => credential(t))];
  return buildAuditEvent(buildOutcome(ctx));
}

const inventory = (overrides: Partial<Parameters<typeof createTokenInventory>[0]> = {}): TokenInventory =>
  createTokenInventory({ dormantAfterMs: DORMANT, ...overrides });
const at = (ms: number) => new Date(T0 + ms);
const kinds = (inv: TokenInventory, use: Use, ms = 0): TokenSignalKind[] => inv.observe(eventOf(use), at(ms)).map((s) => s.signal);

interface Step {
  readonly use?: Use;
  /** Milliseconds after T0. */
  readonly at?: number;
  readonly raises: readonly TokenSignalKind[];
}

describe('signals: each raised exactly when it should, and once', () => {
  const cases: { name: string; steps: Step[] }[] = [
    { name: 'a first use is new; the next is not', steps: [{ raises: ['new_token'] }, { raises: [] }] },
    { name: 'two tokens are two new tokens', steps: [{ raises: ['new_token'] }, { use: { token: 'token-b' }, raises: ['new_token'] }] },
    { name: 'two tokens in one request', steps: [{ use: { alsoTokens: ['token-b'] }, raises: ['new_token', 'new_token'] }] },
    { name: 'the same token twice in one request is one use', steps: [{ use: { alsoTokens: ['token-a'] }, raises: ['new_token'] }] },
    {
      name: 'two tools → shared, once',
      steps: [{ raises: ['new_token'] }, { use: { tool: 'ci-bot', principal: 'ci' }, raises: ['shared_token'] }, { use: { tool: 'third', principal: 'x' }, raises: [] }],
    },
    {
      name: 'two principals of one tool → shared, once',
      steps: [{ use: { principal: 'alice' }, raises: ['new_token'] }, { use: { principal: 'bob' }, raises: ['shared_token'] }, { use: { principal: 'carol' }, raises: [] }],
    },
    { name: 'a first use by any tool is only new', steps: [{ use: { tool: 'ci-bot' }, raises: ['new_token'] }] },
    {
      name: 'anonymous uses are counted but name no tool or principal: not shared',
      steps: [{ use: { tool: null }, raises: ['new_token'] }, { raises: [] }, { use: { tool: null }, raises: [] }],
    },
    { name: 'many hosts are not sharing', steps: [{ raises: ['new_token'] }, { use: { host: 'other.example.test' }, raises: [] }] },
    { name: 'expired on first use', steps: [{ use: { expired: true }, raises: ['new_token', 'expired_token_used'] }, { use: { expired: true }, raises: [] }] },
    { name: 'expired later', steps: [{ use: { expired: false }, raises: ['new_token'] }, { use: { expired: true }, raises: ['expired_token_used'] }, { use: { expired: true }, raises: [] }] },
    { name: 'a JWT not expired raises nothing more', steps: [{ use: { expired: false }, raises: ['new_token'] }, { use: { expired: false }, raises: [] }] },
    { name: 'dormant at exactly the boundary', steps: [{ raises: ['new_token'] }, { at: DORMANT, raises: ['dormant_token_reused'] }] },
    { name: 'not dormant 1 ms before it', steps: [{ raises: ['new_token'] }, { at: DORMANT - 1, raises: [] }] },
    {
      name: 'dormant each time it wakes, measured from the previous use',
      steps: [{ raises: ['new_token'] }, { at: DORMANT, raises: ['dormant_token_reused'] }, { at: DORMANT + DAY, raises: [] }, { at: 2 * DORMANT + DAY, raises: ['dormant_token_reused'] }],
    },
    {
      name: 'regular use keeps a token awake',
      steps: [{ raises: ['new_token'] }, { at: 20 * DAY, raises: [] }, { at: 40 * DAY, raises: [] }, { at: 60 * DAY, raises: [] }],
    },
    {
      name: 'all at once: dormant, shared and expired in one use',
      steps: [{ raises: ['new_token'] }, { at: DORMANT, use: { tool: 'ci-bot', expired: true }, raises: ['shared_token', 'expired_token_used', 'dormant_token_reused'] }],
    },
    { name: 'an event from the past never counts as dormant', steps: [{ at: DORMANT, raises: ['new_token'] }, { at: 0, raises: [] }] },
  ];

  it.each(cases)('$name', ({ steps }) => {
    const inv = inventory();
    for (const step of steps) expect(kinds(inv, step.use ?? {}, step.at ?? 0)).toEqual(step.raises);
  });
});

describe('signal content', () => {
  it('carries the record after the use, the trigger, and a summary naming names and counts, never a value', () => {
    const inv = inventory();
    inv.observe(eventOf({ id: 'req-1' }), at(0));
    const [shared] = inv.observe(eventOf({ id: 'req-2', tool: 'ci-bot', principal: 'ci', host: 'other.example.test' }), at(1000));
    expect(shared).toEqual({
      signal: 'shared_token',
      token: {
        fingerprint: fingerprintOf('token-a'),
        kind: 'github_pat',
        hint: 'ghp_…en-a',
        first_seen: at(0).toISOString(),
        last_seen: at(1000).toISOString(),
        count: 2,
        tools: ['ci-bot', 'reader'],
        principals: ['ci', 'reader@example.test'],
        hosts: ['api.example.test', 'other.example.test'],
      },
      trigger: { event_id: 'req-2', tool: 'ci-bot', principal: 'ci', actor_type: 'automation', host: 'other.example.test' },
      summary: 'github_pat token ghp_…en-a shared: used by 2 tools (ci-bot, reader) and 2 principals (ci, reader@example.test)',
    });
    expect(JSON.stringify(shared)).not.toContain('token-a');
  });

  it('dormant reuse names the previous use', () => {
    const inv = inventory();
    inv.observe(eventOf(), at(0));
    const [dormant] = inv.observe(eventOf({ id: 'req-9' }), at(45 * DAY));
    expect(dormant?.previous_use).toBe(at(0).toISOString());
    expect(dormant?.summary).toBe(
      `github_pat token ghp_…en-a reused by tool reader (principal reader@example.test) to api.example.test after 45 days unused (previous use ${at(0).toISOString()})`,
    );
  });

  it('a token without a hint is named by its short fingerprint; anonymous use is said so', () => {
    const inv = inventory();
    const event = eventOf({ tool: null, host: null });
    const noHint = { ...event, credentials: [{ ...event.credentials[0]!, hint: null }] };
    const [created] = inv.observe(noHint, at(0));
    expect(created?.summary).toBe(`github_pat token ${shortFingerprint(fingerprintOf('token-a'))} first used by an anonymous client`);
    expect(created?.token).toMatchObject({ count: 1, tools: [], principals: [], hosts: [] });
    expect('previous_use' in created!).toBe(false);
  });
});

describe('bounds', () => {
  it('caps tools, principals and hosts at MAX_NAMES each, sorted, and reports sharing once', () => {
    const inv = inventory();
    const raised: TokenSignalKind[] = [];
    for (let i = 0; i < MAX_NAMES + 8; i += 1) {
      const name = `t${String(i).padStart(2, '0')}`;
      raised.push(...kinds(inv, { tool: name, principal: `p-${name}`, host: `${name}.example.test` }, i));
    }
    expect(raised).toEqual(['new_token', 'shared_token']);
    const [record] = inv.records();
    expect(record?.count).toBe(MAX_NAMES + 8);
    for (const names of [record!.tools, record!.principals, record!.hosts]) {
      expect(names).toHaveLength(MAX_NAMES);
      expect([...names].sort()).toEqual(names);
    }
  });

  it('evicts the least recently seen record beyond maxRecords', () => {
    const inv = inventory({ maxRecords: 3 });
    for (const [i, token] of ['a', 'b', 'c', 'a', 'd'].entries()) inv.observe(eventOf({ token }), at(i));
    expect(inv.records().map((r) => r.fingerprint)).toEqual(['d', 'a', 'c'].map(fingerprintOf));
    // An evicted token is forgotten: its next use is new again.
    expect(kinds(inv, { token: 'b' }, 10)).toEqual(['new_token']);
    expect(inv.records()).toHaveLength(3);
  });

  it('keeps the most recent of more initial records than maxRecords', () => {
    const source = inventory();
    for (const [i, token] of ['a', 'b', 'c'].entries()) source.observe(eventOf({ token }), at(i));
    const restarted = inventory({ initial: source.records(), maxRecords: 2 });
    expect(restarted.records().map((r) => r.fingerprint)).toEqual(['c', 'b'].map(fingerprintOf));
  });

  it.each([{ dormantAfterMs: 0 }, { dormantAfterMs: Number.NaN }, { dormantAfterMs: DAY, maxRecords: 0 }])('refuses options %o', (options) => {
    expect(() => createTokenInventory(options)).toThrow(/token inventory/);
  });
});

describe('restart from initial records', () => {
  it('raises no signal for what the stored records already show, and keeps counting', () => {
    const before = inventory();
    before.observe(eventOf(), at(0));
    before.observe(eventOf({ tool: 'ci-bot' }), at(1));
    before.observe(eventOf({ token: 'token-b' }), at(2));
    const after = inventory({ initial: before.records() });
    expect(after.version()).toBe(0);
    expect(after.records()).toEqual(before.records());
    expect(kinds(after, {}, 3)).toEqual([]);
    expect(kinds(after, { tool: 'third' }, 4)).toEqual([]);
    expect(kinds(after, { token: 'token-b', tool: 'ci-bot' }, 5)).toEqual(['shared_token']);
    expect(after.records().find((r) => r.fingerprint === fingerprintOf('token-a'))?.count).toBe(4);
  });

  it('still reports a stored token that wakes after a dormant period', () => {
    const before = inventory();
    before.observe(eventOf(), at(0));
    const after = inventory({ initial: before.records() });
    expect(kinds(after, {}, DORMANT)).toEqual(['dormant_token_reused']);
  });
});

describe('records and version', () => {
  it('lists records most recently seen first, and last_seen never moves back', () => {
    const inv = inventory();
    inv.observe(eventOf({ token: 'a' }), at(10));
    inv.observe(eventOf({ token: 'b' }), at(20));
    inv.observe(eventOf({ token: 'a' }), at(5));
    expect(inv.records().map((r) => [r.fingerprint, r.last_seen, r.count])).toEqual([
      [fingerprintOf('b'), at(20).toISOString(), 1],
      [fingerprintOf('a'), at(10).toISOString(), 2],
    ]);
  });

  it('bumps the version on each change only', () => {
    const inv = inventory();
    expect(inv.version()).toBe(0);
    inv.observe(eventOf(), at(0));
    expect(inv.version()).toBe(1);
    inv.observe({ ...eventOf(), credentials: [] }, at(1));
    expect(inv.version()).toBe(1);
    inv.observe(eventOf(), at(2));
    expect(inv.version()).toBe(2);
  });

  it('hands out snapshots: changing one does not change the inventory', () => {
    const inv = inventory();
    inv.observe(eventOf(), at(0));
    const [record] = inv.records();
    expect(Object.isFrozen(record)).toBe(true);
    expect(Object.isFrozen(record?.tools)).toBe(true);
  });
});
