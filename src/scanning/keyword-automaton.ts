/**
 * The prefilter: one pass over the input that reports every occurrence of every keyword, ASCII
 * case-insensitively, overlapping ones included (`sk-` inside `sk-ant-`). Aho-Corasick compiled to a dense
 * byte DFA: `transitions[state + byte]` is the next state's row offset, so the hot loop is one typed-array
 * load per input byte, with no case mapping (upper-case bytes share the lower-case column) and no failure
 * links left to follow at run time.
 *
 * Keywords enter the DFA by their first PREFIX_BYTES bytes only; a longer keyword is confirmed byte by byte
 * where its prefix occurs. That keeps the table small and lets a lane start after a warm-up of a few bytes.
 */

const ALPHABET = 256;
const LANES = 4;
const PREFIX_BYTES = 8;
/** A state is decided by the last PREFIX_BYTES - 1 bytes read (no prefix is longer): a lane's warm-up. */
const WARM_UP_BYTES = PREFIX_BYTES - 1;
// Lanes pay off from short inputs on (measured: 48 bytes in 50 ns instead of 74; a 200-byte body in half
// the time), as long as each lane is longer than the warm-up of the next.
const MIN_LANE_BYTES = WARM_UP_BYTES + 1;

export interface KeywordHits {
  /** Keyword index of each hit, in order of where the hit's prefix (its first PREFIX_BYTES bytes) ends. */
  readonly keywords: readonly number[];
  /** Byte offset where each hit's keyword starts. */
  readonly starts: readonly number[];
}

/** The answer for most inputs, shared: nothing to allocate when no keyword occurs. */
const NO_HITS: KeywordHits = Object.freeze({ keywords: Object.freeze([]), starts: Object.freeze([]) });

/** KeywordHits while they are being collected. */
interface FoundHits {
  readonly keywords: number[];
  readonly starts: number[];
}

/** (row, end) pairs of the states that completed a prefix, lanes interleaved; null while there are none. */
type Ends = number[] | null;

/** `ends` with (row, end) of each of the four lanes whose row is negated (a prefix completed at offset `end` of the lane). */
function notedEnds(ends: Ends, end: number, laneBytes: number, rowA: number, rowB: number, rowC: number, rowD: number): number[] {
  const noted = ends ?? [];
  if (rowA < 0) noted.push(-rowA, end);
  if (rowB < 0) noted.push(-rowB, laneBytes + end);
  if (rowC < 0) noted.push(-rowC, 2 * laneBytes + end);
  if (rowD < 0) noted.push(-rowD, 3 * laneBytes + end);
  return noted;
}

/** `ends` with one more (row, end) pair (one lane). */
function notedEnd(ends: Ends, row: number, end: number): number[] {
  const noted = ends ?? [];
  noted.push(row, end);
  return noted;
}

export class KeywordAutomaton {
  private constructor(
    /** Row offset (state * 256) of the next state; negated when that state completes at least one prefix. */
    private readonly transitions: Int32Array,
    /** For each state, the keywords whose prefix ends there (its own and those reached through failure links). */
    private readonly outputs: readonly (readonly number[])[],
    private readonly lengths: readonly number[],
    /** Each keyword, lower-cased, as bytes (for confirming what follows the prefix). */
    private readonly lowered: readonly Uint8Array[],
  ) {}

  /** `keywords` are printable ASCII and non-empty; their indexes are the ones reported. */
  static compile(keywords: readonly string[]): KeywordAutomaton {
    const lowered = keywords.map((keyword) => keyword.toLowerCase());
    const trie = buildTrie(lowered.map((keyword) => keyword.slice(0, PREFIX_BYTES)));
    const transitions = completeTransitions(trie);
    const bytes = lowered.map((keyword) => Uint8Array.from(keyword, (char) => char.charCodeAt(0)));
    return new KeywordAutomaton(transitions, trie.outputs, keywords.map((keyword) => keyword.length), bytes);
  }

  keywordLength(keyword: number): number {
    return this.lengths[keyword]!;
  }

  /** Every hit; the result is shared and frozen when there is none, so treat it as read-only. */
  findAll(input: Uint8Array): KeywordHits {
    if (input.length < MIN_LANE_BYTES * LANES) return this.decode(input, this.scanLane(input, 0, 0, input.length, null), input.length);
    // Four independent lanes interleaved in one loop: a DFA step waits on the load before it, so one lane
    // is bound by memory latency; four let the CPU overlap their loads (about 2x faster measured). The loop
    // only notes (row, end) of each state that completes a prefix; keywords are looked up afterwards.
    const laneBytes = Math.floor(input.length / LANES);
    const bBase = laneBytes;
    const cBase = 2 * laneBytes;
    const dBase = 3 * laneBytes;
    const { transitions } = this;
    let ends: Ends = null;
    let rowA = 0;
    let rowB = 0;
    let rowC = 0;
    let rowD = 0;
    // Each lane after the first starts in the state that the bytes just before it lead to from the root,
    // run without reporting, so a prefix that straddles two lanes is reported once, by the lane where it
    // ends. The three warm-ups (the last WARM_UP_BYTES of the lane before each) run interleaved too.
    for (let i = laneBytes - WARM_UP_BYTES; i < laneBytes; i++) {
      rowB = transitions[rowB + input[i]!]!;
      rowC = transitions[rowC + input[bBase + i]!]!;
      rowD = transitions[rowD + input[cBase + i]!]!;
      if (rowB < 0) rowB = -rowB;
      if (rowC < 0) rowC = -rowC;
      if (rowD < 0) rowD = -rowD;
    }
    for (let i = 0; i < laneBytes; i++) {
      rowA = transitions[rowA + input[i]!]!;
      rowB = transitions[rowB + input[bBase + i]!]!;
      rowC = transitions[rowC + input[cBase + i]!]!;
      rowD = transitions[rowD + input[dBase + i]!]!;
      if ((rowA | rowB | rowC | rowD) < 0) {
        // Rare, so noted in a call: the loop keeps its registers for the lanes (~10% faster than pushing here).
        ends = notedEnds(ends, i + 1, laneBytes, rowA, rowB, rowC, rowD);
        if (rowA < 0) rowA = -rowA;
        if (rowB < 0) rowB = -rowB;
        if (rowC < 0) rowC = -rowC;
        if (rowD < 0) rowD = -rowD;
      }
    }
    // The last lane also takes the bytes the division left over.
    return this.decode(input, this.scanLane(input, rowD, dBase + laneBytes, input.length, ends), laneBytes);
  }

  /** Runs the DFA from `row` over input[from, to), adding (row, end) to `ends` where a prefix completes. */
  private scanLane(input: Uint8Array, row: number, from: number, to: number, ends: Ends): Ends {
    const { transitions } = this;
    let current = row;
    let noted = ends;
    for (let i = from; i < to; i++) {
      current = transitions[current + input[i]!]!;
      if (current < 0) {
        current = -current;
        noted = notedEnd(noted, current, i + 1);
      }
    }
    return noted;
  }

  /**
   * The keyword hits of the (row, end) pairs, in order of their ends: the lanes' (`laneBytes` each, the
   * last one open-ended) in turn, since each lane's own pairs are in order.
   */
  private decode(input: Uint8Array, ends: Ends, laneBytes: number): KeywordHits {
    if (ends === null) return NO_HITS;
    const hits: FoundHits = { keywords: [], starts: [] };
    for (let lane = 0; lane < LANES; lane++) {
      const after = lane * laneBytes;
      const upTo = lane === LANES - 1 ? Infinity : after + laneBytes;
      for (let i = 0; i < ends.length; i += 2) {
        const end = ends[i + 1]!;
        if (end > after && end <= upTo) this.record(input, hits, ends[i]!, end);
      }
    }
    return hits;
  }

  /** Records the keywords whose prefix ends at `end` in the state at row offset `row`. */
  private record(input: Uint8Array, hits: FoundHits, row: number, end: number): void {
    for (const keyword of this.outputs[row / ALPHABET]!) {
      const length = this.lengths[keyword]!;
      const start = end - Math.min(length, PREFIX_BYTES);
      if (length <= PREFIX_BYTES || this.restFollows(input, keyword, start)) {
        hits.keywords.push(keyword);
        hits.starts.push(start);
      }
    }
  }

  /** The bytes after the prefix of `keyword` starting at `start` complete it (ASCII case-insensitively). */
  private restFollows(input: Uint8Array, keyword: number, start: number): boolean {
    const expected = this.lowered[keyword]!;
    if (start + expected.length > input.length) return false;
    for (let i = PREFIX_BYTES; i < expected.length; i++) {
      const byte = input[start + i]!;
      if ((byte >= 0x41 && byte <= 0x5a ? byte + 0x20 : byte) !== expected[i]) return false;
    }
    return true;
  }
}

interface Trie {
  /** goto[state * 256 + byte]: child state, or -1. */
  goto: Int32Array;
  outputs: number[][];
  stateCount: number;
}

function buildTrie(keywords: readonly string[]): Trie {
  const capacity = keywords.reduce((sum, keyword) => sum + keyword.length, 1);
  const goto = new Int32Array(capacity * ALPHABET).fill(-1);
  const outputs: number[][] = [[]];
  let stateCount = 1;
  keywords.forEach((keyword, index) => {
    let state = 0;
    for (let i = 0; i < keyword.length; i++) {
      const slot = state * ALPHABET + keyword.charCodeAt(i);
      if (goto[slot] === -1) {
        goto[slot] = stateCount;
        outputs.push([]);
        stateCount += 1;
      }
      state = goto[slot]!;
    }
    outputs[state]!.push(index);
  });
  return { goto, outputs, stateCount };
}

/** Breadth-first failure links folded into a complete DFA (states in BFS order see their failure state's row done). */
function completeTransitions(trie: Trie): Int32Array {
  const { goto, outputs, stateCount } = trie;
  const delta = new Int32Array(stateCount * ALPHABET);
  const failure = new Int32Array(stateCount);
  const queue: number[] = [];
  for (let byte = 0; byte < ALPHABET; byte++) {
    const child = goto[byte]!;
    delta[byte] = child === -1 ? 0 : child;
    if (child > 0) queue.push(child);
  }
  for (let head = 0; head < queue.length; head++) {
    const state = queue[head]!;
    const fail = failure[state]!;
    outputs[state]!.push(...outputs[fail]!.filter((keyword) => !outputs[state]!.includes(keyword)));
    for (let byte = 0; byte < ALPHABET; byte++) {
      const child = goto[state * ALPHABET + byte]!;
      if (child === -1) {
        delta[state * ALPHABET + byte] = delta[fail * ALPHABET + byte]!;
      } else {
        failure[child] = delta[fail * ALPHABET + byte]!;
        delta[state * ALPHABET + byte] = child;
        queue.push(child);
      }
    }
  }
  return encodeRows(delta, outputs, stateCount);
}

function encodeRows(delta: Int32Array, outputs: readonly (readonly number[])[], stateCount: number): Int32Array {
  const transitions = new Int32Array(stateCount * ALPHABET);
  for (let state = 0; state < stateCount; state++) {
    for (let byte = 0; byte < ALPHABET; byte++) {
      // Keywords are lower-cased at build time; an upper-case ASCII byte takes its lower-case column.
      const column = byte >= 0x41 && byte <= 0x5a ? byte + 0x20 : byte;
      const next = delta[state * ALPHABET + column]!;
      transitions[state * ALPHABET + byte] = outputs[next]!.length > 0 ? -next * ALPHABET : next * ALPHABET;
    }
  }
  return transitions;
}
