/**
 * Undoing a response's content codings as it streams, so the scanner sees the text the client would.
 *
 * gzip (x-gzip), deflate and br are decoded with node:zlib streams; stacked codings in reverse order of
 * application. Anything else (zstd, compress, an unknown token) is undecodable: the caller passes the
 * body unscanned (flagged) or refuses it. "deflate" is meant to be zlib-wrapped (RFC 9110 §8.4.1.2) but
 * some servers send raw deflate: the first two bytes tell which.
 *
 * Memory stays constant: node:zlib stops inflating while its output is unread (even inside one input
 * chunk; a 421-byte brotli body that inflates to 256 MiB holds ~16 KiB), and each stage below honours
 * backpressure. What streaming cannot bound is the work: a tiny body that inflates without end would
 * keep the scanner and the client busy, so decoded bytes are capped (`maxDecodedBytes`).
 *
 * A small body of declared length (the common API response: a few KiB of gzip) is held whole and decoded
 * in one synchronous call instead: a zlib stream costs a thread-pool round trip per input chunk, per 16 KiB
 * of output and for the final flush, and (measured on 16 KiB JSON) one zlib stream per response brought a
 * full garbage collection every ~50 responses: together several times the CPU of the inflate itself. The
 * call is bounded (a body that would decode to more than WHOLE_MAX_DECODED_BYTES is decoded streaming
 * after all), so memory stays bounded too.
 */
import { Duplex, Transform } from 'node:stream';
import zlib from 'node:zlib';

export type ContentCoding = 'gzip' | 'deflate' | 'br';

/** A failure of the body itself, after its head went out: the forwarder cuts the connection. */
export class ResponseBodyError extends Error {
  constructor(
    readonly code: 'RESPONSE_UNDECODABLE' | 'RESPONSE_TOO_LARGE',
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'ResponseBodyError';
  }
}

const CODINGS: Readonly<Record<string, ContentCoding>> = { gzip: 'gzip', 'x-gzip': 'gzip', deflate: 'deflate', br: 'br' };

export type CodingList = { readonly ok: true; readonly codings: readonly ContentCoding[] } | { readonly ok: false };

/**
 * The codings named by header values (several lines of one list header concatenate), in the order they
 * were applied. `identity` and `chunked` (Node's parser removes that framing) are no codings.
 */
export function parseCodings(values: readonly string[]): CodingList {
  const codings: ContentCoding[] = [];
  for (const value of values) {
    for (const token of value.split(',')) {
      const name = token.split(';', 1)[0]!.trim().toLowerCase();
      if (name === '' || name === 'identity' || name === 'chunked') continue;
      const coding = CODINGS[name];
      if (coding === undefined) return { ok: false };
      codings.push(coding);
    }
  }
  return { ok: true, codings };
}

/**
 * Request side: an Accept-Encoding value reduced to the codings we decode, members otherwise as the
 * client wrote them (q-values kept). `*` goes too: it would invite zstd. If nothing is left the upstream
 * is asked for identity. An absent header stays absent (servers then send identity in practice; one that
 * does not meets the undecodable setting).
 */
export function scrubbableAcceptEncoding(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const kept = value
    .split(',')
    .map((member) => member.trim())
    .filter((member) => {
      const name = member.split(';', 1)[0]!.trim().toLowerCase();
      return name === 'identity' || CODINGS[name] !== undefined;
    });
  return kept.length === 0 ? 'identity' : kept.join(', ');
}

/** zlib format: CM 8 (deflate), a window of at most 32 KiB, header checksum; a preset dictionary is not HTTP. */
function isZlibHeader(head: Buffer): boolean {
  if (head.length < 2) return true;
  const cmf = head[0]!;
  const flg = head[1]!;
  return (cmf & 0x0f) === 8 && cmf >> 4 <= 7 && (flg & 0x20) === 0 && ((cmf << 8) | flg) % 31 === 0;
}

/** How one coding is decoded: streaming (opened on the first bytes), or a whole body in one call. */
interface Opener {
  /** Bytes needed to choose the decoder. */
  readonly sniff: number;
  readonly open: (head: Buffer) => Transform;
  /** Throws RangeError ERR_BUFFER_TOO_LARGE past `maxOutputLength`, a zlib error for a corrupt body. */
  readonly decodeWhole: (body: Buffer, options: zlib.ZlibOptions & zlib.BrotliOptions) => Buffer;
}

const OPENERS: Readonly<Record<ContentCoding, Opener>> = {
  gzip: { sniff: 1, open: () => zlib.createGunzip(), decodeWhole: (body, options) => zlib.gunzipSync(body, options) },
  deflate: {
    sniff: 2,
    open: (head) => (isZlibHeader(head) ? zlib.createInflate() : zlib.createInflateRaw()),
    decodeWhole: (body, options) => (isZlibHeader(body) ? zlib.inflateSync(body, options) : zlib.inflateRawSync(body, options)),
  },
  br: { sniff: 1, open: () => zlib.createBrotliDecompress(), decodeWhole: (body, options) => zlib.brotliDecompressSync(body, options) },
};

/** Encoded bodies of at most this many bytes (declared) are held and decoded whole... */
export const WHOLE_MAX_ENCODED_BYTES = 32 * 1024;
/** ...into at most this many bytes; a body that would decode to more is decoded streaming instead. */
const WHOLE_MAX_DECODED_BYTES = 512 * 1024;

export interface DecoderOptions {
  /**
   * The body is small and complete once its declared length arrived (Content-Length, or the output of a
   * decoder before this one that held such a body): hold it and decode it in one call.
   */
  readonly whole?: boolean;
}

export function createDecoder(coding: ContentCoding, options: DecoderOptions = {}): Duplex {
  return new LazyDecoder(OPENERS[coding], options.whole === true);
}

/**
 * A decoder opened on the first bytes of the body: raw and zlib deflate are told apart by them, and an
 * empty body (some servers label even an empty body gzip) decodes to nothing instead of failing as a
 * truncated stream. Backpressure both ways: a write completes when the inner decoder took it, and the
 * inner decoder is paused while this stream's reader is full. A `whole` decoder holds the body (up to
 * WHOLE_MAX_ENCODED_BYTES, then it streams) and decodes it in one call at its end.
 */
class LazyDecoder extends Duplex {
  private inner: Transform | null = null;
  private held: Buffer[] = [];
  private heldBytes = 0;

  constructor(
    private readonly opener: Opener,
    private readonly whole: boolean,
  ) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.inner !== null) {
      this.inner.write(chunk, callback);
      return;
    }
    this.held.push(chunk);
    this.heldBytes += chunk.length;
    if (this.heldBytes < (this.whole ? WHOLE_MAX_ENCODED_BYTES + 1 : this.opener.sniff)) return callback();
    const head = this.takeHeld();
    this.start(head).write(head, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.inner !== null) {
      this.inner.end();
      return callback();
    }
    const body = this.takeHeld();
    try {
      if (body.length === 0 || (this.whole && this.pushedWhole(body))) {
        this.push(null);
        return callback();
      }
    } catch (error) {
      return callback(error instanceof Error ? error : new Error(String(error)));
    }
    this.start(body).end(body);
    callback();
  }

  override _read(): void {
    this.inner?.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.inner?.destroy();
    callback(error);
  }

  /** Decodes the body in one call and pushes it; false (nothing pushed) when it would decode to more than WHOLE_MAX_DECODED_BYTES. */
  private pushedWhole(body: Buffer): boolean {
    const decoded = decodeWithin(this.opener, body);
    if (decoded === null) return false;
    if (decoded.length > 0) this.push(decoded);
    return true;
  }

  private takeHeld(): Buffer {
    const held = this.held.length === 1 ? this.held[0]! : Buffer.concat(this.held);
    this.held = [];
    this.heldBytes = 0;
    return held;
  }

  private start(head: Buffer): Transform {
    const inner = this.opener.open(head);
    inner.on('data', (decoded: Buffer) => {
      if (!this.push(decoded)) inner.pause();
    });
    inner.once('end', () => this.push(null));
    // `on`, not `once`: a decoder may report more than one failure, and none may go unheard.
    inner.on('error', (error) => this.destroy(error));
    this.inner = inner;
    return inner;
  }
}

/** One call; null when it would decode to more than WHOLE_MAX_DECODED_BYTES. Throws what zlib throws on a corrupt body. */
function decodeWithin(opener: Opener, body: Buffer): Buffer | null {
  try {
    return opener.decodeWhole(body, { maxOutputLength: WHOLE_MAX_DECODED_BYTES });
  } catch (error) {
    if (error instanceof RangeError && (error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') return null;
    throw error;
  }
}

/**
 * A whole body (at most WHOLE_MAX_ENCODED_BYTES) decoded in one call, as a `whole` decoder would: empty
 * stays empty; null when it would decode to more than WHOLE_MAX_DECODED_BYTES (decode it streaming).
 */
export function decodeWhole(coding: ContentCoding, body: Buffer): Buffer | null {
  return body.length === 0 ? body : decodeWithin(OPENERS[coding], body);
}

/** Passes bytes through until more than `maxBytes` went by, then fails with RESPONSE_TOO_LARGE. */
export function decodedSizeGuard(maxBytes: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      if (seen <= maxBytes) return callback(null, chunk);
      callback(new ResponseBodyError('RESPONSE_TOO_LARGE', `the decoded response body exceeds ${maxBytes} bytes`));
    },
  });
}
