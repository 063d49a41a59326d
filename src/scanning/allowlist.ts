/**
 * Documented placeholders that look like secrets but are not: AWS's documentation keys, `xxxx`/`****`
 * runs, `your-api-key-here`, and template references (`<token>`, `${TOKEN}`, `{{ token }}`, `$TOKEN`).
 * Redacting them would only make docs and config templates unreadable for the model; letting them
 * through leaks nothing, because a real credential cannot be reshaped into one of these forms without
 * ceasing to be that credential. Operators can add literals (their own fixtures, well-known test keys).
 */
import { everyChar, isDigit, isUpper } from './ascii.js';

export interface AllowlistOptions {
  /** Extra exact values never treated as secrets (compared with the secret bytes, case-sensitively). */
  readonly literals?: readonly string[];
}

export interface Allowlist {
  /** True when `secret` is a placeholder. `keywords` are the rule's own, stripped from the front first (`ghp_xxxx`). */
  isPlaceholder(secret: Buffer, keywords: readonly string[]): boolean;
}

// From AWS's documentation; every public example credential of theirs ends in EXAMPLE or EXAMPLEKEY.
const DOCUMENTED_LITERALS = ['AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'];
const SEPARATORS = new Set(['-', '_', '.', ':', '/', ' ']);
const MASK_CHARACTERS = new Set(['x', 'X', '*']);
const MIN_MASK_RUN = 4;

export function createAllowlist(options: AllowlistOptions = {}): Allowlist {
  const literals = new Set([...DOCUMENTED_LITERALS, ...(options.literals ?? [])]);
  return {
    isPlaceholder(secret, keywords) {
      // Placeholders are ASCII; latin1 maps each byte to one character without failing on odd input.
      const value = secret.toString('latin1');
      if (literals.has(value) || value.endsWith('EXAMPLE') || value.endsWith('EXAMPLEKEY')) return true;
      if (isTemplateReference(value) || isYourSomething(value)) return true;
      return isMaskRun(withoutKeywordPrefix(value, keywords));
    },
  };
}

/** `<your-token>`, `${API_TOKEN}`, `{{ api_token }}`, `$API_TOKEN`, `%s`. */
function isTemplateReference(value: string): boolean {
  const inner = (open: string, close: string): string | null =>
    value.length >= open.length + close.length && value.startsWith(open) && value.endsWith(close)
      ? value.slice(open.length, value.length - close.length)
      : null;
  const angle = inner('<', '>');
  if (angle !== null && !angle.includes('<') && !angle.includes('>')) return true;
  const braces = inner('${', '}') ?? inner('{{', '}}');
  if (braces !== null && !braces.includes('{') && !braces.includes('}')) return true;
  const variable = inner('$', '');
  if (variable !== null && variable !== '' && !isDigit(variable.charCodeAt(0))) {
    if (everyChar(variable, (code) => isUpper(code) || isDigit(code) || code === 0x5f)) return true;
  }
  return value === '%s' || value === '%v';
}

/** `your-api-key-here`, `YOUR_TOKEN`. */
function isYourSomething(value: string): boolean {
  const head = value.slice(0, 5).toLowerCase();
  return head === 'your-' || head === 'your_';
}

function withoutKeywordPrefix(value: string, keywords: readonly string[]): string {
  const lower = value.toLowerCase();
  const prefix = keywords.find((keyword) => lower.startsWith(keyword.toLowerCase()));
  return prefix === undefined ? value : value.slice(prefix.length);
}

/**
 * `xxxx-xxxx`, `********`, `0000000000`: one repeated character or mask characters, separators aside, at
 * least MIN_MASK_RUN of them (after a keyword prefix, `Password1` leaves just `1`, which masks nothing).
 */
function isMaskRun(value: string): boolean {
  const body = [...value].filter((char) => !SEPARATORS.has(char));
  if (body.length === 0) return value !== '';
  if (body.length < MIN_MASK_RUN) return false;
  return body.every((char) => MASK_CHARACTERS.has(char)) || body.every((char) => char === body[0]);
}
