/**
 * From keyword hits to accepted matches. Each rule runs only where one of its keywords occurred, on the
 * window [hit - maxLength, hit + keyword + maxLength] (clamped, merged per rule when windows overlap):
 * a match of at most maxLength bytes that contains the hit cannot start or end outside it.
 *
 * Semantics, chosen so the result does not depend on where a window (or a stream chunk) begins: every
 * start position is tried (after any match, accepted or not, the search resumes one byte after its
 * start), and a match is kept when it passes every check. A match that touches an artificial window
 * edge is always longer than maxLength (it spans a whole margin plus a keyword) and is refused, so edges
 * cannot invent or hide a finding.
 */
import type { Allowlist } from './allowlist.js';
import type { CompiledRule } from './compile-rule.js';
import { shannonEntropy } from './entropy.js';
import type { KeywordAutomaton } from './keyword-automaton.js';

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
  /** For each automaton keyword, the rules that listed it. */
  readonly rulesOfKeyword: readonly (readonly CompiledRule[])[];
  readonly allowlist: Allowlist;
  /** Lower-cased keywords of each rule, as bytes, for the keyword-inside-the-match check. */
  readonly ruleKeywordBytes: ReadonlyMap<CompiledRule, readonly Buffer[]>;
}

/** One scan's inputs and its output list, passed down to each window. */
interface ScanContext {
  readonly parts: MatcherParts;
  readonly input: Buffer;
  readonly minMatchStart: number;
  readonly out: RuleMatch[];
}

/** Accepted matches in `input`, ignoring any that start before `minMatchStart` (bytes kept only as context). */
export function findRuleMatches(parts: MatcherParts, input: Buffer, minMatchStart = 0): RuleMatch[] {
  const context: ScanContext = { parts, input, minMatchStart, out: [] };
  for (const [rule, windows] of windowsByRule(parts, input)) {
    for (let i = 0; i < windows.length; i += 2) matchWindow(context, rule, windows[i]!, windows[i + 1]!);
  }
  return context.out;
}

/** Flat [start, end, start, end, ...] per rule, sorted and merged. */
function windowsByRule(parts: MatcherParts, input: Buffer): Map<CompiledRule, number[]> {
  const hits = parts.automaton.findAll(input);
  const raw = new Map<CompiledRule, number[]>();
  for (let h = 0; h < hits.keywords.length; h++) {
    const keyword = hits.keywords[h]!;
    const start = hits.starts[h]!;
    const end = start + parts.automaton.keywordLength(keyword);
    for (const rule of parts.rulesOfKeyword[keyword]!) {
      const windows = raw.get(rule) ?? [];
      if (windows.length === 0) raw.set(rule, windows);
      windows.push(Math.max(0, start - rule.maxLength), Math.min(input.length, end + rule.maxLength));
    }
  }
  for (const [rule, windows] of raw) raw.set(rule, mergeWindows(windows));
  return raw;
}

function mergeWindows(flat: number[]): number[] {
  const pairs: [number, number][] = [];
  for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i]!, flat[i + 1]!]);
  // Hits arrive ordered by their end, so starts are nearly sorted already.
  pairs.sort((a, b) => a[0] - b[0]);
  const merged: number[] = [];
  for (const [start, end] of pairs) {
    const last = merged.length - 1;
    if (merged.length > 0 && start <= merged[last]!) merged[last] = Math.max(merged[last]!, end);
    else merged.push(start, end);
  }
  return merged;
}

function matchWindow(context: ScanContext, rule: CompiledRule, windowStart: number, windowEnd: number): void {
  const window = context.input.subarray(windowStart, windowEnd);
  const { regex } = rule;
  regex.lastIndex = 0;
  for (let m = regex.exec(window); m !== null; m = regex.exec(window)) {
    const match = accepted(context, rule, m, windowStart);
    if (match !== undefined) context.out.push(match);
    // Every start position is tried: resume one byte after this match's start, accepted or not.
    if (m.index + 1 > window.length) break;
    regex.lastIndex = m.index + 1;
  }
  regex.lastIndex = 0;
}

/** The regex match `m` (offsets relative to the window) as a finding candidate, if it passes every check. */
function accepted(context: ScanContext, rule: CompiledRule, m: ExecResult, windowStart: number): RuleMatch | undefined {
  const matchStart = windowStart + m.index;
  const matchEnd = matchStart + m[0].length;
  if (matchStart < context.minMatchStart || matchEnd - matchStart > rule.maxLength) return undefined;
  const secret = secretSpan(rule, m, windowStart, matchStart, matchEnd);
  if (secret === undefined) return undefined;
  const keywords = context.parts.ruleKeywordBytes.get(rule)!;
  if (!containsKeyword(context.input, matchStart, matchEnd, keywords)) return undefined;
  if (!passesValueChecks(context.parts, rule, context.input.subarray(secret[0], secret[1]))) return undefined;
  const keywordLeads = startsWithKeyword(context.input, secret[0], keywords);
  return { rule, matchStart, matchEnd, start: secret[0], end: secret[1], keywordLeads };
}

type ExecResult = NonNullable<ReturnType<CompiledRule['regex']['exec']>> & { indices?: ArrayLike<[number, number] | undefined> };

function secretSpan(rule: CompiledRule, m: ExecResult, windowStart: number, matchStart: number, matchEnd: number): [number, number] | undefined {
  if (rule.secretGroup === 0) return matchEnd > matchStart ? [matchStart, matchEnd] : undefined;
  const group = m.indices?.[rule.secretGroup];
  if (group === undefined || group[1] <= group[0]) return undefined;
  return [windowStart + group[0], windowStart + group[1]];
}

function passesValueChecks(parts: MatcherParts, rule: CompiledRule, value: Buffer): boolean {
  if (rule.minEntropy !== undefined && shannonEntropy(value) < rule.minEntropy) return false;
  if (rule.validator !== undefined && !rule.validator(value)) return false;
  return !parts.allowlist.isPlaceholder(value, rule.keywords);
}

function startsWithKeyword(input: Buffer, start: number, lowerKeywords: readonly Buffer[]): boolean {
  return lowerKeywords.some((keyword) => {
    if (start + keyword.length > input.length) return false;
    for (let i = 0; i < keyword.length; i++) {
      const byte = input[start + i]!;
      if ((byte >= 0x41 && byte <= 0x5a ? byte + 0x20 : byte) !== keyword[i]) return false;
    }
    return true;
  });
}

/** ASCII case-insensitive: one of the rule's keywords occurs inside [start, end). */
export function containsKeyword(input: Buffer, start: number, end: number, lowerKeywords: readonly Buffer[]): boolean {
  const lowered = Buffer.from(input.subarray(start, end));
  for (let i = 0; i < lowered.length; i++) {
    const byte = lowered[i]!;
    if (byte >= 0x41 && byte <= 0x5a) lowered[i] = byte + 0x20;
  }
  return lowerKeywords.some((keyword) => lowered.includes(keyword));
}
