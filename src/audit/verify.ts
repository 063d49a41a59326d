/**
 * Checks the tamper-evidence chain over audit files read in order: every line parses, `seq` goes up by
 * one, `prev_hash` is the hash of the previous line's exact bytes (across files). Stops at the first
 * break and names it (file, line number, what is wrong). Streams the files: memory stays bounded.
 */
import { createReadStream } from 'node:fs';
import { GENESIS, lineHash, type ChainPosition } from './chain.js';

export interface ChainBreak {
  readonly file: string;
  readonly line: number;
  readonly problem: string;
}

export interface PartialTailFound {
  readonly file: string;
  /** The last whole line before it (0 when the file holds no whole line). */
  readonly afterLine: number;
  readonly bytes: number;
}

export interface VerifyReport {
  readonly lines: number;
  readonly firstSeq: number | null;
  readonly lastSeq: number | null;
  readonly break: ChainBreak | null;
  readonly partialTails: readonly PartialTailFound[];
  /** Partial lines a crash left mid-file that the next start ended and declared in its header. */
  readonly remnants: readonly { readonly file: string; readonly line: number }[];
}

interface RawLine {
  readonly file: string;
  readonly number: number;
  readonly bytes: Buffer;
  /** False for a last line without its newline (a write cut short). */
  readonly whole: boolean;
}

interface ChainLine {
  readonly seq: number;
  readonly prevHash: string;
  readonly kind: unknown;
  readonly partialTails: unknown;
}

export async function verifyChain(files: readonly string[]): Promise<VerifyReport> {
  const lines = peekable(readLines(files));
  const partialTails: PartialTailFound[] = [];
  const remnants: { file: string; line: number }[] = [];
  let previous: { position: ChainPosition; file: string; line: number } | null = null;
  let first: number | null = null;
  let count = 0;
  const report = (problem: ChainBreak | null): VerifyReport => ({
    lines: count, firstSeq: first, lastSeq: previous?.position.seq ?? null, break: problem, partialTails, remnants,
  });
  for (let raw = await lines.next(); raw !== undefined; raw = await lines.next()) {
    if (!raw.whole) {
      partialTails.push({ file: raw.file, afterLine: raw.number - 1, bytes: raw.bytes.length });
      continue;
    }
    const parsed = parseChainLine(raw.bytes);
    if (parsed === null) {
      const next = await lines.peek();
      if (next !== undefined && next.file === raw.file && declaresRemnant(next, raw.bytes)) {
        remnants.push({ file: raw.file, line: raw.number });
        continue;
      }
      return report({ file: raw.file, line: raw.number, problem: 'not a chain line (invalid JSON, or no seq/prev_hash)' });
    }
    if (previous !== null && parsed.seq === previous.position.seq + 1 && parsed.prevHash !== previous.position.hash) {
      // The link is broken at the line before: its bytes no longer hash to what this line recorded.
      const problem = `modified: its hash does not match the prev_hash recorded by the next line (${raw.file}:${raw.number})`;
      return report({ file: previous.file, line: previous.line, problem });
    }
    const problem = previous === null ? firstLineProblem(parsed) : await seqProblem(parsed, previous, lines);
    if (problem !== null) return report({ file: raw.file, line: raw.number, problem });
    first ??= parsed.seq;
    count += 1;
    previous = { position: { seq: parsed.seq, hash: lineHash(raw.bytes) }, file: raw.file, line: raw.number };
  }
  return report(null);
}

function firstLineProblem(line: ChainLine): string | null {
  if (line.seq === 1 && line.prevHash !== GENESIS.hash) return 'seq 1 must carry the all-zero prev_hash';
  return null;
}

async function seqProblem(line: ChainLine, previous: { position: ChainPosition; file: string; line: number }, lines: Peekable<RawLine>): Promise<string | null> {
  const expected = previous.position.seq + 1;
  const where = `${previous.file}:${previous.line}`;
  if (line.seq < expected) return `out of order: seq ${line.seq} after seq ${previous.position.seq} (${where})`;
  if (line.seq === expected) return null;
  const next = await lines.peek();
  const nextSeq = next !== undefined && next.whole ? parseChainLine(next.bytes)?.seq : undefined;
  if (nextSeq === expected) return `out of order: seq ${line.seq} comes before seq ${expected} (lines moved)`;
  return `gap: expected seq ${expected} after ${where}, found seq ${line.seq} (${line.seq - expected} line(s) missing here: deleted or moved)`;
}

function parseChainLine(bytes: Buffer): ChainLine | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return null;
  const record = parsed as Record<string, unknown>;
  const { seq, prev_hash: prevHash } = record;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) return null;
  if (typeof prevHash !== 'string') return null;
  return { seq, prevHash, kind: record['kind'], partialTails: record['partial_tails'] };
}

/** A header right after a broken line that lists it (same bytes) as a partial tail it found at start. */
function declaresRemnant(next: RawLine, remnant: Buffer): boolean {
  if (!next.whole) return false;
  const header = parseChainLine(next.bytes);
  if (header === null || header.kind !== 'header' || !Array.isArray(header.partialTails)) return false;
  const hash = lineHash(remnant);
  return header.partialTails.some((tail: unknown) => typeof tail === 'object' && tail !== null && (tail as { hash?: unknown }).hash === hash);
}

async function* readLines(files: readonly string[]): AsyncGenerator<RawLine> {
  for (const file of files) {
    let carry = Buffer.alloc(0);
    let number = 0;
    for await (const chunk of createReadStream(file)) {
      let data = Buffer.concat([carry, chunk as Buffer]);
      for (let newline = data.indexOf(0x0a); newline !== -1; newline = data.indexOf(0x0a)) {
        number += 1;
        yield { file, number, bytes: data.subarray(0, newline), whole: true };
        data = data.subarray(newline + 1);
      }
      carry = Buffer.from(data);
    }
    if (carry.length > 0) yield { file, number: number + 1, bytes: carry, whole: false };
  }
}

interface Peekable<T> {
  next(): Promise<T | undefined>;
  peek(): Promise<T | undefined>;
}

function peekable<T>(source: AsyncGenerator<T>): Peekable<T> {
  let buffered: { value: T | undefined } | null = null;
  const pull = async (): Promise<T | undefined> => {
    const result = await source.next();
    return result.done === true ? undefined : result.value;
  };
  return {
    async next() {
      if (buffered !== null) {
        const { value } = buffered;
        buffered = null;
        return value;
      }
      return pull();
    },
    async peek() {
      buffered ??= { value: await pull() };
      return buffered.value;
    },
  };
}
