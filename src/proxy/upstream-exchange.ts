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

export interface UpstreamResponse {
  readonly statusCode: number;
  readonly statusMessage: string;
  /** [name, value, name, value, …] as received, order and case kept. */
  readonly rawHeaders: readonly string[];
  /** The framing headers the scrub decisions need (lowercase name, first value). */
  readonly contentLength: string | undefined;
  readonly transferEncoding: string | undefined;
  readonly body: Readable;
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

/** undici's handler contract (onConnect, onHeaders, onData, onComplete, onError), one per exchange. */
class ExchangeHandler implements Dispatcher.DispatchHandler {
  private resolve: ((response: UpstreamResponse) => void) | null = null;
  private reject: ((error: Error) => void) | null = null;
  private abortUpstream: ((error?: Error) => void) | null = null;
  private pendingAbort: Error | null = null;
  private resumeUpstream: (() => void) | null = null;
  private body: UpstreamBody | null = null;
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
    this.body = new UpstreamBody(this);
    this.resolve?.({ statusCode, statusMessage: statusText, rawHeaders, contentLength, transferEncoding, body: this.body });
    this.resolve = null;
    this.reject = null;
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.body === null || this.body.destroyed) return true;
    if (this.body.push(chunk)) return true;
    this.paused();
    return false;
  }

  onComplete(): void {
    this.finish();
    this.body?.push(null);
  }

  onError(error: Error): void {
    this.finish();
    if (this.reject !== null) {
      this.reject(error);
      this.resolve = null;
      this.reject = null;
    } else if (this.body !== null && !this.body.destroyed) {
      this.body.destroy(error);
    }
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
