/**
 * One request sent upstream through an undici pool, its response handed back as an `UpstreamResponse`:
 * the status and raw header list, and the body as a Readable that undici fills. Backpressure runs both
 * ways: undici pauses reading the upstream socket while the body's buffer is full, and reads the request
 * body only as fast as the upstream socket takes it.
 *
 * Timeouts: undici's headers and body timeouts (the response timeout) end an upstream that goes quiet.
 * undici does not time a body it was told to pause, so a client that stops reading is timed here: paused
 * for longer than the response timeout ends the exchange as the client's fault.
 */
import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { UpstreamTimeoutError } from './upstream-errors.js';

/** A response head: what the scrub decisions read. */
export interface UpstreamHead {
  readonly statusCode: number;
  readonly statusMessage: string;
  /** [name, value, name, value, …] as received, order and case kept. */
  readonly rawHeaders: readonly string[];
  /** The framing headers the scrub decisions need (lowercase name, first value). */
  readonly contentLength: string | undefined;
  readonly transferEncoding: string | undefined;
}

/** A head with its body as a stream: what the stream stages of response-scrub.ts read. */
export interface StreamedResponse extends UpstreamHead {
  readonly body: Readable;
}

export interface UpstreamResponse extends StreamedResponse {
  /** The body as a stream (made on first use; what arrived before is in it). */
  readonly body: Readable;
  /**
   * The whole body as one buffer, without a stream (for small bodies of declared length). Use either this
   * or `body`, not both. Rejects with what ended the exchange.
   */
  readWhole(): Promise<Buffer>;
}

export interface ExchangeRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: string[];
  readonly body: Buffer | AsyncIterable<Buffer> | null;
  readonly responseTimeoutMs: number;
}

/**
 * Sends the request; resolves with the response head (the body streams on), rejects with the error that
 * ended the exchange before a response arrived. `abort` ends it from our side at any point.
 */
export function exchange(dispatcher: Dispatcher, request: ExchangeRequest): { response: Promise<UpstreamResponse>; abort: (error: Error) => void } {
  const handler = new ExchangeHandler(request.responseTimeoutMs);
  const response = new Promise<UpstreamResponse>((resolve, reject) => handler.bind(resolve, reject));
  dispatcher.dispatch(
    {
      method: request.method as Dispatcher.HttpMethod,
      path: request.path,
      headers: request.headers,
      // undici takes async iterables as bodies (documented; its type declaration leaves them out).
      body: request.body as Buffer | null,
      headersTimeout: request.responseTimeoutMs,
      bodyTimeout: request.responseTimeoutMs,
      reset: false,
    },
    handler,
  );
  return { response, abort: (error) => handler.abortWith(error) };
}

class UpstreamBody extends Readable {
  constructor(private readonly owner: ExchangeHandler) {
    super();
  }
  override _read(): void {
    this.owner.resumeReading();
  }
  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.owner.bodyDestroyed(error);
    callback(error);
  }
}

/** The response handed to the forwarder: its body is a stream only when asked for one. */
class ExchangeResponse implements UpstreamResponse {
  constructor(
    private readonly handler: ExchangeHandler,
    readonly statusCode: number,
    readonly statusMessage: string,
    readonly rawHeaders: readonly string[],
    readonly contentLength: string | undefined,
    readonly transferEncoding: string | undefined,
  ) {}
  get body(): Readable {
    return this.handler.streamBody();
  }
  readWhole(): Promise<Buffer> {
    return this.handler.collectBody();
  }
}

// What arrives before the forwarder chose how to read the body is held, up to this much before pausing.
const HELD_BEFORE_CHOICE = 64 * 1024;

/** undici's handler contract (onConnect, onHeaders, onData, onComplete, onError), one per exchange. */
class ExchangeHandler implements Dispatcher.DispatchHandler {
  private resolve: ((response: UpstreamResponse) => void) | null = null;
  private reject: ((error: Error) => void) | null = null;
  private abortUpstream: ((error?: Error) => void) | null = null;
  private pendingAbort: Error | null = null;
  private resumeUpstream: (() => void) | null = null;
  private body: UpstreamBody | null = null;
  /** Chunks not yet handed to a stream or a collector. */
  private held: Buffer[] = [];
  private heldBytes = 0;
  private collector: { resolve: (body: Buffer) => void; reject: (error: Error) => void } | null = null;
  private failure: Error | null = null;
  private done = false;
  private pausedAt: number | null = null;
  private stallTimer: NodeJS.Timeout | null = null;

  constructor(private readonly responseTimeoutMs: number) {}

  bind(resolve: (response: UpstreamResponse) => void, reject: (error: Error) => void): void {
    this.resolve = resolve;
    this.reject = reject;
  }

  onConnect(abort: (error?: Error) => void): void {
    this.abortUpstream = abort;
    if (this.pendingAbort !== null) abort(this.pendingAbort);
  }

  onHeaders(statusCode: number, headers: Buffer[], resume: () => void, statusText: string): boolean {
    if (statusCode < 200) return true; // 1xx: informational, not forwarded (Node's server sends its own 100)
    this.resumeUpstream = resume;
    const rawHeaders = new Array<string>(headers.length);
    let contentLength: string | undefined;
    let transferEncoding: string | undefined;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i]!.toString('latin1');
      const value = headers[i + 1]!.toString('latin1');
      rawHeaders[i] = name;
      rawHeaders[i + 1] = value;
      if (name.length === 14 && contentLength === undefined && name.toLowerCase() === 'content-length') contentLength = value;
      else if (name.length === 17 && transferEncoding === undefined && name.toLowerCase() === 'transfer-encoding') transferEncoding = value;
    }
    this.resolve?.(new ExchangeResponse(this, statusCode, statusText, rawHeaders, contentLength, transferEncoding));
    this.resolve = null;
    this.reject = null;
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.body !== null) {
      if (this.body.destroyed || this.body.push(chunk)) return true;
      this.paused();
      return false;
    }
    this.held.push(chunk);
    this.heldBytes += chunk.length;
    if (this.collector !== null || this.heldBytes < HELD_BEFORE_CHOICE) return true;
    this.paused();
    return false;
  }

  onComplete(): void {
    this.finish();
    if (this.body !== null) this.body.push(null);
    else if (this.collector !== null) this.collector.resolve(this.takeHeld());
  }

  onError(error: Error): void {
    this.finish();
    this.failure = error;
    if (this.reject !== null) {
      this.reject(error);
      this.resolve = null;
      this.reject = null;
    } else if (this.body !== null && !this.body.destroyed) {
      this.body.destroy(error);
    } else if (this.collector !== null) {
      this.collector.reject(error);
    }
  }

  /** The body as a stream, holding what arrived so far; the same stream on every call. */
  streamBody(): UpstreamBody {
    if (this.body !== null) return this.body;
    const body = new UpstreamBody(this);
    this.body = body;
    for (const chunk of this.held) body.push(chunk);
    this.held = [];
    this.heldBytes = 0;
    if (this.failure !== null) body.destroy(this.failure);
    else if (this.done) body.push(null);
    else this.resumeReading();
    return body;
  }

  collectBody(): Promise<Buffer> {
    if (this.failure !== null) return Promise.reject(this.failure);
    if (this.done) return Promise.resolve(this.takeHeld());
    const collected = new Promise<Buffer>((resolve, reject) => {
      this.collector = { resolve, reject };
    });
    this.resumeReading();
    return collected;
  }

  private takeHeld(): Buffer {
    const whole = this.held.length === 1 ? this.held[0]! : Buffer.concat(this.held, this.heldBytes);
    this.held = [];
    this.heldBytes = 0;
    return whole;
  }

  resumeReading(): void {
    this.pausedAt = null;
    this.resumeUpstream?.();
  }

  bodyDestroyed(error: Error | null): void {
    if (!this.done) this.abortWith(error ?? new Error('the response body was closed before its end'));
  }

  abortWith(error: Error): void {
    if (this.done) return;
    if (this.abortUpstream === null) this.pendingAbort = error;
    else this.abortUpstream(error);
  }

  private finish(): void {
    this.done = true;
    if (this.stallTimer !== null) clearTimeout(this.stallTimer);
  }

  /** One timer per exchange at most, re-armed only while the body stays paused. */
  private paused(): void {
    this.pausedAt = Date.now();
    if (this.stallTimer === null) this.armStallTimer(this.responseTimeoutMs);
  }

  private armStallTimer(delayMs: number): void {
    this.stallTimer = setTimeout(() => {
      this.stallTimer = null;
      if (this.done || this.pausedAt === null) return;
      const pausedFor = Date.now() - this.pausedAt;
      if (pausedFor >= this.responseTimeoutMs) this.abortWith(new UpstreamTimeoutError('client'));
      else this.armStallTimer(this.responseTimeoutMs - pausedFor);
    }, delayMs);
    this.stallTimer.unref();
  }
}
