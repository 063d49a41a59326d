/**
 * The native line of a record, encoded to UTF-8 once: the scrubber scans those bytes, the chain writes its
 * envelope in front of them and hashes them, and a sink that takes bytes (the file sink) copies them as
 * they are. Encoding the same ~1 KiB line three times (scan, hash, file write) was a visible share of the
 * per-request audit cost. The text form is made only for a sink that wants a string.
 *
 * The bytes are exactly those of the text path (scrub the string, chain.append, encode): the body is
 * encoded as is (a serialized event has no lone surrogate, so decoding gives the same string back), the
 * scrubber's byte entry finds what its string entry finds in the same bytes, and appendEncoded writes the
 * same envelope. Anything off the common path (a redaction, a body the chain does not splice into) takes a
 * slower path that ends in the same bytes.
 */
import { ENVELOPE_ROOM, type Chain } from './chain.js';
import type { AuditSink } from './sinks.js';

export interface NativeLine {
  /** The line with its newline; a view of a reused buffer, valid until the next line is appended. */
  readonly bytes: Buffer;
  /** The same line as a string (decoded on first use: before the next line is appended). */
  text(): string;
}

/** Scrubs a line's UTF-8 bytes in place: null when nothing was redacted, else the redacted bytes. */
export type Utf8Scrub = (line: Buffer) => Buffer | null;

export interface NativeLineWriter {
  /** Appends `body` (a serialized JSON object) to the chain, scrubbed first unless `scrub` is false. */
  append(body: string, scrub: boolean): NativeLine;
}

/**
 * A sink that also takes a native line as bytes (the file sink). It copies them before returning: they
 * are a view of a buffer the next line reuses.
 */
export interface Utf8Sink {
  writeUtf8(line: Buffer, seq: number): boolean;
}

export function takesUtf8(sink: AuditSink): sink is AuditSink & Utf8Sink {
  return typeof (sink as Partial<Utf8Sink>).writeUtf8 === 'function';
}

/** A UTF-16 code unit is at most 3 UTF-8 bytes (a surrogate pair, 2 units, is 4): 3 × length always fits. */
const MAX_BYTES_PER_UNIT = 3;
const INITIAL_SCRATCH_BYTES = 16 * 1024;
/** Lines up to this size reuse the scratch buffer; a longer one gets its own. */
const MAX_SCRATCH_BYTES = 1024 * 1024;

export function createNativeLineWriter(chain: Chain, scrubUtf8: Utf8Scrub): NativeLineWriter {
  let scratch = Buffer.allocUnsafe(INITIAL_SCRATCH_BYTES);
  const roomFor = (bodyBytes: number): Buffer => {
    const needed = ENVELOPE_ROOM + bodyBytes + 1;
    if (needed > MAX_SCRATCH_BYTES) return Buffer.allocUnsafe(needed);
    if (needed > scratch.length) scratch = Buffer.allocUnsafe(Math.min(MAX_SCRATCH_BYTES, Math.max(needed, scratch.length * 2)));
    return scratch;
  };

  const appendBytes = (buffer: Buffer, bodyEnd: number): NativeLine => {
    const bytes = chain.appendEncoded(buffer, bodyEnd);
    if (bytes !== null) return new EncodedLine(bytes, null);
    // Not spliced (cannot happen for a serialized object): the string path, then its bytes.
    const text = chain.append(buffer.toString('utf8', ENVELOPE_ROOM, bodyEnd));
    return new EncodedLine(Buffer.from(text, 'utf8'), text);
  };

  return {
    append(body, scrub) {
      const bound = body.length * MAX_BYTES_PER_UNIT;
      const buffer = roomFor(bound <= MAX_SCRATCH_BYTES ? bound : Buffer.byteLength(body));
      const bodyEnd = ENVELOPE_ROOM + buffer.write(body, ENVELOPE_ROOM);
      const redacted = scrub ? scrubUtf8(buffer.subarray(ENVELOPE_ROOM, bodyEnd)) : null;
      if (redacted === null) return appendBytes(buffer, bodyEnd);
      const room = roomFor(redacted.length);
      redacted.copy(room, ENVELOPE_ROOM);
      return appendBytes(room, ENVELOPE_ROOM + redacted.length);
    },
  };
}

class EncodedLine implements NativeLine {
  constructor(
    readonly bytes: Buffer,
    private decoded: string | null,
  ) {}

  text(): string {
    this.decoded ??= this.bytes.toString('utf8');
    return this.decoded;
  }
}

/** The byte entry of a string scrubber that has none: decode, scrub, encode what changed. */
export function utf8ScrubOf(scrub: (line: string) => string): Utf8Scrub {
  return (line) => {
    const text = line.toString('utf8');
    const scrubbed = scrub(text);
    return scrubbed === text ? null : Buffer.from(scrubbed, 'utf8');
  };
}
