/**
 * The inventory's cheap paths keep its meaning: last_seen is formatted only when read (the same text
 * now.toISOString() gives, also over a stored record that spelled the instant differently), a run of one
 * token's uses skips the reordering without changing which record is evicted, and uses that raise nothing
 * leave the records exactly as a use that raised something would.
 */
import { describe, expect, it } from 'vitest';
import { createTokenInventory, type ObservedEvent } from '../../../src/tokens/inventory.js';
import type { TokenRecord } from '../../../src/tokens/signals.js';

const DAY = 86_400_000;
const T0 = Date.parse('2025-03-04T05:06:07.089Z');
const at = (ms: number) => new Date(T0 + ms);

function use(token: string, tool = 'reader'): ObservedEvent {
  return {
    event_id: `req-${token}`,
    tool,
    actor: { principal: `${tool}@example.test`, type: 'automation' },
    request: { host: 'api.example.test' },
    credentials: [{ fingerprint: `hmac-sha256:${token}`, kind: 'github_pat', hint: null }],
  };
}

const stored = (fingerprint: string, lastSeen: string): TokenRecord => ({
  fingerprint, kind: 'github_pat', hint: null, first_seen: lastSeen, last_seen: lastSeen, count: 1, tools: ['reader'], principals: ['reader@example.test'], hosts: [],
});

describe('token inventory: recency and times', () => {
  it.each([
    ['a, a, b, c', ['a', 'a', 'b', 'c'], ['c', 'b']],
    ['b, a, a, c', ['b', 'a', 'a', 'c'], ['c', 'a']],
    ['a, b, b, a, c', ['a', 'b', 'b', 'a', 'c'], ['c', 'a']],
  ])('maxRecords 2, uses %s: the least recently used is evicted', (_name, tokens, kept) => {
    const inv = createTokenInventory({ dormantAfterMs: DAY, maxRecords: 2 });
    tokens.forEach((token, i) => inv.observe(use(token), at(i)));
    expect(inv.records().map((record) => record.fingerprint)).toEqual(kept.map((token) => `hmac-sha256:${token}`));
  });

  it('a run of one stored token after a restart still moves it ahead of the other stored records', () => {
    const inv = createTokenInventory({ dormantAfterMs: DAY, maxRecords: 2, initial: [stored('hmac-sha256:old', '2025-03-04T05:00:00.000Z'), stored('hmac-sha256:new', '2025-03-04T05:01:00.000Z')] });
    inv.observe(use('old'), at(0));
    inv.observe(use('old'), at(1));
    inv.observe(use('third'), at(2));
    expect(inv.records().map((record) => record.fingerprint)).toEqual(['hmac-sha256:third', 'hmac-sha256:old']);
  });

  it('last_seen is the use time as toISOString writes it, even where the stored record spelled it otherwise', () => {
    const spelled = '2025-03-04T06:06:07.089+01:00'; // the same instant as T0
    const inv = createTokenInventory({ dormantAfterMs: DAY, initial: [stored('hmac-sha256:a', spelled)] });
    expect(inv.records()[0]?.last_seen).toBe(spelled);
    inv.observe(use('a'), at(0));
    expect(inv.records()[0]?.last_seen).toBe(at(0).toISOString());
    inv.observe(use('a'), at(5));
    expect(inv.records()[0]).toMatchObject({ last_seen: at(5).toISOString(), count: 3 });
  });

  it('an older use (finished out of order) does not move last_seen back', () => {
    const inv = createTokenInventory({ dormantAfterMs: DAY });
    inv.observe(use('a'), at(10));
    inv.observe(use('a'), at(3));
    expect(inv.records()[0]).toMatchObject({ last_seen: at(10).toISOString(), count: 2 });
  });

  it('a dormant reuse names the previous use as it was recorded, and the signal carries the record after this use', () => {
    const inv = createTokenInventory({ dormantAfterMs: DAY });
    inv.observe(use('a'), at(0));
    inv.observe(use('a'), at(7));
    const [signal] = inv.observe(use('a'), at(7 + DAY));
    expect(signal).toMatchObject({ signal: 'dormant_token_reused', previous_use: at(7).toISOString(), token: { last_seen: at(7 + DAY).toISOString(), count: 3 } });
  });

  it('an event without credentials changes nothing, not even the version', () => {
    const inv = createTokenInventory({ dormantAfterMs: DAY });
    expect(inv.observe({ ...use('a'), credentials: [] }, at(0))).toEqual([]);
    expect([inv.version(), inv.records()]).toEqual([0, []]);
  });
});
