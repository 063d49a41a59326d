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
 * What a round scans with is a StreamMatcher: the scanner on raw bytes, or one that also reads decoded
 * views (encoded-stream-redactor.ts). The latter says how far back its tail reaches (an escape is up to
 * six bytes per decoded byte) and where escapes begin, so that no cut and no context splits one.
 *
 * Memory stays bounded even for input made entirely of overlapping matches (which could otherwise hold
 * back the cut forever): past `maxHeldBytes` the cut is forced, the part of a straddling secret before it
 * is redacted (and reported), and the rest is carried into the next round and redacted there as a
 * continuation.
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

/** What each round scans with: the scanner on raw bytes, or one that also reads encoded forms. */
export interface StreamMatcher {
  /** The most bytes a round may hold back behind its cut limit (sizes the memory bound). */
  readonly maxTailBytes: number;
  scan(input: Buffer, minMatchStart: number): RoundScan;
}

/** One round's scan of the held input (`input` starts at a unit boundary of the stream). */
export interface RoundScan {
  /** Accepted matches whose match starts at or after `minMatchStart`, at offsets into the input. */
  readonly matches: readonly RuleMatch[];
  /** Highest cut of a non-final round: a match starting before it was decided by bytes already held. */
  readonly cutLimit: number;
  /** Where a cut at `at` moves back to so it splits no escape sequence (`at` itself for plain bytes). */
  unitStart(at: number): number;
}

/** The scanner on raw bytes: every byte is its own unit, and a tail of scanner.tailBytes decides every match. */
export function rawMatcher(scanner: Scanner): StreamMatcher {
  const tail = scanner.tailBytes;
  return {
    maxTailBytes: tail,
    scan: (input, minMatchStart) => ({ matches: scanner.matches(input, minMatchStart), cutLimit: Math.max(0, input.length - tail), unitStart: sameUnit }),
  };
}

/** unitStart of input without escapes: every byte is a unit. */
export const sameUnit = (at: number): number => at;

const DEFAULT_SLICE_BYTES = 64 * 1024;
// `\b` and multiline `^` look one byte (one unit) back; four keep a whole UTF-8 character.
const CONTEXT_UNITS = 4;
const EMPTY = Buffer.alloc(0);

export class StreamRedactor implements ChunkRedactor {
  /** Already-emitted context bytes (the first `contextBytes`), then the input not yet emitted... */
  private pending: Buffer = EMPTY;
  /** ...and copies of the chunks pushed since, joined to it only when a round needs them (one copy, not one per chunk). */
  private queued: Buffer[] = [];
  private queuedBytes = 0;
  private contextBytes = 0;
  /** Stream offset of pending[0]. */
  private pendingOffset = 0;
  /** Secrets (absolute offsets) a forced cut went through: their remainder is redacted when emitted. */
  private carried: RuleMatch[] = [];
  private readonly sliceBytes: number;
  private readonly scanAtBytes: number;
  private readonly maxHeldBytes: number;
  /** Undecided bytes that trigger the next round. */
  private roundAtBytes: number;

  constructor(
    private readonly scanner: Scanner,
    private readonly options: StreamRedactOptions = {},
    private readonly matcher: StreamMatcher = rawMatcher(scanner),
  ) {
    const tail = matcher.maxTailBytes;
    this.sliceBytes = Math.max(options.sliceBytes ?? DEFAULT_SLICE_BYTES, tail);
    // Scanning only once at least a tail's worth can be emitted bounds the rescanning of held bytes to 2x.
    this.scanAtBytes = 2 * scanner.tailBytes;
    this.roundAtBytes = this.scanAtBytes;
    this.maxHeldBytes = 2 * tail + 2 * this.sliceBytes;
  }

  /** Bytes held now (undecided input plus a few bytes of context): bounded, whatever flows through. */
  get heldBytes(): number {
    return this.pending.length + this.queuedBytes;
  }

  /** Feeds a chunk; returns the redacted output that is settled so far (possibly none). */
  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    for (let offset = 0; offset < chunk.length; offset += this.sliceBytes) {
      const slice = chunk.length <= this.sliceBytes ? chunk : chunk.subarray(offset, offset + this.sliceBytes);
      // Always a copy: the caller may reuse its chunk once push() returns.
      this.queued.push(Buffer.from(slice));
      this.queuedBytes += slice.length;
      if (this.heldBytes - this.contextBytes >= this.roundAtBytes) this.round(false, out);
    }
    return out;
  }

  /** End of input: everything still held, redacted. */
  end(): Buffer[] {
    const out: Buffer[] = [];
    if (this.heldBytes > this.contextBytes) this.round(true, out);
    return out;
  }

  /** The held input in one buffer. */
  private joined(): Buffer {
    if (this.queued.length > 0) {
      const parts = this.pending.length === 0 ? this.queued : [this.pending, ...this.queued];
      this.pending = parts.length === 1 ? parts[0]! : Buffer.concat(parts, this.heldBytes);
      this.queued = [];
      this.queuedBytes = 0;
    }
    return this.pending;
  }

  private round(final: boolean, out: Buffer[]): void {
    const input = this.joined();
    const from = this.contextBytes;
    const scan = this.matcher.scan(input, from);
    let cut = final ? input.length : settledCut(scan);
    const forced = !final && input.length - cut > this.maxHeldBytes;
    if (forced) cut = scan.unitStart(scan.cutLimit);
    if (cut > from) {
      // Nothing found and nothing carried (the common case): the bytes go out as they are.
      if (scan.matches.length === 0 && this.carried.length === 0) out.push(bytesBetween(input, from, cut));
      else this.emitRedacted(input, cut, forced, scan.matches, out);
      const keepFrom = contextStart(cut, scan);
      // A copy, so a few bytes of context do not keep the whole round's buffer alive; after the last round
      // a view will do (the held bytes are this redactor's own copies, which no caller can change).
      this.pending = final ? input.subarray(keepFrom) : Buffer.from(input.subarray(keepFrom));
      this.contextBytes = cut - keepFrom;
      this.pendingOffset += keepFrom;
    }
    // Held bytes are rescanned next round: wait for at least as many new ones (at most the memory bound).
    this.roundAtBytes = Math.min(Math.max(this.scanAtBytes, 2 * (this.pending.length - this.contextBytes)), this.maxHeldBytes);
  }

  /** A forced cut may go through matches: each is reported now, redacted now and, past the cut, later. */
  private emitRedacted(input: Buffer, cut: number, forced: boolean, matches: readonly RuleMatch[], out: Buffer[]): void {
    const cutThrough = forced ? matches.filter((m) => m.matchStart < cut && m.matchEnd > cut) : [];
    this.emit(input, cut, matches.filter((m) => m.matchEnd <= cut), cutThrough, out);
  }

  /** Reports this round's matches and writes out input[from, cut) with every secret span in it redacted. */
  private emit(input: Buffer, cut: number, settled: readonly RuleMatch[], cutThrough: readonly RuleMatch[], out: Buffer[]): void {
    const from = this.contextBytes;
    const base = this.pendingOffset;
    for (const finding of this.scanner.mergeMatches([...settled, ...cutThrough])) {
      this.options.onFinding?.({ ...finding, start: finding.start + base, end: finding.end + base });
    }
    const carried = [...this.carried, ...cutThrough.map((m) => shifted(m, base))];
    const toRedact = [...settled, ...carried.map((m) => shifted(m, -base))].filter((m) => m.start < cut).map((m) => clipped(m, from, cut));
    out.push(applyRedactions(input.subarray(0, cut), this.scanner.mergeMatches(toRedact), this.options).subarray(from));
    this.carried = carried.filter((m) => m.end > base + cut);
  }
}

/** input[from, to), without a new view when that is all of it. */
function bytesBetween(input: Buffer, from: number, to: number): Buffer {
  return from === 0 && to === input.length ? input : input.subarray(from, to);
}

function shifted(match: RuleMatch, by: number): RuleMatch {
  return { ...match, matchStart: match.matchStart + by, matchEnd: match.matchEnd + by, start: match.start + by, end: match.end + by };
}

function clipped(match: RuleMatch, from: number, cut: number): RuleMatch {
  return match.start >= from && match.end <= cut ? match : { ...match, start: Math.max(match.start, from), end: Math.min(match.end, cut) };
}

/**
 * The cut limit, moved back to the start of any match that straddles it and out of any escape it would
 * split. One pass in order of decreasing start suffices: a match that ended before the cut cannot
 * straddle a cut moved to (the unit start of) a start at or before its own.
 */
function settledCut(scan: RoundScan): number {
  let cut = scan.unitStart(scan.cutLimit);
  for (const match of [...scan.matches].sort((a, b) => b.matchStart - a.matchStart)) {
    if (match.matchStart < cut && match.matchEnd > cut) cut = scan.unitStart(match.matchStart);
  }
  return cut;
}

/** Where the next round's input begins: CONTEXT_UNITS whole units before the cut (fewer at the stream start). */
function contextStart(cut: number, scan: RoundScan): number {
  let start = cut;
  for (let unit = 0; unit < CONTEXT_UNITS && start > 0; unit++) start = scan.unitStart(start - 1);
  return start;
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
