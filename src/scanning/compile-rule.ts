/**
 * One rule from its YAML shape to the form the scanner executes: one RE2 program compiled once (the probe,
 * or the regex itself for a rule whose keyword may lie far into a match), defaults applied, the validator
 * resolved. Problems are returned with their key path, never thrown one by one.
 */
import RE2 from 're2';
import { DEFAULT_RULE_LENGTH, type Holder, type RuleSpec } from './catalogue-schema.js';
import { validatorNamed, type SecretValidator } from './validators.js';

/**
 * Most start positions one probe call covers. The DFA of `\C{0,W}?(…)` carries the skip count in its
 * states, so W multiplies their number; 64 keeps a keyword's whole range in one call for most rules.
 */
export const MAX_PROBE_WIDTH = 64;
/** Largest keywordOffset a probe serves (in at most four calls per keyword); beyond it the regex searches unanchored. */
export const MAX_PROBED_OFFSET = 4 * (MAX_PROBE_WIDTH + 1) - 1;

export interface CompiledRule {
  readonly id: string;
  readonly family: string;
  /** The file the rule came from, as shown to operators (`patterns/github.yaml`). */
  readonly file: string;
  readonly kind: string;
  readonly holder: Holder;
  readonly description: string;
  /**
   * The regex as written, global (`d` when a group is the secret). The scanner searches with it where a
   * probe does not pay (a rule without one, a dense cluster of keywords); a probed rule compiles it on first
   * use, so start-up compiles one program per rule.
   */
  readonly regex: RE2;
  /**
   * `\C{0,probeWidth}?(regex)`, sticky, with indices, when keywordOffset is at most MAX_PROBED_OFFSET.
   * Anchored at `lastIndex`, it finds the first start in [lastIndex, lastIndex + probeWidth] where the regex
   * matches, and that start's match (group 1), exactly as an unanchored search would; unlike one, it stops
   * as soon as no start in that range can still match instead of running on to the end of the text.
   */
  readonly probe: RE2 | undefined;
  readonly probeWidth: number;
  /** In the regex (`probe` numbers it one higher). */
  readonly secretGroup: number;
  readonly keywords: readonly string[];
  /** Longest possible match, in bytes: bounds the text a search reads and the streaming tail. */
  readonly maxLength: number;
  /**
   * A match counts only when one of the keywords starts at most this many bytes after the match start
   * (declared, or else maxLength minus the shortest keyword: anywhere a keyword fits).
   */
  readonly keywordOffset: number;
  readonly minEntropy: number | undefined;
  readonly validator: SecretValidator | undefined;
  readonly examples: { readonly match: readonly string[]; readonly noMatch: readonly string[] };
}

export interface RuleProblem {
  /** Relative to the rule, e.g. `regex` or `secretGroup`. */
  readonly key: string;
  readonly message: string;
}

export type CompileResult = { readonly ok: true; readonly rule: CompiledRule } | { readonly ok: false; readonly problems: RuleProblem[] };

export function compileRule(spec: RuleSpec, family: string, file: string): CompileResult {
  const secretGroup = spec.secretGroup ?? 0;
  const maxLength = spec.maxLength ?? DEFAULT_RULE_LENGTH;
  const lengths = spec.keywords.map((keyword) => keyword.length);
  // Without a declared offset: any keyword that fits in a match of maxLength bytes.
  const widestOffset = Math.max(0, maxLength - Math.min(...lengths));
  const keywordOffset = spec.keywordOffset ?? widestOffset;
  const probeWidth = Math.min(keywordOffset, MAX_PROBE_WIDTH);
  const flags = secretGroup > 0 ? 'gd' : 'g';
  const probed = keywordOffset <= MAX_PROBED_OFFSET;
  const compiled = probed ? compileProbe(spec.regex, probeWidth) : compileRegex(spec.regex, flags);
  if (!compiled.ok) return { ok: false, problems: [{ key: 'regex', message: compiled.message }] };
  const problems = ruleProblems(spec, maxLength, Math.max(...lengths), widestOffset);
  if (problems.length > 0) return { ok: false, problems };
  let regex = probed ? undefined : compiled.regex;
  const rule: CompiledRule = {
    id: spec.id,
    family,
    file,
    kind: spec.kind,
    holder: spec.holder,
    description: spec.description,
    get regex(): RE2 {
      regex ??= new RE2(spec.regex, flags);
      return regex;
    },
    probe: probed ? compiled.regex : undefined,
    probeWidth,
    secretGroup,
    keywords: spec.keywords,
    maxLength,
    keywordOffset,
    minEntropy: spec.minEntropy,
    validator: validatorNamed(spec.validate),
    examples: spec.examples,
  };
  // The rule is shared by every scan; only its probe's (or regex's) lastIndex changes, within one synchronous scan.
  return { ok: true, rule: Object.freeze(rule) };
}

function ruleProblems(spec: RuleSpec, maxLength: number, longestKeyword: number, widestOffset: number): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const secretGroup = spec.secretGroup ?? 0;
  const groups = captureGroupCount(spec.regex);
  if (secretGroup > groups) {
    problems.push({ key: 'secretGroup', message: `the regex has ${groups} capture group(s), secretGroup is ${secretGroup}` });
  }
  if (longestKeyword > maxLength) {
    problems.push({ key: 'maxLength', message: `${maxLength} is shorter than the keyword of ${longestKeyword} characters it must contain` });
  } else if (spec.keywordOffset !== undefined && spec.keywordOffset > widestOffset) {
    problems.push({ key: 'keywordOffset', message: `${spec.keywordOffset} leaves no room for the shortest keyword within maxLength ${maxLength}` });
  }
  return problems;
}

type RegexResult = { readonly ok: true; readonly regex: RE2 } | { readonly ok: false; readonly message: string };

/** The probe for `source`; any problem is reported for `source` itself, as RE2 words it. */
function compileProbe(source: string, width: number): RegexResult {
  // Inside a group, `source` only keeps its meaning if its parentheses balance on their own (`a)|(b` would
  // come out valid) and it does not start with `?` (`?:a` would turn the group non-capturing).
  const wrappable = parentheses(source).balanced && !source.startsWith('?');
  const probe = wrappable ? compileRegex(`${width > 0 ? `\\C{0,${width}}?` : ''}(${source})`, 'yd') : undefined;
  if (probe?.ok === true) return probe;
  const alone = compileRegex(source, '');
  if (!alone.ok) return alone;
  return { ok: false, message: probe === undefined ? 'not a valid RE2 expression: unbalanced parentheses' : probe.message };
}

function compileRegex(source: string, flags: string): RegexResult {
  try {
    return { ok: true, regex: new RE2(source, flags) };
  } catch (error) {
    // RE2 explains the syntax error (lookaround, backreference, bad escape); the source is public rule text.
    return { ok: false, message: `not a valid RE2 expression: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/**
 * Capture groups in RE2 syntax: `(` that is not escaped, not inside a character class, and either plain or
 * named (`(?P<name>`, `(?<name>`). Counted from the source because compiling a second probe program would
 * double the start-up cost of the large rules.
 */
export function captureGroupCount(source: string): number {
  return parentheses(source).groups;
}

/** One pass over the source: its capture groups, and whether every `(` has its `)` (never one too many). */
function parentheses(source: string): { groups: number; balanced: boolean } {
  let groups = 0;
  let depth = 0;
  let balanced = true;
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const char = source[i];
    if (char === '\\') {
      // `\Q…\E` quotes everything up to `\E` (or the end).
      if (!inClass && source[i + 1] === 'Q') i = quotedEnd(source, i + 2);
      else i += 1;
    } else if (inClass) inClass = char !== ']';
    else if (char === '[') {
      inClass = true;
      // A `]` right after `[` or `[^` is a literal member, not the end of the class.
      if (source[i + 1] === '^') i += 1;
      if (source[i + 1] === ']') i += 1;
    } else if (char === '(') {
      depth += 1;
      if (source[i + 1] !== '?' || source.startsWith('?P<', i + 1) || (source[i + 2] === '<' && source[i + 3] !== '=' && source[i + 3] !== '!')) groups += 1;
    } else if (char === ')') {
      depth -= 1;
      if (depth < 0) balanced = false;
    }
  }
  return { groups, balanced: balanced && depth === 0 && !inClass };
}

/** Index of the `E` of the `\E` closing a `\Q` quote whose text starts at `from` (the last index if none). */
function quotedEnd(source: string, from: number): number {
  const end = source.indexOf('\\E', from);
  return end === -1 ? source.length - 1 : end + 1;
}
