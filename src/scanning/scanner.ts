/**
 * The scanner: a compiled catalogue plus its keyword prefilter, ready to find and redact secrets in
 * Buffers. Built once at start; scanning allocates per call and keeps no state between calls (a rule's
 * unanchored regex, needed only for dense keywords, is compiled on first use and kept with the rule).
 */
import { createAllowlist, type AllowlistOptions } from './allowlist.js';
import type { Catalogue } from './load-catalogue.js';
import type { CompiledRule } from './compile-rule.js';
import { mergeMatches, type Finding } from './findings.js';
import { KeywordAutomaton } from './keyword-automaton.js';
import { applyRedactions, type RedactOptions, type RedactResult } from './redaction.js';
import { findRuleMatches, type MatcherParts, type RuleMatch } from './rule-matcher.js';

export interface ScannerOptions {
  readonly allowlist?: AllowlistOptions;
}

export interface StringRedactResult {
  readonly output: string;
  /** Byte offsets into the UTF-8 encoding of the input string. */
  readonly findings: readonly Finding[];
}

export interface Scanner {
  readonly rules: readonly CompiledRule[];
  /**
   * How many trailing bytes a stream redactor must hold back: the longest possible match plus the
   * longest keyword, plus one byte of look-ahead for `\b` and `$`.
   */
  readonly tailBytes: number;
  scan(input: Buffer): Finding[];
  redact(input: Buffer, options?: RedactOptions): RedactResult;
  /** Offsets in the findings are bytes of the string's UTF-8 encoding. */
  redactString(input: string, options?: RedactOptions): StringRedactResult;
  /** Accepted matches before merging, ignoring those that start before `minMatchStart` (stream context). */
  matches(input: Buffer, minMatchStart?: number): RuleMatch[];
  mergeMatches(matches: readonly RuleMatch[]): Finding[];
  /**
   * Whether any rule's keyword occurs in `input` (ASCII case-insensitively): when not, `matches` and
   * `scan` find nothing in it, nor in any part of it. A cheap first look at text made of several parts.
   */
  mentionsKeyword(input: Buffer): boolean;
}

export function createScanner(catalogue: Catalogue, options: ScannerOptions = {}): Scanner {
  const parts = matcherParts(catalogue.rules, options);
  const ruleOrder = new Map(catalogue.rules.map((rule, index) => [rule.id, index]));
  const longestMatch = Math.max(0, ...catalogue.rules.map((rule) => rule.maxLength));
  const longestKeyword = Math.max(0, ...catalogue.rules.flatMap((rule) => rule.keywords.map((keyword) => keyword.length)));
  const scanner: Scanner = {
    rules: catalogue.rules,
    tailBytes: longestMatch + longestKeyword + 1,
    matches: (input, minMatchStart = 0) => findRuleMatches(parts, input, minMatchStart),
    mergeMatches: (matches) => mergeMatches(matches, ruleOrder),
    mentionsKeyword: (input) => parts.automaton.findAll(input).keywords.length > 0,
    scan: (input) => mergeMatches(findRuleMatches(parts, input), ruleOrder),
    redact(input, redactOptions = {}) {
      const findings = scanner.scan(input);
      return { output: applyRedactions(input, findings, redactOptions), findings };
    },
    redactString(input, redactOptions = {}) {
      const { output, findings } = scanner.redact(Buffer.from(input, 'utf8'), redactOptions);
      return { output: findings.length === 0 ? input : output.toString('utf8'), findings };
    },
  };
  return scanner;
}

function matcherParts(rules: readonly CompiledRule[], options: ScannerOptions): MatcherParts {
  // One automaton keyword per distinct lower-cased literal, shared by every rule that lists it.
  const keywordIndex = new Map<string, number>();
  const rulesOfKeyword: number[][] = [];
  rules.forEach((rule, ruleIndex) => {
    for (const keyword of new Set(rule.keywords.map((k) => k.toLowerCase()))) {
      let index = keywordIndex.get(keyword);
      if (index === undefined) {
        index = rulesOfKeyword.length;
        keywordIndex.set(keyword, index);
        rulesOfKeyword.push([]);
      }
      rulesOfKeyword[index]!.push(ruleIndex);
    }
  });
  return {
    automaton: KeywordAutomaton.compile([...keywordIndex.keys()]),
    rules,
    rulesOfKeyword,
    allowlist: createAllowlist(options.allowlist),
  };
}
