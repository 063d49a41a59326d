/**
 * Redaction of a byte stream in constant memory, catching secrets split across any chunk boundary.
 *
 * The redactor holds back a tail as long as the longest possible match (scanner.tailBytes) and emits
 * everything before it once settled: a match that ends before the cut saw all the bytes it depends on
 * (its own, and one byte after for `\b`/`$`); a match that straddles the cut moves the cut back to its
 * start, so it is found whole in the next round. The next round rescans from the cut with a few bytes of
 * already-emitted context (for `\b` before a match) and ignores matches starting in that context: they
 * were decided in the round before. Because every start position is tried (rule-matcher.ts), where a
 * round begins does not change what is found.
 *
 * Memory stays bounded even for input made entirely of overlapping matches (which could otherwise hold
 * back the cut forever): past `maxHeldBytes` the cut is forced, the part of a straddling secret before it
 * is redacted, and the rest is carried into the next round and redacted there as a continuation.
 */
import { Transform } from 'node:stream';
import type { Finding } from './findings.js';
import { applyRedactions, type RedactOptions } from './redaction.js';
import type { RuleMatch } from './rule-matcher.js';
import type { Scanner } from './scanner.js';

export interface StreamRedactOptions extends RedactOptions {
  /** Largest piece scanned at once; larger chunks are processed in slices (default 64 KiB). */
  readonly sliceBytes?: number;
  /** Called once per finding, with byte offsets counted from the start of the stream. */
  readonly onFinding?: (finding: Finding) => void;
}

const DEFAULT_SLICE_BYTES = 64 * 1024;
// `\b` and multiline `^` look one byte back; four bytes keep a whole UTF-8 character.
const CONTEXT_BYTES = 4;
const EMPTY = Buffer.alloc(0);

export class StreamRedactor implements ChunkRedactor {
  /** Already-emitted context bytes (the first `contextBytes`), then the input not yet emitted. */
  private pending: Buffer = EMPTY;
  private contextBytes = 0;
  /** Stream offset of pending[0]. */
  private pendingOffset = 0;
  /** Secrets (absolute offsets) a forced cut went through: their remainder is redacted when emitted. */
  private carried: RuleMatch[] = [];
  private readonly sliceBytes: number;
  private readonly scanAtBytes: number;
  private readonly maxHeldBytes: number;

  constructor(
    private readonly scanner: Scanner,
    private readonly options: StreamRedactOptions = {},
  ) {
    const tail = scanner.tailBytes;
    this.sliceBytes = Math.max(options.sliceBytes ?? DEFAULT_SLICE_BYTES, tail);
    // Scanning only once at least a tail's worth can be emitted bounds the rescanning of held bytes to 2x.
    this.scanAtBytes = 2 * tail;
    this.maxHeldBytes = 2 * tail + 2 * this.sliceBytes;
  }

  /** Feeds a chunk; returns the redacted output that is settled so far (possibly none). */
  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    for (let offset = 0; offset < chunk.length; offset += this.sliceBytes) {
      const slice = chunk.subarray(offset, offset + this.sliceBytes);
      // Always a copy: the caller may reuse its chunk once push() returns.
      this.pending = Buffer.concat([this.pending, slice]);
      if (this.pending.length - this.contextBytes >= this.scanAtBytes) this.round(false, out);
    }
    return out;
  }

  /** End of input: everything still held, redacted. */
  end(): Buffer[] {
    const out: Buffer[] = [];
    if (this.pending.length > this.contextBytes) this.round(true, out);
    return out;
  }

  private round(final: boolean, out: Buffer[]): void {
    const input = this.pending;
    const from = this.contextBytes;
    const base = this.pendingOffset;
    const matches = this.scanner.matches(input, from);
    let cut = final ? input.length : settledCut(matches, input.length - this.scanner.tailBytes);
    const forced = !final && input.length - cut > this.maxHeldBytes;
    if (forced) cut = input.length - this.scanner.tailBytes;
    if (cut <= from) return;
    const settled = matches.filter((m) => m.matchEnd <= cut);
    for (const finding of this.scanner.mergeMatches(settled)) {
      this.options.onFinding?.({ ...finding, start: finding.start + base, end: finding.end + base });
    }
    // A forced cut may go through matches: each secret is redacted now and, past the cut, in later rounds.
    const cutThrough = forced ? matches.filter((m) => m.matchStart < cut && m.matchEnd > cut).map((m) => shifted(m, base)) : [];
    const carried = [...this.carried, ...cutThrough];
    const toRedact = [...settled, ...carried.map((m) => shifted(m, -base))].filter((m) => m.start < cut).map((m) => clipped(m, from, cut));
    out.push(applyRedactions(input.subarray(0, cut), this.scanner.mergeMatches(toRedact), this.options).subarray(from));
    this.carried = carried.filter((m) => m.end > base + cut);
    const keepFrom = Math.max(0, cut - CONTEXT_BYTES);
    this.pending = Buffer.from(input.subarray(keepFrom));
    this.contextBytes = cut - keepFrom;
    this.pendingOffset = base + keepFrom;
  }
}

function shifted(match: RuleMatch, by: number): RuleMatch {
  return { ...match, matchStart: match.matchStart + by, matchEnd: match.matchEnd + by, start: match.start + by, end: match.end + by };
}

function clipped(match: RuleMatch, from: number, cut: number): RuleMatch {
  return match.start >= from && match.end <= cut ? match : { ...match, start: Math.max(match.start, from), end: Math.min(match.end, cut) };
}

/**
 * Moves the cut back to the start of any match that straddles it. One pass in order of decreasing start
 * suffices: a match that ended before the cut cannot straddle a cut moved to a start at or before its own.
 */
function settledCut(matches: readonly RuleMatch[], initial: number): number {
  let cut = initial;
  for (const match of [...matches].sort((a, b) => b.matchStart - a.matchStart)) {
    if (match.matchStart < cut && match.matchEnd > cut) cut = match.matchStart;
  }
  return cut;
}

/** Anything that turns chunks into settled output and flushes at the end. */
export interface ChunkRedactor {
  push(chunk: Buffer): Buffer[];
  end(): Buffer[];
}

/** A Transform that redacts whatever flows through it (bytes in, bytes out; strings are taken as UTF-8). */
export function createRedactStream(scanner: Scanner, options: StreamRedactOptions = {}): Transform {
  return redactorTransform(new StreamRedactor(scanner, options));
}

export function redactorTransform(redactor: ChunkRedactor): Transform {
  const forward = (stream: Transform, produce: () => Buffer[], callback: (error?: Error | null) => void): void => {
    let pieces: Buffer[];
    try {
      pieces = produce();
    } catch (error) {
      callback(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    for (const piece of pieces) if (piece.length > 0) stream.push(piece);
    callback();
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      forward(this, () => redactor.push(chunk), callback);
    },
    flush(callback) {
      forward(this, () => redactor.end(), callback);
    },
  });
}
