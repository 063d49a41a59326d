/**
 * Scrubbing a small body of declared length in one synchronous call: decode it whole (in reverse order of
 * its codings), then one redactor over all of it — the bytes the stream stages of response-scrub.ts would
 * produce for the same body, without a stream per stage. Null when a coding would decode to more than a
 * whole decode may hold: the caller streams the same bytes through the stages instead.
 */
import type { ChunkRedactor } from '../scanning/stream-redactor.js';
import { decodeWhole, ResponseBodyError, type ContentCoding } from './content-coding.js';

export interface WholeScrubOptions {
  readonly createRedactor: () => ChunkRedactor;
  readonly maxDecodedBytes: number;
}

export function scrubWhole(raw: Buffer, codings: readonly ContentCoding[], options: WholeScrubOptions): Buffer | null {
  let body = raw;
  for (let i = codings.length - 1; i >= 0; i--) {
    const coding = codings[i]!;
    let decoded: Buffer | null;
    try {
      decoded = decodeWhole(coding, body);
    } catch (error) {
      throw new ResponseBodyError('RESPONSE_UNDECODABLE', `the response body is not valid ${coding}`, { cause: error });
    }
    if (decoded === null) return null;
    body = decoded;
  }
  if (codings.length > 0 && body.length > options.maxDecodedBytes) {
    throw new ResponseBodyError('RESPONSE_TOO_LARGE', `the decoded response body exceeds ${options.maxDecodedBytes} bytes`);
  }
  const redactor = options.createRedactor();
  const pieces = body.length === 0 ? redactor.end() : [...redactor.push(body), ...redactor.end()];
  return pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces);
}
