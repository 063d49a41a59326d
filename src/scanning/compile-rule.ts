/**
 * One rule from its YAML shape to the form the scanner executes: an RE2 program compiled once, defaults
 * applied, the validator resolved. Problems are returned with their key path, never thrown one by one.
 */
import RE2 from 're2';
import { DEFAULT_RULE_LENGTH, type Holder, type RuleSpec } from './catalogue-schema.js';
import { validatorNamed, type SecretValidator } from './validators.js';

export interface CompiledRule {
  readonly id: string;
  readonly family: string;
  /** The file the rule came from, as shown to operators (`patterns/github.yaml`). */
  readonly file: string;
  readonly kind: string;
  readonly holder: Holder;
  readonly description: string;
  /** Global (`g`) so `lastIndex` steps through a window; `d` (indices) only when a group is the secret. */
  readonly regex: RE2;
  readonly secretGroup: number;
  readonly keywords: readonly string[];
  /** Longest possible match, in bytes: bounds the scan window and the streaming tail. */
  readonly maxLength: number;
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
  const compiled = compileRegex(spec.regex, secretGroup > 0 ? 'gd' : 'g');
  if (!compiled.ok) return { ok: false, problems: [{ key: 'regex', message: compiled.message }] };
  const problems: RuleProblem[] = [];
  const groups = captureGroupCount(spec.regex);
  if (secretGroup > groups) {
    problems.push({ key: 'secretGroup', message: `the regex has ${groups} capture group(s), secretGroup is ${secretGroup}` });
  }
  const longestKeyword = Math.max(...spec.keywords.map((keyword) => keyword.length));
  if (longestKeyword > maxLength) {
    problems.push({ key: 'maxLength', message: `${maxLength} is shorter than the keyword of ${longestKeyword} characters it must contain` });
  }
  if (problems.length > 0) return { ok: false, problems };
  const rule: CompiledRule = {
    id: spec.id,
    family,
    file,
    kind: spec.kind,
    holder: spec.holder,
    description: spec.description,
    regex: compiled.regex,
    secretGroup,
    keywords: spec.keywords,
    maxLength,
    minEntropy: spec.minEntropy,
    validator: validatorNamed(spec.validate),
    examples: spec.examples,
  };
  // The rule is shared by every scan; only its regex's lastIndex changes, within one synchronous scan.
  return { ok: true, rule: Object.freeze(rule) };
}

type RegexResult = { readonly ok: true; readonly regex: RE2 } | { readonly ok: false; readonly message: string };

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
  let groups = 0;
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const char = source[i];
    if (char === '\\') i += 1;
    else if (inClass) inClass = char !== ']';
    else if (char === '[') {
      inClass = true;
      // A `]` right after `[` or `[^` is a literal member, not the end of the class.
      if (source[i + 1] === '^') i += 1;
      if (source[i + 1] === ']') i += 1;
    } else if (char === '(' && (source[i + 1] !== '?' || source.startsWith('?P<', i + 1) || (source[i + 2] === '<' && source[i + 3] !== '=' && source[i + 3] !== '!'))) {
      groups += 1;
    }
  }
  return groups;
}
