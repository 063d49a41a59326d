/**
 * The prefilter: one pass over the input that reports every occurrence of every keyword, ASCII
 * case-insensitively, overlapping ones included (`sk-` inside `sk-ant-`). Aho-Corasick compiled to a dense
 * byte DFA: `transitions[state + byte]` is the next state's row offset, so the hot loop is one typed-array
 * load per input byte, with no case mapping (upper-case bytes share the lower-case column) and no failure
 * links left to follow at run time.
 */

const ALPHABET = 256;

export interface KeywordHits {
  /** Keyword index of each hit, in order of the hit's end. */
  readonly keywords: number[];
  /** Byte offset where each hit's keyword starts. */
  readonly starts: number[];
}

export class KeywordAutomaton {
  private constructor(
    /** Row offset (state * 256) of the next state; negated when that state completes at least one keyword. */
    private readonly transitions: Int32Array,
    /** For each state, the keywords that end there (its own and those reached through failure links). */
    private readonly outputs: readonly (readonly number[])[],
    private readonly lengths: readonly number[],
  ) {}

  /** `keywords` are printable ASCII and non-empty; their indexes are the ones reported. */
  static compile(keywords: readonly string[]): KeywordAutomaton {
    const trie = buildTrie(keywords.map((keyword) => keyword.toLowerCase()));
    const transitions = completeTransitions(trie);
    return new KeywordAutomaton(transitions, trie.outputs, keywords.map((keyword) => keyword.length));
  }

  keywordLength(keyword: number): number {
    return this.lengths[keyword]!;
  }

  findAll(input: Uint8Array): KeywordHits {
    const hits: KeywordHits = { keywords: [], starts: [] };
    const { transitions } = this;
    let row = 0;
    for (let i = 0; i < input.length; i++) {
      row = transitions[row + input[i]!]!;
      if (row < 0) {
        row = -row;
        this.record(hits, row / ALPHABET, i + 1);
      }
    }
    return hits;
  }

  private record(hits: KeywordHits, state: number, end: number): void {
    for (const keyword of this.outputs[state]!) {
      hits.keywords.push(keyword);
      hits.starts.push(end - this.lengths[keyword]!);
    }
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
