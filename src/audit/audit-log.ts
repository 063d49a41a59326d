/**
 * The audit observer: one event per Outcome to every sink. It never throws into the request path; a
 * sink's failure is visible through `healthy()`, which the fail-closed gate and /readyz consult.
 *
 * Every line is a link of the tamper-evidence chain (chain.ts): a header line when the log opens (where
 * the chain continues from), the events, and checkpoint lines every N events or T seconds and at close,
 * so a file cut short is visible against any copy that holds a later checkpoint (SIEM, stdout sink).
 */
import { hostname } from 'node:os';
import type { Outcome } from '../pipeline/context.js';
import { createChain, GENESIS, type ChainPosition } from './chain.js';
import type { RecoveredChain } from './chain-state.js';
import { AUDIT_SCHEMA, buildAuditEvent, type AuditEvent } from './event.js';
import { auditEventJson } from './event-json.js';
import type { TokenSignal } from '../tokens/signals.js';
import { buildAlertEvent } from './alert-event.js';
import { formatRecord, type AuditRecord, type ChainRef, type ForeignFormat, type LifecycleBody } from './formats/index.js';
import { createNativeLineWriter, takesUtf8, utf8ScrubOf, type NativeLine, type Utf8Scrub } from './native-line.js';
import type { AuditSink } from './sinks.js';
import { VERSION } from '../version.js';

export interface AuditLog {
  observe(outcome: Outcome): void;
  /** Records a token signal as an alert event (kind "alert") in every sink. */
  alert(signal: TokenSignal): void;
  /** True while at least one sink can record. */
  healthy(): boolean;
  flush(): void;
  close(): Promise<void>;
  /** SIGHUP: file sinks reopen their paths (after an external rotation); a header line starts each new file. */
  reopen(): void;
  /** The last line written to the chain (seq and hash). */
  position(): ChainPosition;
}

export interface AuditChainOptions {
  /** Where the chain continues from (chain-state.ts `recoverChain`); the genesis when absent. */
  readonly start?: RecoveredChain;
  /** Persists the running position (data dir); errors are swallowed, the file tail is the better witness. */
  readonly persist?: (position: ChainPosition) => void;
  readonly checkpointEvery?: number;
  readonly checkpointIntervalMs?: number;
  readonly persistIntervalMs?: number;
  readonly now?: () => Date;
}

/**
 * Scrubs a serialized line with the secret scanner. `utf8`, when present, is the same scrub on the line's
 * UTF-8 bytes (createLineScrubber has it): native lines are encoded once and scanned as bytes.
 */
export interface AuditScrub {
  (line: string): string;
  readonly utf8?: Utf8Scrub;
}

export interface AuditLogOptions {
  /** Scrubs the serialized line with the secret scanner: no secret reaches a sink, whatever field held it. */
  readonly scrub: AuditScrub;
  readonly onEvent?: (event: AuditEvent) => void;
  /** Every line handed to a sink, and whether the sink accepted it (telemetry counts both). */
  readonly onWrite?: (sink: AuditSink, accepted: boolean) => void;
  /** A request event or alert that no sink accepted: lost (only possible with onAuditFailure: open). */
  readonly onLost?: (kind: 'request' | 'alert') => void;
  readonly chain?: AuditChainOptions;
}

export const CHECKPOINT_EVERY = 1000;
export const CHECKPOINT_INTERVAL_MS = 60_000;
export const PERSIST_INTERVAL_MS = 1000;
const PROCESS_START = new Date(Date.now() - Math.round(process.uptime() * 1000));

export function createAuditLog(sinks: readonly AuditSink[], options: AuditLogOptions): AuditLog {
  const { scrub, onEvent } = options;
  const settings = options.chain ?? {};
  const now = settings.now ?? (() => new Date());
  const start = settings.start ?? { position: GENESIS, source: 'genesis', stateSeq: null, partialTails: [] };
  const chain = createChain(start.position);
  const checkpointEvery = settings.checkpointEvery ?? CHECKPOINT_EVERY;
  let sinceCheckpoint = 0;
  let persisted = start.position.seq;
  let closed = false;

  const foreign = [...new Set(sinks.map((sink) => sink.format).filter((format): format is ForeignFormat => format !== 'native'))];
  const formatContext = { productVersion: VERSION, hostname: hostname() };
  const lines = createNativeLineWriter(chain, scrub.utf8 ?? utf8ScrubOf(scrub));
  // A sink that takes bytes (the file sink) gets the native line as encoded; any other gets its text.
  const writeNative = sinks.map((sink): ((line: NativeLine, seq: number) => boolean) =>
    takesUtf8(sink) ? (line, seq) => sink.writeUtf8(line.bytes, seq) : (line, seq) => sink.write(line.text(), seq),
  );
  // One chain link per record; each sink gets the record in its own format, with the same seq. The body
  // is scrubbed here (`scrubbed`), lifecycle lines are not: they hold nothing from traffic.
  const emit = (body: string, scrubbed: boolean, record: () => AuditRecord): boolean => {
    const prev = chain.position();
    const native = lines.append(body, scrubbed);
    const seq = prev.seq + 1;
    const foreignLines = foreign.length === 0 ? null : formatForeign(record(), { seq, prev_hash: prev.hash });
    let accepted = false;
    for (let index = 0; index < sinks.length; index++) {
      const sink = sinks[index]!;
      const foreignLine = foreignLines?.get(sink.format);
      // Not gated on healthy(): a request let in before a sink filled up still gets its event accepted when
      // the sink can take it (healthy() keeps headroom); write() itself says when it cannot.
      const ok = foreignLine === undefined ? writeNative[index]!(native, seq) : sink.write(foreignLine, seq);
      options.onWrite?.(sink, ok);
      accepted ||= ok;
    }
    return accepted;
  };
  const formatForeign = (record: AuditRecord, link: ChainRef): Map<string, string> =>
    new Map(foreign.map((format) => [format, `${scrub(JSON.stringify(formatRecord(format, record, link, formatContext)))}\n`]));
  const emitLifecycle = (body: LifecycleBody): void => {
    emit(JSON.stringify(body), false, () => ({ kind: 'lifecycle', body }));
  };
  const checkpoint = (reason: 'count' | 'interval' | 'shutdown'): void => {
    const { seq, hash } = chain.position();
    emitLifecycle({ schema: AUDIT_SCHEMA, kind: 'checkpoint', time: now().toISOString(), reason, checkpoint: { seq, hash, events: sinceCheckpoint } });
    sinceCheckpoint = 0;
  };
  const persist = (): void => {
    const position = chain.position();
    if (settings.persist === undefined || position.seq === persisted) return;
    try {
      settings.persist(position);
      persisted = position.seq;
    } catch {
      // Best effort: the next start recovers from the file's last whole line when it can.
    }
  };

  // Every file starts with a header line; after a rotation it continues the chain from the last line.
  const startFile = (reason: 'start' | 'rotation' | 'reopen'): void => {
    emitLifecycle(headerBody(start, now(), reason, chain.position()));
  };
  // Asked before every event: no allocation unless a file is due.
  const rotateIfDue = (): void => {
    if (!sinks.some((sink) => sink.rotationDue?.() === true)) return;
    for (const sink of sinks) if (sink.rotationDue?.() === true) sink.reopen?.(true);
    startFile('rotation');
  };
  startFile('start');
  const checkpointTimer = setInterval(() => {
    if (sinceCheckpoint > 0) checkpoint('interval');
  }, settings.checkpointIntervalMs ?? CHECKPOINT_INTERVAL_MS);
  const persistTimer = setInterval(persist, settings.persistIntervalMs ?? PERSIST_INTERVAL_MS);
  checkpointTimer.unref();
  persistTimer.unref();

  return {
    observe(outcome) {
      if (closed) return;
      const event = buildAuditEvent(outcome);
      rotateIfDue();
      if (!emit(auditEventJson(event), true, () => ({ kind: 'request', event }))) options.onLost?.('request');
      sinceCheckpoint += 1;
      if (sinceCheckpoint >= checkpointEvery) checkpoint('count');
      onEvent?.(event);
    },
    alert(signal) {
      if (closed) return;
      const event = buildAlertEvent(signal, now());
      rotateIfDue();
      if (!emit(JSON.stringify(event), true, () => ({ kind: 'alert', event }))) options.onLost?.('alert');
    },
    reopen() {
      if (closed) return;
      const files = sinks.filter((sink) => sink.reopen !== undefined);
      if (files.length === 0) return;
      for (const sink of files) sink.reopen?.(false);
      startFile('reopen');
    },
    healthy: () => sinks.some((sink) => sink.healthy()),
    flush() {
      for (const sink of sinks) sink.flush();
      persist();
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(checkpointTimer);
      clearInterval(persistTimer);
      checkpoint('shutdown');
      // File sinks finish synchronously inside close(); network sinks get their grace concurrently.
      const closing = sinks.map((sink) => sink.close());
      persist();
      await Promise.all(closing);
    },
    position: () => chain.position(),
  };
}

/**
 * The first line of every file: who writes, since when, and where the chain continues from. At start
 * that is the recovered position; after a rotation or reopen, the last line of the previous file.
 */
function headerBody(start: RecoveredChain, time: Date, reason: 'start' | 'rotation' | 'reopen', current: ChainPosition): LifecycleBody {
  const atStart = reason === 'start';
  return {
    schema: AUDIT_SCHEMA,
    kind: 'header',
    time: time.toISOString(),
    reason,
    host: hostname(),
    pid: process.pid,
    process_start: PROCESS_START.toISOString(),
    continues: atStart ? { seq: start.position.seq, hash: start.position.hash, source: start.source } : { seq: current.seq, hash: current.hash, source: 'running' },
    // The state file said the chain had gone further than any file shows: lines hashed, never written.
    state_seq: atStart ? start.stateSeq : null,
    partial_tails: atStart ? start.partialTails : [],
  };
}
