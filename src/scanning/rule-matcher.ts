/**
 * From keyword hits to accepted matches. A rule runs only near its own keywords: a match counts only when
 * one of them lies inside it and starts at most `keywordOffset` bytes after the match start, so only the
 * starts in [hit - keywordOffset, hit] of some hit need trying. The rule's probe (compile-rule.ts) tries
 * them, anchored at the first start not yet decided, and stops as soon as no start in its range can still
 * match: a keyword with no match around it costs a few dozen bytes of DFA, not a window of maxLength on
 * each side. A rule without a probe (its keyword may lie far into a match), and a dense cluster of keywords,
 * are searched unanchored instead, one pass per cluster.
 *
 * Semantics, chosen so the result does not depend on where a scan (or a stream chunk) begins: every start
 * position is tried (each start's match is the one an unanchored search from there reports; after a
 * match, accepted or not, the next start tried is the byte after its start), and a match is kept when it
 * passes every check. Every search sees the whole input before its first start (no artificial edge for
 * `\b` or `^`) and reads up to maxLength bytes past its last start, plus the byte after for `\b` and `$`,
 * so every match short enough to be kept lies inside what it reads.
 */
import type { Allowlist } from './allowlist.js';
import { MAX_PROBE_WIDTH, type CompiledRule } from './compile-rule.js';
import { shannonEntropy } from './entropy.js';
import type { KeywordAutomaton, KeywordHits } from './keyword-automaton.js';

/** One accepted regex match, before overlapping matches are merged into findings. */
export interface RuleMatch {
  readonly rule: CompiledRule;
  /** Byte span of the whole regex match. */
  readonly matchStart: number;
  readonly matchEnd: number;
  /** Byte span of the secret (the secret group). */
  readonly start: number;
  readonly end: number;
  /** The secret begins with one of the rule's keywords (`ghp_…`): the rule knows the format, not just the context. */
  readonly keywordLeads: boolean;
}

export interface MatcherParts {
  readonly automaton: KeywordAutomaton;
  readonly rules: readonly CompiledRule[];
  /** For each automaton keyword, the indexes in `rules` of the rules that listed it. */
  readonly rulesOfKeyword: readonly (readonly number[])[];
  readonly allowlist: Allowlist;
}

/** One rule's pass over one input. `hits` is flat [start, end, start, end, …] of its keywords, by start. */
interface RuleScan {
  readonly rule: CompiledRule;
  readonly hits: readonly number[];
  readonly input: Buffer;
  readonly allowlist: Allowlist;
  readonly out: RuleMatch[];
}

/** Accepted matches in `input`, ignoring any that start before `minMatchStart` (bytes kept only as context). */
export function findRuleMatches(parts: MatcherParts, input: Buffer, minMatchStart = 0): RuleMatch[] {
  const out: RuleMatch[] = [];
  const found = parts.automaton.findAll(input);
  if (found.keywords.length === 0) return out;
  const { rules, allowlist } = parts;
  const { ruleIndexes, hitsOfRule } = hitsByRule(parts, found);
  for (let r = 0; r < ruleIndexes.length; r++) {
    scanRule({ rule: rules[ruleIndexes[r]!]!, hits: sortedByStart(hitsOfRule[r]!), input, allowlist, out }, minMatchStart);
  }
  return out;
}

/** The rules that have keyword hits, in order of their first hit, and each one's hits (flat start, end pairs). */
interface HitsByRule {
  readonly ruleIndexes: number[];
  readonly hitsOfRule: number[][];
}

/** Most inputs hit a keyword or two: up to this many rules a list is searched, past it a map keeps it linear. */
const LINEAR_RULES = 8;

function hitsByRule(parts: MatcherParts, found: KeywordHits): HitsByRule {
  const ruleIndexes: number[] = [];
  const hitsOfRule: number[][] = [];
  let slotOfRule: Map<number, number> | null = null;
  for (let h = 0; h < found.keywords.length; h++) {
    const keyword = found.keywords[h]!;
    const start = found.starts[h]!;
    const end = start + parts.automaton.keywordLength(keyword);
    for (const ruleIndex of parts.rulesOfKeyword[keyword]!) {
      if (slotOfRule === null && ruleIndexes.length > LINEAR_RULES) slotOfRule = new Map(ruleIndexes.map((rule, slot) => [rule, slot]));
      const slot = slotOfRule === null ? ruleIndexes.indexOf(ruleIndex) : (slotOfRule.get(ruleIndex) ?? -1);
      if (slot >= 0) {
        hitsOfRule[slot]!.push(start, end);
        continue;
      }
      slotOfRule?.set(ruleIndex, ruleIndexes.length);
      ruleIndexes.push(ruleIndex);
      hitsOfRule.push([start, end]);
    }
  }
  return { ruleIndexes, hitsOfRule };
}

/** Hits arrive ordered by their end; a rule with keywords of several lengths can see starts out of order. */
function sortedByStart(hits: number[]): number[] {
  let sorted = true;
  for (let i = 2; i < hits.length && sorted; i += 2) sorted = hits[i - 2]! <= hits[i]!;
  if (sorted) return hits;
  const pairs: [number, number][] = [];
  for (let i = 0; i < hits.length; i += 2) pairs.push([hits[i]!, hits[i + 1]!]);
  pairs.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return pairs.flat();
}

/**
 * Past this many starts, a cluster of nearby keywords (a keyword repeated, a token-heavy stretch) is searched
 * in one unanchored pass: probes restart the DFA every probeWidth + 1 starts and re-read what each one reads
 * past its range, which adds up where keywords are dense.
 */
const DENSE_STARTS = 4 * (MAX_PROBE_WIDTH + 1);

function scanRule(scan: RuleScan, minMatchStart: number): void {
  const { rule, hits } = scan;
  // Every start before `next` is decided; `h` is the first hit starting at or after `next`.
  let next = minMatchStart;
  let h = 0;
  // The cluster of ranges being worked through: its last hit and its last start.
  let clusterHit = -1;
  let clusterLast = -1;
  for (;;) {
    while (h < hits.length && hits[h]! < next) h += 2;
    if (h >= hits.length) return;
    const from = Math.max(next, hits[h]! - rule.keywordOffset);
    if (h > clusterHit) [clusterHit, clusterLast] = clusterOf(scan, h);
    const unanchored = rule.probe === undefined || clusterLast - from > DENSE_STARTS;
    const match = unanchored ? searchRange(rule, scan.input, from, clusterLast) : probe(rule, scan.input, from);
    if (match === undefined) {
      // No start in [from, next) matches.
      next = unanchored ? clusterLast + 1 : from + rule.probeWidth + 1;
      continue;
    }
    const accepted = acceptedMatch(scan, match, h);
    if (accepted !== undefined) scan.out.push(accepted);
    next = match.start + 1;
  }
}

/** A regex match: its span, and the secret's (undefined when the secret group did not take part). */
interface Candidate {
  readonly start: number;
  readonly end: number;
  readonly secret: readonly [number, number] | undefined;
}

type Indices = ArrayLike<readonly [number, number] | undefined>;

/** The first start in [from, from + probeWidth] where the rule matches, and its match (group 1 of the probe). */
function probe(rule: CompiledRule, input: Buffer, from: number): Candidate | undefined {
  const probeRegex = rule.probe!;
  const text = readable(input, from + rule.probeWidth + rule.maxLength + 1);
  // test() asks RE2 for no groups, so it answers with the DFA alone. exec() asks for groups, and on a text
  // this short RE2 then skips the DFA and backtracks (BitState) through every start in the range: several
  // times slower, which only a match is worth.
  probeRegex.lastIndex = from;
  if (!probeRegex.test(text)) return undefined;
  probeRegex.lastIndex = from;
  const indices = probeRegex.exec(text)?.indices as Indices | undefined;
  // Never undefined after test() succeeded (same program, same text); checked rather than asserted.
  const span = indices?.[1];
  if (span === undefined) return undefined;
  const [start, end] = span;
  return { start, end, secret: rule.secretGroup === 0 ? span : indices![rule.secretGroup + 1] };
}

/** One unanchored search from `from` for a match starting at most at `last` (a probed rule's regex compiles on first use). */
function searchRange(rule: CompiledRule, input: Buffer, from: number, last: number): Candidate | undefined {
  rule.regex.lastIndex = from;
  const m = rule.regex.exec(readable(input, last + rule.maxLength + 1));
  if (m === null || m.index > last) return undefined;
  const end = m.index + m[0].length;
  const indices = m.indices as Indices | undefined;
  return { start: m.index, end, secret: rule.secretGroup === 0 ? [m.index, end] : indices?.[rule.secretGroup] };
}

/**
 * The cluster that hit `h` begins: the following hits whose start ranges [hit - keywordOffset, hit] lie
 * within one probe of the range before. Returns its last hit and its last start.
 */
function clusterOf(scan: RuleScan, h: number): [number, number] {
  const { hits, rule } = scan;
  const reach = rule.probe === undefined ? 1 : rule.probeWidth + 2;
  let lastHit = h;
  let last = hits[h]!;
  for (let i = h + 2; i < hits.length && hits[i]! - rule.keywordOffset <= last + reach; i += 2) {
    lastHit = i;
    last = Math.max(last, hits[i]!);
  }
  return [lastHit, last];
}

/**
 * The input up to `end` (clamped), which is where a match that starts in the range and is short enough to
 * be kept ends at the latest, plus one byte for `\b` and `$`. Bounding it keeps every call linear in the
 * range even where the regex could run on (a run of token characters without a terminator).
 */
function readable(input: Buffer, end: number): Buffer {
  return end >= input.length ? input : input.subarray(0, end);
}

/** The candidate as a finding, if it passes every check; `h` indexes the first hit at or after its start. */
function acceptedMatch(scan: RuleScan, match: Candidate, h: number): RuleMatch | undefined {
  const { rule, hits } = scan;
  const { start: matchStart, end: matchEnd, secret } = match;
  if (matchEnd - matchStart > rule.maxLength) return undefined;
  if (secret === undefined || secret[1] <= secret[0]) return undefined;
  if (!holdsKeyword(hits, h, matchStart, matchEnd, matchStart + rule.keywordOffset)) return undefined;
  if (!passesValueChecks(scan, scan.input.subarray(secret[0], secret[1]))) return undefined;
  const keywordLeads = hitStartsAt(hits, h, secret[0]);
  return { rule, matchStart, matchEnd, start: secret[0], end: secret[1], keywordLeads };
}

/** A hit lies inside [start, end) and starts no later than `latestStart`. */
function holdsKeyword(hits: readonly number[], h: number, start: number, end: number, latestStart: number): boolean {
  for (let i = h; i < hits.length && hits[i]! <= latestStart; i += 2) {
    if (hits[i]! >= start && hits[i + 1]! <= end) return true;
  }
  return false;
}

function hitStartsAt(hits: readonly number[], h: number, at: number): boolean {
  for (let i = h; i < hits.length && hits[i]! <= at; i += 2) if (hits[i] === at) return true;
  return false;
}

function passesValueChecks(scan: RuleScan, value: Buffer): boolean {
  const { rule } = scan;
  if (rule.minEntropy !== undefined && shannonEntropy(value) < rule.minEntropy) return false;
  if (rule.validator !== undefined && !rule.validator(value)) return false;
  return !scan.allowlist.isPlaceholder(value, rule.keywords);
}
