/**
 * The tamper-evidence chain: every audit line carries `seq` (one more than the line before, per
 * installation, across restarts and files) and `prev_hash` (`sha256:<hex>` of the previous line's exact
 * bytes, without its newline). Changing, removing or reordering a written line breaks the chain at the
 * next line; `mcp-egress audit verify` names the place. The envelope is spliced in front of the already
 * serialized (and scrubbed) body, so the event itself is untouched and the scanner never sees the hashes.
 */
import { hash } from 'node:crypto';

/** The position of the last line written: seq 0 and the all-zero hash before the first line ever. */
export interface ChainPosition {
  readonly seq: number;
  readonly hash: string;
}

export const GENESIS: ChainPosition = Object.freeze({ seq: 0, hash: `sha256:${'0'.repeat(64)}` });

/**
 * `sha256:<hex>` of the line's bytes as written (UTF-8), newline excluded. The one-shot crypto.hash: the
 * same digest as createHash().update().digest(), without a Hash object per line.
 */
export function lineHash(line: string | Uint8Array): string {
  return `sha256:${hash('sha256', line, 'hex')}`;
}

/**
 * Bytes kept free in front of an encoded body for its envelope: `{"seq":<at most 16 digits>,"prev_hash":
 * "sha256:<64 hex>",` is 110 bytes.
 */
export const ENVELOPE_ROOM = 128;

export interface Chain {
  /** Returns the complete line (newline included) for a serialized JSON object body, and advances. */
  append(body: string): string;
  /**
   * append() for a body already encoded as UTF-8, without encoding or copying it again: `buffer` holds
   * ENVELOPE_ROOM free bytes, the body's bytes up to `bodyEnd`, and at least one free byte after. The
   * envelope is written into the room (over the body's `{`) and the newline after; returns the line, a view
   * of `buffer`, with exactly the bytes append() would return. Null, and nothing appended, for a body
   * append() would not splice into (`{}`, no object text) or an envelope that does not fit.
   */
  appendEncoded(buffer: Buffer, bodyEnd: number): Buffer | null;
  position(): ChainPosition;
}

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const NEWLINE = 0x0a;

export function createChain(start: ChainPosition): Chain {
  let current = start;
  return {
    append(body) {
      const seq = current.seq + 1;
      const line = withEnvelope(body, seq, current.hash);
      current = { seq, hash: lineHash(line) };
      return `${line}\n`;
    },
    appendEncoded(buffer, bodyEnd) {
      const bodyStart = ENVELOPE_ROOM;
      // UTF-8 bytes of `{` and `}` are those characters: the same test as withEnvelope's, `{}` excluded.
      const splices = bodyEnd - bodyStart >= 3 && buffer[bodyStart] === OPEN_BRACE && buffer[bodyEnd - 1] === CLOSE_BRACE;
      if (!splices || bodyEnd >= buffer.length) return null;
      const seq = current.seq + 1;
      const envelope = `${envelopeOf(seq, current.hash)},`;
      const length = Buffer.byteLength(envelope);
      if (length > bodyStart + 1) return null;
      const lineStart = bodyStart + 1 - length;
      buffer.write(envelope, lineStart);
      current = { seq, hash: lineHash(buffer.subarray(lineStart, bodyEnd)) };
      buffer[bodyEnd] = NEWLINE;
      return buffer.subarray(lineStart, bodyEnd + 1);
    },
    position: () => current,
  };
}

function envelopeOf(seq: number, prevHash: string): string {
  return `{"seq":${seq},"prev_hash":"${prevHash}"`;
}

function withEnvelope(body: string, seq: number, prevHash: string): string {
  const envelope = envelopeOf(seq, prevHash);
  if (body.startsWith('{') && body.endsWith('}')) return body === '{}' ? `${envelope}}` : `${envelope},${body.slice(1)}`;
  // Not an object text (cannot happen for JSON.stringify of an event): keep it as a string field.
  return `${envelope},"body":${JSON.stringify(body)}}`;
}
