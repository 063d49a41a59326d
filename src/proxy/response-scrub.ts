/**
 * Setting up the scrubbing of a response body on its way back to the client (an MCP server, i.e. the
 * model): secrets from backends are redacted as the body streams.
 *
 *   upstream ─► decoders (reverse order of the codings) ─► decoded-size guard ─► redactor ─► body
 *
 * (a small body of declared length is decoded whole, in one call: see content-coding.ts)
 *
 * Decisions, in order, all before a header went out:
 *   no body (HEAD, 1xx, 204, 304, Content-Length 0)       → relay, handling `none`
 *   a binary Content-Type (body-kind.ts)                   → relay, handling `binary`
 *   a coding we cannot decode (zstd, compress, unknown)    → relay `undecodable` (pass) or refuse (block)
 *   otherwise                                              → scrub: the body goes out decoded (identity)
 *
 * Codings come from the upstream's own headers, Transfer-Encoding included: Node's parser removes only
 * the chunked framing, so a `Transfer-Encoding: gzip, chunked` body arrives still gzipped, and the
 * transport drops that hop-by-hop header — scanning those bytes as text would miss everything.
 *
 * The scrubbed body is a different representation: its coding, length and digests are dropped (Node
 * then frames it chunked for HTTP/1.1 clients, close-delimited for HTTP/1.0; a small body scrubbed whole
 * gets its new length, see whole-scrub.ts) and a strong ETag becomes weak. Every other header keeps its
 * place and spelling.
 *
 * Failures once the head went out surface as an error on the body stream (the forwarder cuts the
 * connection): RESPONSE_UNDECODABLE for a corrupt coding, RESPONSE_TOO_LARGE past `maxDecodedBytes`, the
 * upstream's own error or a premature close. Destroying the body destroys every stage and the upstream.
 */
import { Transform, type Duplex, type Readable } from 'node:stream';
import { redactorTransform, type ChunkRedactor } from '../scanning/stream-redactor.js';
import { BOUNDARY_LOOKBEHIND, lastEventEnd, lastLineEnd, responseBodyKind, type BodyFraming } from '../scanning/body-kind.js';
import type { StreamedResponse, UpstreamHead } from './upstream-exchange.js';
import { createDecoder, decodedSizeGuard, parseCodings, ResponseBodyError, WHOLE_MAX_ENCODED_BYTES, type ContentCoding } from './content-coding.js';

export { scrubbableAcceptEncoding, ResponseBodyError } from './content-coding.js';

export type BodyHandling = 'none' | 'scanned' | 'binary' | 'undecodable' | 'off';

export interface ResponseScrubOptions {
  /**
   * A fresh redactor (raw + JSON-escaped + percent forms); it reports findings through its own onFinding.
   * Called once per body, or once per flushed part of an SSE / JSON Lines body (offsets count from there).
   */
  readonly createRedactor: () => ChunkRedactor;
  /** A Content-Encoding we cannot decode: pass the body unscanned (flagged) or refuse it. */
  readonly undecodable: 'pass' | 'block';
  /** Most bytes an encoded body may decode to (default 1 GiB); past it the body fails with RESPONSE_TOO_LARGE. */
  readonly maxDecodedBytes?: number;
}

/**
 * relay: send the upstream's head (`passedHeaders`) and body untouched. refuse: nothing went out yet; the
 * caller discards the upstream response. scrub: send `rawHeaders` and pipe `body` (already wired to the
 * upstream response; its only reader from now on).
 */
export type ResponseScrubSetup =
  | { readonly kind: 'relay'; readonly handling: BodyHandling }
  | { readonly kind: 'refuse'; readonly reason: 'response_undecodable' }
  | { readonly kind: 'scrub'; readonly rawHeaders: string[]; readonly body: Readable; readonly handling: 'scanned' };

const DEFAULT_MAX_DECODED_BYTES = 1024 ** 3;

/**
 * `passedHeaders`: the upstream's end-to-end headers (hop-by-hop ones already removed). Call it in the
 * tick the response arrived, before anything reads the upstream response, so no byte goes unscanned.
 */
export function setupResponseScrub(
  requestMethod: string,
  upstreamRes: StreamedResponse,
  passedHeaders: readonly string[],
  options: ResponseScrubOptions,
): ResponseScrubSetup {
  const plan = planScrub(requestMethod, upstreamRes, options);
  if (plan.kind !== 'scrub') return plan;
  const body = scrubbedBody(upstreamRes, plan.codings, plan.framing, options);
  return { kind: 'scrub', rawHeaders: scrubbedHeaders(passedHeaders), body, handling: 'scanned' };
}

/**
 * A small body of declared length, scanned as one stream (not SSE or JSON Lines): it may be read whole
 * and scrubbed in one synchronous call (whole-scrub.ts) instead of through the stream stages — the same
 * bytes out, without a stream per stage. Null: not such a body (use setupResponseScrub).
 */
export function wholeScrubPlan(requestMethod: string, upstreamRes: UpstreamHead, passedHeaders: readonly string[], options: ResponseScrubOptions): WholeScrubPlan | null {
  const plan = planScrub(requestMethod, upstreamRes, options);
  if (plan.kind !== 'scrub' || plan.framing !== 'stream' || !isSmallDeclaredBody(upstreamRes)) return null;
  return {
    rawHeaders: scrubbedHeaders(passedHeaders),
    codings: plan.codings,
    declaredBytes: Number(upstreamRes.contentLength),
    maxDecodedBytes: options.maxDecodedBytes ?? DEFAULT_MAX_DECODED_BYTES,
  };
}

export interface WholeScrubPlan {
  readonly rawHeaders: string[];
  /** In the order applied; decoded in reverse. */
  readonly codings: readonly ContentCoding[];
  readonly declaredBytes: number;
  /** The same bound on decoded bytes as the stream stages apply. */
  readonly maxDecodedBytes: number;
}

type ScrubPlan =
  | Exclude<ResponseScrubSetup, { kind: 'scrub' }>
  | { readonly kind: 'scrub'; readonly codings: readonly ContentCoding[]; readonly framing: BodyFraming };

function planScrub(requestMethod: string, upstreamRes: UpstreamHead, options: ResponseScrubOptions): ScrubPlan {
  if (!hasBody(requestMethod, upstreamRes)) return { kind: 'relay', handling: 'none' };
  const bodyKind = responseBodyKind(upstreamRes.rawHeaders);
  if (!bodyKind.scan) return { kind: 'relay', handling: 'binary' };
  const codings = appliedCodings(upstreamRes.rawHeaders);
  if (codings === null) {
    return options.undecodable === 'block' ? { kind: 'refuse', reason: 'response_undecodable' } : { kind: 'relay', handling: 'undecodable' };
  }
  return { kind: 'scrub', codings, framing: bodyKind.framing };
}

function hasBody(requestMethod: string, upstreamRes: UpstreamHead): boolean {
  const status = upstreamRes.statusCode;
  if (requestMethod.toUpperCase() === 'HEAD' || status < 200 || status === 204 || status === 304) return false;
  return upstreamRes.transferEncoding !== undefined || upstreamRes.contentLength?.trim() !== '0';
}

function headerValues(rawHeaders: readonly string[], lowerName: string): string[] {
  const values: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.toLowerCase() === lowerName) values.push(rawHeaders[i + 1]!);
  }
  return values;
}

/** Content codings, then transfer codings (applied last), in the order applied; null: one is undecodable. */
function appliedCodings(rawHeaders: readonly string[]): readonly ContentCoding[] | null {
  const content = parseCodings(headerValues(rawHeaders, 'content-encoding'));
  const transfer = parseCodings(headerValues(rawHeaders, 'transfer-encoding'));
  return content.ok && transfer.ok ? [...content.codings, ...transfer.codings] : null;
}

// Metadata of the upstream's representation that the decoded, redacted body no longer matches.
const REPRESENTATION_METADATA = new Set(['content-encoding', 'content-length', 'content-md5', 'digest', 'repr-digest', 'content-digest']);

function scrubbedHeaders(passedHeaders: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < passedHeaders.length; i += 2) {
    const name = passedHeaders[i]!;
    const lower = name.toLowerCase();
    if (REPRESENTATION_METADATA.has(lower)) continue;
    kept.push(name, lower === 'etag' ? weakETag(passedHeaders[i + 1]!) : passedHeaders[i + 1]!);
  }
  return kept;
}

/** The bytes may differ from the upstream's, so only weak (semantic) equivalence can still be claimed. */
function weakETag(value: string): string {
  const trimmed = value.trim();
  return trimmed.startsWith('W/') ? value : `W/${trimmed}`;
}

interface Stage {
  readonly stream: Duplex;
  /** Turns the stage's own error into the body's (null: as it is). */
  readonly asBodyError: ((error: Error) => Error) | null;
}

function scrubbedBody(upstreamRes: StreamedResponse, codings: readonly ContentCoding[], framing: BodyFraming, options: ResponseScrubOptions): Readable {
  const decoderOptions = { whole: isSmallDeclaredBody(upstreamRes) };
  const stages: Stage[] = [...codings].reverse().map((coding) => ({
    stream: createDecoder(coding, decoderOptions),
    asBodyError: (error: Error) => new ResponseBodyError('RESPONSE_UNDECODABLE', `the response body is not valid ${coding}`, { cause: error }),
  }));
  if (codings.length > 0) stages.push({ stream: decodedSizeGuard(options.maxDecodedBytes ?? DEFAULT_MAX_DECODED_BYTES), asBodyError: null });
  stages.push({ stream: redactingTransform(framing, options.createRedactor), asBodyError: null });
  return chained(upstreamRes.body, stages);
}

/**
 * A body whose whole length is declared and small: its decoders may hold it and decode it in one call
 * (content-coding.ts). Not a chunked body, whose end is unknown (an event stream must not be held back).
 */
function isSmallDeclaredBody(upstreamRes: UpstreamHead): boolean {
  const declared = upstreamRes.contentLength;
  if (upstreamRes.transferEncoding !== undefined || declared === undefined || declared.trim() === '') return false;
  const length = Number(declared);
  return Number.isSafeInteger(length) && length <= WHOLE_MAX_ENCODED_BYTES;
}

class UpstreamClosedError extends Error {
  readonly code = 'ERR_STREAM_PREMATURE_CLOSE';
  constructor() {
    super('the upstream closed before the response body was complete');
    this.name = 'UpstreamClosedError';
  }
}

/**
 * Readable.pipe from stage to stage (backpressure: each pauses the one before while full; not
 * stream.pipeline, see relay.ts). pipe does not carry errors or closes, so: any stage's error or an
 * upstream that closes early destroys the body with the error, and a body destroyed before its end
 * (an error, or the consumer giving up) destroys every stage and the upstream.
 */
function chained(upstream: Readable, stages: readonly Stage[]): Readable {
  const body = stages[stages.length - 1]!.stream;
  let previous: Readable = upstream;
  for (const stage of stages) {
    previous.pipe(stage.stream);
    previous = stage.stream;
    // The body's own error reaches its consumer as it is.
    if (stage.stream !== body) stage.stream.on('error', (error: Error) => body.destroy(stage.asBodyError?.(error) ?? error));
  }
  upstream.on('error', (error) => body.destroy(error));
  upstream.on('close', () => {
    if (!upstream.readableEnded) body.destroy(new UpstreamClosedError());
  });
  body.once('close', () => {
    if (body.readableEnded) return;
    upstream.destroy();
    for (const stage of stages) stage.stream.destroy();
  });
  return body;
}

function redactingTransform(framing: BodyFraming, createRedactor: () => ChunkRedactor): Transform {
  if (framing === 'stream') return redactorTransform(createRedactor());
  return boundaryFlushingTransform(createRedactor, framing === 'events' ? lastEventEnd : lastLineEnd);
}

/**
 * For SSE and JSON Lines: everything up to the last complete event (line) of each chunk is redacted by
 * its own redactor and flushed at once, so an event reaches the client while the upstream is idle
 * (a redactor alone would hold back its ~16 KB tail until more data came). A partial event carries on
 * in a fresh redactor, streaming as usual. Finding offsets count from the start of each flushed part.
 */
function boundaryFlushingTransform(createRedactor: () => ChunkRedactor, lastBoundaryEnd: (bytes: Buffer, from: number) => number): Transform {
  let redactor = createRedactor();
  // The last bytes seen, so a boundary split across two chunks is found.
  let lookbehind = Buffer.alloc(0);
  const redactChunk = (chunk: Buffer): Buffer[] => {
    const view = lookbehind.length === 0 ? chunk : Buffer.concat([lookbehind, chunk]);
    const cut = lastBoundaryEnd(view, lookbehind.length) - lookbehind.length;
    lookbehind = Buffer.from(view.subarray(Math.max(0, view.length - BOUNDARY_LOOKBEHIND)));
    if (cut < 0) return redactor.push(chunk);
    const flushed = [...redactor.push(chunk.subarray(0, cut)), ...redactor.end()];
    redactor = createRedactor();
    return cut < chunk.length ? [...flushed, ...redactor.push(chunk.subarray(cut))] : flushed;
  };
  const emit = (stream: Transform, produce: () => Buffer[], callback: (error?: Error | null) => void): void => {
    let pieces: Buffer[];
    try {
      pieces = produce();
    } catch (error) {
      return callback(error instanceof Error ? error : new Error(String(error)));
    }
    for (const piece of pieces) if (piece.length > 0) stream.push(piece);
    callback();
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      emit(this, () => redactChunk(chunk), callback);
    },
    flush(callback) {
      emit(this, () => redactor.end(), callback);
    },
  });
}
