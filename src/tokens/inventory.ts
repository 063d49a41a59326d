/**
 * The token inventory: what is known about each credential seen (by keyed fingerprint only), and the
 * signals its uses raise (signals.ts). Pure: no file, no clock of its own — the caller passes each audit
 * event and the time, and persists `records()` when `version()` moves (state/token-inventory-store.ts).
 *
 * Bounded: each record keeps at most MAX_NAMES tools, principals and hosts (the first seen; later ones are
 * dropped, which cannot hide sharing: that is decided at 2), and the inventory at most `maxRecords`
 * records, evicting the least recently seen.
 *
 * What is "once": new_token and shared_token are implied by a record's content, so a restart from
 * `initial` never raises them again. expired_token_used is remembered for this process only (a record
 * does not say whether its last use was expired): after a restart, a still-used expired token is
 * reported once more.
 */
import type { JwtClaims } from './jwt-claims.js';
import type { TokenRecord, TokenSignal, TokenSignalKind } from './signals.js';

/**
 * The parts of an audit event (`mcp-egress.audit/1`) the inventory reads. Declared here, not imported,
 * because the domain does not depend on the audit layer; an AuditEvent is assignable to it.
 */
export interface ObservedEvent {
  readonly event_id: string;
  readonly tool: string | null;
  readonly actor: { readonly principal: string; readonly type: string };
  readonly request: { readonly host: string | null };
  readonly credentials: readonly ObservedCredential[];
}

export interface ObservedCredential {
  readonly fingerprint: string;
  readonly kind: string;
  readonly hint: string | null;
  readonly jwt?: Pick<JwtClaims, 'expired'>;
}

export interface TokenInventory {
  /** Counts each credential of the event (a fingerprint repeated within one event counts once). */
  observe(event: ObservedEvent, now: Date): TokenSignal[];
  /** Snapshots, most recently seen first. */
  records(): TokenRecord[];
  /** Bumps on every change: the store saves only when it moved. */
  version(): number;
}

export interface TokenInventoryOptions {
  readonly dormantAfterMs: number;
  readonly initial?: readonly TokenRecord[];
  readonly maxRecords?: number;
}

export const MAX_NAMES = 32;
export const DEFAULT_MAX_RECORDS = 50_000;
/** Names listed in a summary; the rest are counted ("+3 more"). */
const SUMMARY_NAMES = 5;

interface Entry {
  readonly fingerprint: string;
  kind: string;
  hint: string | null;
  readonly firstSeen: string;
  /** ISO text of the last use; null: not formatted yet (it is `lastSeenMs`, formatted only when read). */
  lastSeen: string | null;
  lastSeenMs: number;
  count: number;
  readonly tools: string[];
  readonly principals: string[];
  readonly hosts: string[];
  sharedReported: boolean;
  expiredReported: boolean;
}

type Trigger = TokenSignal['trigger'];

export function createTokenInventory(options: TokenInventoryOptions): TokenInventory {
  const { dormantAfterMs } = options;
  const maxRecords = options.maxRecords ?? DEFAULT_MAX_RECORDS;
  if (!Number.isFinite(dormantAfterMs) || dormantAfterMs <= 0) throw new Error('token inventory: dormantAfterMs must be a positive number');
  if (!Number.isSafeInteger(maxRecords) || maxRecords < 1) throw new Error('token inventory: maxRecords must be a positive integer');
  // Map order is recency order: a use moves its entry to the end, so the first key is the one to evict.
  const entries = new Map<string, Entry>();
  for (const record of oldestFirst(options.initial ?? []).slice(-maxRecords)) entries.set(record.fingerprint, entryOf(record));
  let version = 0;
  /** The fingerprint last moved to the end of `entries` (a run of one token's uses needs no reordering). */
  let newest: string | undefined;

  function observeOne(credential: ObservedCredential, event: ObservedEvent, now: Date): TokenSignal[] | null {
    const existing = entries.get(credential.fingerprint);
    const entry = existing ?? freshEntry(credential, now);
    const dormant = existing !== undefined && now.getTime() - entry.lastSeenMs >= dormantAfterMs;
    const previousUse = dormant ? lastSeenOf(entry) : null;
    recordUse(entry, credential, event, now);
    if (entry.fingerprint !== newest) {
      entries.delete(entry.fingerprint);
      entries.set(entry.fingerprint, entry);
      newest = entry.fingerprint;
    }
    if (existing === undefined) evictBeyond(entries, maxRecords);

    const isNew = existing === undefined;
    const shared = !entry.sharedReported && (entry.tools.length >= 2 || entry.principals.length >= 2);
    const expired = !entry.expiredReported && credential.jwt?.expired === true;
    // Most uses raise nothing: the record and trigger are built only for a signal.
    if (!isNew && !shared && !expired && previousUse === null) return null;
    if (shared) entry.sharedReported = true;
    if (expired) entry.expiredReported = true;
    const token = recordOf(entry);
    const trigger = triggerOf(event);
    const raised: TokenSignal[] = [];
    if (isNew) raised.push(signalOf('new_token', token, trigger));
    if (shared) raised.push(signalOf('shared_token', token, trigger));
    if (expired) raised.push(signalOf('expired_token_used', token, trigger));
    if (previousUse !== null) raised.push(signalOf('dormant_token_reused', token, trigger, previousUse));
    return raised;
  }

  return {
    observe(event, now) {
      const credentials = event.credentials;
      if (credentials.length === 0) return [];
      const signals: TokenSignal[] = [];
      for (const credential of credentials.length === 1 ? credentials : distinctCredentials(credentials)) {
        const raised = observeOne(credential, event, now);
        if (raised !== null) signals.push(...raised);
      }
      version += 1;
      return signals;
    },
    records: () => [...entries.values()].sort(entriesMostRecentFirst).map(recordOf),
    version: () => version,
  };
}

function recordUse(entry: Entry, credential: ObservedCredential, event: ObservedEvent, now: Date): void {
  entry.kind = credential.kind;
  if (credential.hint !== null) entry.hint = credential.hint;
  entry.count += 1;
  // Out-of-order events (an event finishing after a later one) never move last_seen backwards.
  const ms = now.getTime();
  if (ms >= entry.lastSeenMs) {
    // Formatted when read (a signal, records()): the same text now.toISOString() gives.
    entry.lastSeen = null;
    entry.lastSeenMs = ms;
  }
  // Anonymous use (no tool) is counted, but names no configured tool or principal.
  if (event.tool !== null) {
    addName(entry.tools, event.tool);
    addName(entry.principals, event.actor.principal);
  }
  if (event.request.host !== null) addName(entry.hosts, event.request.host);
}

/** Keeps the list sorted and at most MAX_NAMES long; a name beyond that is dropped. */
function addName(names: string[], name: string): void {
  if (names.length >= MAX_NAMES || names.includes(name)) return;
  names.push(name);
  names.sort();
}

function evictBeyond(entries: Map<string, Entry>, maxRecords: number): void {
  for (const fingerprint of entries.keys()) {
    if (entries.size <= maxRecords) return;
    entries.delete(fingerprint);
  }
}

/** One update per token: the same token sent twice in one request (header and query) is one use. */
function distinctCredentials(credentials: readonly ObservedCredential[]): ObservedCredential[] {
  const byFingerprint = new Map<string, ObservedCredential>();
  for (const credential of credentials) {
    const seen = byFingerprint.get(credential.fingerprint);
    if (seen === undefined || (credential.jwt?.expired === true && seen.jwt?.expired !== true)) byFingerprint.set(credential.fingerprint, credential);
  }
  return [...byFingerprint.values()];
}

function freshEntry(credential: ObservedCredential, now: Date): Entry {
  const time = now.toISOString();
  return {
    fingerprint: credential.fingerprint,
    kind: credential.kind,
    hint: credential.hint,
    firstSeen: time,
    lastSeen: time,
    lastSeenMs: now.getTime(),
    count: 0,
    tools: [],
    principals: [],
    hosts: [],
    sharedReported: false,
    expiredReported: false,
  };
}

/** A stored record: its sharing was reported when it was first shared (before it was saved). */
function entryOf(record: TokenRecord): Entry {
  const capped = (names: readonly string[]) => [...new Set(names)].sort().slice(0, MAX_NAMES);
  const tools = capped(record.tools);
  const principals = capped(record.principals);
  return {
    fingerprint: record.fingerprint,
    kind: record.kind,
    hint: record.hint,
    firstSeen: record.first_seen,
    lastSeen: record.last_seen,
    lastSeenMs: Date.parse(record.last_seen),
    count: record.count,
    tools,
    principals,
    hosts: capped(record.hosts),
    sharedReported: tools.length >= 2 || principals.length >= 2,
    expiredReported: false,
  };
}

function recordOf(entry: Entry): TokenRecord {
  return Object.freeze({
    fingerprint: entry.fingerprint,
    kind: entry.kind,
    hint: entry.hint,
    first_seen: entry.firstSeen,
    last_seen: lastSeenOf(entry),
    count: entry.count,
    tools: Object.freeze([...entry.tools]),
    principals: Object.freeze([...entry.principals]),
    hosts: Object.freeze([...entry.hosts]),
  });
}

function lastSeenOf(entry: Entry): string {
  entry.lastSeen ??= new Date(entry.lastSeenMs).toISOString();
  return entry.lastSeen;
}

function oldestFirst(records: readonly TokenRecord[]): TokenRecord[] {
  return [...records].sort((a, b) => mostRecentFirst(b, a));
}

function mostRecentFirst(a: TokenRecord, b: TokenRecord): number {
  return byTimeThenFingerprint(Date.parse(b.last_seen) - Date.parse(a.last_seen), a.fingerprint, b.fingerprint);
}

function entriesMostRecentFirst(a: Entry, b: Entry): number {
  return byTimeThenFingerprint(b.lastSeenMs - a.lastSeenMs, a.fingerprint, b.fingerprint);
}

function byTimeThenFingerprint(byTime: number, a: string, b: string): number {
  if (byTime !== 0) return byTime;
  return a < b ? -1 : a > b ? 1 : 0;
}

function triggerOf(event: ObservedEvent): Trigger {
  return { event_id: event.event_id, tool: event.tool, principal: event.actor.principal, actor_type: event.actor.type, host: event.request.host };
}

function signalOf(signal: TokenSignalKind, token: TokenRecord, trigger: Trigger, previousUse?: string): TokenSignal {
  const summary = summaryOf(signal, token, trigger, previousUse);
  return previousUse === undefined ? { signal, token, trigger, summary } : { signal, token, trigger, previous_use: previousUse, summary };
}

/** Names, counts and times only: the token is named by its hint (or a short fingerprint), never more. */
function summaryOf(signal: TokenSignalKind, token: TokenRecord, trigger: Trigger, previousUse?: string): string {
  const name = `${token.kind} token ${token.hint ?? shortFingerprint(token.fingerprint)}`;
  const by = trigger.tool === null ? 'an anonymous client' : `tool ${trigger.tool} (principal ${trigger.principal})`;
  const to = trigger.host === null ? '' : ` to ${trigger.host}`;
  switch (signal) {
    case 'new_token':
      return `${name} first used by ${by}${to}`;
    case 'shared_token':
      return `${name} shared: used by ${nameList('tool', token.tools)} and ${nameList('principal', token.principals)}`;
    case 'expired_token_used':
      return `${name} used after expiry by ${by}${to} (${token.count} use${token.count === 1 ? '' : 's'} so far)`;
    case 'dormant_token_reused':
      return `${name} reused by ${by}${to} after ${idleDays(previousUse, token.last_seen)} days unused (previous use ${previousUse ?? 'unknown'})`;
  }
}

function nameList(noun: string, names: readonly string[]): string {
  const shown = names.slice(0, SUMMARY_NAMES).join(', ');
  const more = names.length > SUMMARY_NAMES ? ` +${names.length - SUMMARY_NAMES} more` : '';
  return `${names.length} ${noun}${names.length === 1 ? '' : 's'}${names.length === 0 ? '' : ` (${shown}${more})`}`;
}

function idleDays(previousUse: string | undefined, lastSeen: string): number {
  if (previousUse === undefined) return 0;
  return Math.floor((Date.parse(lastSeen) - Date.parse(previousUse)) / 86_400_000);
}

/** `hmac-sha256:` and the first 16 hex digits: enough to find the record, as the CLI table shows it. */
export function shortFingerprint(fingerprint: string): string {
  const colon = fingerprint.indexOf(':');
  return colon === -1 ? fingerprint.slice(0, 16) : fingerprint.slice(0, colon + 17);
}
