/**
 * The tamper-evidence chain: every audit line carries `seq` (one more than the line before, per
 * installation, across restarts and files) and `prev_hash` (`sha256:<hex>` of the previous line's exact
 * bytes, without its newline). Changing, removing or reordering a written line breaks the chain at the
 * next line; `mcp-egress audit verify` names the place. The envelope is spliced in front of the already
 * serialized (and scrubbed) body, so the event itself is untouched and the scanner never sees the hashes.
 */
import { createHash } from 'node:crypto';

/** The position of the last line written: seq 0 and the all-zero hash before the first line ever. */
export interface ChainPosition {
  readonly seq: number;
  readonly hash: string;
}

export const GENESIS: ChainPosition = Object.freeze({ seq: 0, hash: `sha256:${'0'.repeat(64)}` });

/** `sha256:<hex>` of the line's bytes as written, newline excluded. */
export function lineHash(line: string | Uint8Array): string {
  return `sha256:${createHash('sha256').update(line).digest('hex')}`;
}

export interface Chain {
  /** Returns the complete line (newline included) for a serialized JSON object body, and advances. */
  append(body: string): string;
  position(): ChainPosition;
}

export function createChain(start: ChainPosition): Chain {
  let current = start;
  return {
    append(body) {
      const seq = current.seq + 1;
      const line = withEnvelope(body, seq, current.hash);
      current = { seq, hash: lineHash(line) };
      return `${line}\n`;
    },
    position: () => current,
  };
}

function withEnvelope(body: string, seq: number, prevHash: string): string {
  const envelope = `{"seq":${seq},"prev_hash":"${prevHash}"`;
  if (body.startsWith('{') && body.endsWith('}')) return body === '{}' ? `${envelope}}` : `${envelope},${body.slice(1)}`;
  // Not an object text (cannot happen for JSON.stringify of an event): keep it as a string field.
  return `${envelope},"body":${JSON.stringify(body)}}`;
}
