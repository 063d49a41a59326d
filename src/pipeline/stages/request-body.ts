/**
 * Reading (part of) a request body before it is forwarded, so the exfiltration guard can judge it whole,
 * and undoing its Content-Encoding for the scan. Bounded: at most `limit` bytes (plus the chunk that
 * crossed it) are held; the rest stays in the client's stream for the forwarder to relay.
 */
import { brotliCompressSync, brotliDecompressSync, deflateSync, gunzipSync, gzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import type { IncomingMessage } from 'node:http';

export interface HeldBody {
  readonly bytes: Buffer;
  /** False when the limit was reached first: the remainder is still unread in the request stream. */
  readonly complete: boolean;
}

export class BodyReadAbortedError extends Error {
  constructor() {
    super('the client closed the connection while sending the body');
    this.name = 'BodyReadAbortedError';
  }
}

export function hasRequestBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

export function readBodyUpTo(req: IncomingMessage, limit: number): Promise<HeldBody> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let held = 0;
    const finish = (complete: boolean): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      req.off('error', onError);
      if (!complete) req.pause();
      resolve({ bytes: Buffer.concat(chunks), complete });
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      held += chunk.length;
      if (held > limit) finish(false);
    };
    const onEnd = (): void => finish(true);
    const onClose = (): void => {
      if (!req.complete) fail(new BodyReadAbortedError());
    };
    const onError = (): void => fail(new BodyReadAbortedError());
    const fail = (error: Error): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      req.off('error', onError);
      reject(error);
    };
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('close', onClose);
    req.once('error', onError);
  });
}

type Coding = 'gzip' | 'deflate' | 'br';

export type DecodedBody =
  | { readonly ok: true; readonly bytes: Buffer; readonly codings: readonly Coding[] }
  | { readonly ok: false };

/** Undoes Content-Encoding (stacked codings in reverse order), never inflating past `limit` bytes. */
export function decodeBody(bytes: Buffer, contentEncoding: string | undefined, limit: number): DecodedBody {
  const codings = parseCodings(contentEncoding);
  if (codings === null) return { ok: false };
  try {
    let decoded = bytes;
    for (const coding of [...codings].reverse()) decoded = DECODERS[coding](decoded, limit);
    return { ok: true, bytes: decoded, codings };
  } catch {
    return { ok: false }; // corrupt data, or a decompression bomb past the limit
  }
}

/** Applies the codings again, after a redaction changed the decoded bytes. */
export function encodeBody(bytes: Buffer, codings: readonly Coding[]): Buffer {
  let encoded = bytes;
  for (const coding of codings) encoded = ENCODERS[coding](encoded);
  return encoded;
}

const DECODERS: Record<Coding, (input: Buffer, limit: number) => Buffer> = {
  gzip: (input, limit) => gunzipSync(input, { maxOutputLength: Math.max(1, limit) }),
  deflate: (input, limit) => inflateEitherWay(input, limit),
  br: (input, limit) => brotliDecompressSync(input, { maxOutputLength: Math.max(1, limit) }),
};

/** `deflate` is zlib-wrapped by the spec; some clients send raw deflate under that name. */
function inflateEitherWay(input: Buffer, limit: number): Buffer {
  const options = { maxOutputLength: Math.max(1, limit) };
  const zlibWrapped = input.length >= 2 && (input[0]! & 0x0f) === 8 && ((input[0]! << 8) | input[1]!) % 31 === 0;
  return zlibWrapped ? inflateSync(input, options) : inflateRawSync(input, options);
}

const ENCODERS: Record<Coding, (input: Buffer) => Buffer> = {
  gzip: (input) => gzipSync(input),
  deflate: (input) => deflateSync(input),
  br: (input) => brotliCompressSync(input),
};

function parseCodings(header: string | undefined): Coding[] | null {
  if (header === undefined) return [];
  const codings: Coding[] = [];
  for (const token of header.split(',')) {
    const coding = token.trim().toLowerCase();
    if (coding === '' || coding === 'identity') continue;
    if (coding === 'gzip' || coding === 'x-gzip') codings.push('gzip');
    else if (coding === 'deflate' || coding === 'br') codings.push(coding);
    else return null;
  }
  return codings;
}
