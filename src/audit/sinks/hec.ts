/**
 * The Splunk HTTP Event Collector sink (`/services/collector/event`). Every accepted line goes into the
 * on-disk spool first (spool.ts), connected or not; one sender sends the oldest `batchSize` entries as
 * concatenated HEC event objects, and acknowledges them in the spool only on HTTP 200 with `{"code":0}`.
 * One request at a time, oldest first: events arrive in order, and a resend after a lost response repeats
 * whole events with their `fields.seq`, so the receiver (or a search) can drop duplicates. Nothing leaves
 * the spool unacknowledged, so no event is lost while the spool has room; a full spool makes the sink
 * unhealthy (the fail-closed gate then refuses requests unless another sink can record).
 *
 * Failures: network errors, 5xx (503 "server busy" included), 429 and unexpected answers are retried with
 * exponential backoff. 400/401/403/404/413 are configuration errors (wrong token, disabled token, wrong
 * path, index not allowed): logged once, retried at the longest backoff so a fixed token starts delivery
 * again without a restart, while the spool keeps every event. The token goes only into the Authorization
 * header: never into a log field, an error message or the sink's name; URL credentials are dropped.
 */
import { hostname } from 'node:os';
import { Agent, request, type Dispatcher } from 'undici';
import type { AuditFormat, HttpSinkConfig } from '../../config/types.js';
import { createTrustContext } from '../../tls/trust-context.js';
import type { AuditSink, SinkDeps, SinkStatus } from '../sinks.js';
import { openSpool, type Spool, type SpoolEntry, type SpoolOptions } from '../spool.js';

export interface HecSinkOptions {
  /** First retry delay; doubles per failure up to `maxBackoffMs` (±20% jitter). */
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** How long close() lets delivery continue before leaving the rest in the spool. */
  readonly closeGraceMs?: number;
  readonly requestTimeoutMs?: number;
  readonly spool?: SpoolOptions;
}

const MAX_REQUEST_BYTES = 4 * 1024 * 1024;
const MAX_RESPONSE_BYTES = 64 * 1024;
const SOURCETYPE: Readonly<Record<AuditFormat, string>> = { native: 'mcp-egress:audit', ocsf: 'mcp-egress:ocsf', ecs: 'mcp-egress:ecs' };
const CONFIG_ERRORS = new Set([400, 401, 403, 404, 413]);

type Attempt = { readonly kind: 'delivered' } | { readonly kind: 'retry' | 'config'; readonly detail: Readonly<Record<string, unknown>> };

export function openHecSink(config: HttpSinkConfig, deps: SinkDeps, options: HecSinkOptions = {}): AuditSink {
  const endpoint = new URL(config.url);
  endpoint.username = '';
  endpoint.password = '';
  const name = `http:${endpoint.origin}${endpoint.pathname}`;
  // CA files are read now: an unreadable bundle fails start-up instead of every delivery.
  const dispatcher = new Agent({ connect: { secureContext: createTrustContext(config.ca), rejectUnauthorized: true } });
  const spool = openSpool(config.spool, { log: deps.log, ...options.spool });
  const sender = new HecSender({ config, deps, options, endpoint: endpoint.href, name, dispatcher, spool });
  return {
    name,
    type: 'http',
    format: config.format,
    write: (line, seq) => sender.accept(line, seq),
    healthy: () => sender.healthy(),
    flush: () => spool.flush(),
    close: () => sender.close(),
    status: () => sender.status(),
  };
}

interface SenderParts {
  readonly config: HttpSinkConfig;
  readonly deps: SinkDeps;
  readonly options: HecSinkOptions;
  readonly endpoint: string;
  readonly name: string;
  readonly dispatcher: Dispatcher;
  readonly spool: Spool;
}

class HecSender {
  private timer: NodeJS.Timeout | null = null;
  /** The pending timer sends at once (a full batch): later events need not re-arm it. */
  private timerImmediate = false;
  /** Set while waiting out a failure: new events do not cut the backoff short. */
  private backingOff = false;
  private failures = 0;
  /** The receiver refused the configuration (token, URL, index): retry at the longest backoff. */
  private configError = false;
  private connected = true;
  /** The last delivered batch was full: more backlog is likely, send the next one at once. */
  private lastBatchFull = false;
  /** An append was refused (spool full): unhealthy until an acknowledgement makes room. */
  private refused = false;
  private closed = false;
  private inFlight: Promise<void> | null = null;
  private abort: AbortController | null = null;

  constructor(private readonly parts: SenderParts) {
    if (parts.spool.depth().events > 0) this.schedule(0); // resend what the last run left in the spool
  }

  accept(line: string, seq: number): boolean {
    if (this.closed) return false;
    if (!this.parts.spool.append(line, seq)) {
      if (!this.refused) this.parts.deps.log('error', 'audit sink: spool full; events for this sink are refused until the receiver takes some', { sink: this.parts.name });
      this.refused = true;
      return false;
    }
    if (this.inFlight === null && !this.backingOff) {
      const full = this.parts.spool.depth().events >= this.parts.config.batchSize;
      if (full && !(this.timer !== null && this.timerImmediate)) this.schedule(0);
      else if (this.timer === null) this.schedule(this.parts.config.flushIntervalMs);
    }
    return true;
  }

  healthy(): boolean {
    return !this.closed && !this.refused && this.parts.spool.room() > 0;
  }

  status(): SinkStatus {
    const { events, bytes } = this.parts.spool.depth();
    return { spooledEvents: events, spooledBytes: bytes, connected: this.connected };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.clearTimer();
    const deadline = Date.now() + (this.parts.options.closeGraceMs ?? 2000);
    const giveUp = setTimeout(() => this.abort?.abort(), Math.max(0, deadline - Date.now()));
    try {
      // Deliver what is spooled while the receiver answers and the grace lasts; the rest waits for the next start.
      for (let round = 0; round < 10_000 && Date.now() < deadline; round++) {
        if (this.inFlight !== null) await this.inFlight;
        if (this.backingOff || this.parts.spool.depth().events === 0 || Date.now() >= deadline) break;
        this.inFlight = this.sendOne();
        await this.inFlight;
        if (this.failures > 0) break;
      }
    } finally {
      clearTimeout(giveUp);
      this.parts.spool.close();
      await this.parts.dispatcher.destroy();
    }
  }

  private schedule(delayMs: number): void {
    this.clearTimer();
    this.timerImmediate = delayMs === 0;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.backingOff = false;
      const next = (): void => this.next();
      this.inFlight = this.sendOne().then(next, (error: unknown) => {
        // Not expected (post() turns every failure into an attempt); logged so a stuck sender is visible.
        this.failures += 1;
        this.parts.deps.log('error', 'audit sink: HEC sender failed', { sink: this.parts.name, error: error instanceof Error ? error.name : 'unknown' });
        next();
      });
    }, delayMs);
    this.timer.unref();
  }

  /** After a send: drain the backlog at once, wait for a full batch or the flush interval, or back off. */
  private next(): void {
    this.inFlight = null;
    if (this.closed) return;
    const { events } = this.parts.spool.depth();
    if (this.failures > 0) {
      this.backingOff = true;
      this.schedule(this.backoffMs());
    } else if (events >= this.parts.config.batchSize || (events > 0 && this.lastBatchFull)) {
      this.schedule(0);
    } else if (events > 0) {
      this.schedule(this.parts.config.flushIntervalMs);
    }
  }

  private async sendOne(): Promise<void> {
    const { spool, config } = this.parts;
    const batch = spool.peek(config.batchSize, MAX_REQUEST_BYTES);
    if (batch.length === 0) return;
    this.abort = new AbortController();
    try {
      const attempt = await this.post(hecBody(batch, config.format), this.abort.signal);
      this.record(attempt, batch);
    } finally {
      this.abort = null;
    }
  }

  private record(attempt: Attempt, batch: readonly SpoolEntry[]): void {
    const { spool, deps, name, config } = this.parts;
    if (attempt.kind === 'delivered') {
      spool.ack(batch[batch.length - 1]!.seq);
      this.refused = false;
      if (!this.connected || this.failures > 0) deps.log('info', 'audit sink: HEC receiver accepts events again', { sink: name, backlog: spool.depth().events });
      this.connected = true;
      this.failures = 0;
      this.configError = false;
      this.lastBatchFull = batch.length >= config.batchSize;
      return;
    }
    this.failures += 1;
    if (attempt.kind === 'config') {
      // Logged once per episode; retried at the longest backoff: a person has to fix something.
      if (!this.configError) deps.log('error', 'audit sink: HEC refused the events (check the token, URL and index); they stay spooled', { sink: name, ...attempt.detail });
      this.configError = true;
    } else if (this.connected) {
      deps.log('warn', 'audit sink: HEC receiver unavailable; spooling and retrying', { sink: name, ...attempt.detail });
    }
    this.connected = false;
  }

  private async post(body: string, signal: AbortSignal): Promise<Attempt> {
    const { endpoint, dispatcher, config, options } = this.parts;
    const timeout = options.requestTimeoutMs ?? 10_000;
    try {
      const response = await request(endpoint, {
        method: 'POST', dispatcher, signal, body, headersTimeout: timeout, bodyTimeout: timeout,
        headers: { authorization: `Splunk ${config.token}`, 'content-type': 'application/json' },
      });
      const text = await readBounded(response.body);
      const code = hecCode(text);
      if (response.statusCode === 200 && code === 0) return { kind: 'delivered' };
      const detail = { status: response.statusCode, hecCode: code };
      return { kind: CONFIG_ERRORS.has(response.statusCode) ? 'config' : 'retry', detail };
    } catch (error) {
      // The code only (ECONNREFUSED, UND_ERR_CONNECT_TIMEOUT, ...): messages can carry addresses and URLs.
      return { kind: 'retry', detail: { error: (error as { code?: unknown }).code ?? 'request failed' } };
    }
  }

  private backoffMs(): number {
    const min = this.parts.options.minBackoffMs ?? 500;
    const max = this.parts.options.maxBackoffMs ?? 30_000;
    const base = this.configError ? max : Math.min(max, min * 2 ** Math.min(this.failures - 1, 30));
    return Math.round(base * (0.8 + Math.random() * 0.4));
  }

  private clearTimer(): void {
    if (this.timer === null) return;
    clearTimeout(this.timer);
    this.timer = null;
  }
}

/** Concatenated HEC event objects, one per line; `event` is the audit line itself, parsed. */
export function hecBody(batch: readonly SpoolEntry[], format: AuditFormat): string {
  const host = hostname();
  return batch
    .map(({ seq, line }) => {
      const event = parseLine(line);
      return JSON.stringify({ time: epochSeconds(event), host, source: 'mcp-egress', sourcetype: SOURCETYPE[format], event, fields: { seq } });
    })
    .join('\n');
}

function parseLine(line: string): unknown {
  try {
    return JSON.parse(line) as unknown;
  } catch {
    return line.trimEnd(); // cannot happen for lines the audit log wrote; sent as text rather than stuck forever
  }
}

/** The event's own time (native/OCSF `time`, ECS `@timestamp`) in epoch seconds; now when it has none. */
function epochSeconds(event: unknown): number {
  const record = typeof event === 'object' && event !== null ? (event as Record<string, unknown>) : {};
  const value = record['time'] ?? record['@timestamp'];
  const ms = typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : Number.NaN;
  return (Number.isFinite(ms) ? ms : Date.now()) / 1000;
}

function hecCode(text: string): number | null {
  try {
    const code = (JSON.parse(text) as { code?: unknown }).code;
    return typeof code === 'number' ? code : null;
  } catch {
    return null;
  }
}

async function readBounded(body: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of body) {
    if (bytes < MAX_RESPONSE_BYTES) chunks.push(chunk);
    bytes += chunk.length;
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, MAX_RESPONSE_BYTES);
}
