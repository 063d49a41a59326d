/**
 * One path segment: strict percent-decoding and the canonical re-encoding. Shared by request paths
 * (path.ts) and allow-rule globs (glob.ts) so a rule and a request are compared in the same form.
 *
 * Security reasoning: a backend decodes a segment at least once. Anything that could read differently
 * after that one decode (an encoded `/` or `\`, a second layer of encoding, a NUL, bytes that are not
 * UTF-8, a Unicode form that folds to `/` or `..`) is refused instead of guessed at, because the policy
 * cannot know which reading the backend picks. Problem texts never quote the input: paths carry tokens.
 */

export type DecodedSegment = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly problem: string };

// `fatal` refuses overlong forms (%C0%AE), surrogates (%ED%A0%80) and truncated sequences; `ignoreBOM`
// keeps a leading U+FEFF as data so decode -> encode is lossless.
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const UTF8_ENCODER = new TextEncoder();

const PERCENT = 0x25;
const SLASH = 0x2f;
const DOT = 0x2e;
const BACKSLASH = 0x5c;
const HASH = 0x23;

/** Raw (undecoded) characters accepted in a path: visible ASCII except `\` (read as `/` by some servers)
 * and `#` (a fragment never belongs in a request-target). `%` starts an escape. */
function isAcceptedRaw(code: number): boolean {
  return code > 0x20 && code < 0x7f && code !== BACKSLASH && code !== HASH;
}

/** RFC 3986 pchar minus pct-encoded: the characters the canonical form writes literally (ASCII only). */
const LITERAL_PCHAR: Uint8Array = (() => {
  const table = new Uint8Array(0x80);
  for (let code = 0; code < 0x80; code++) {
    const alnum = (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
    table[code] = alnum || "-._~!$&'()*+,;=:@".includes(String.fromCharCode(code)) ? 1 : 0;
  }
  return table;
})();

export function isLiteralPchar(code: number): boolean {
  return code < 0x80 && LITERAL_PCHAR[code] === 1;
}

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x41 && code <= 0x46) return code - 0x37;
  if (code >= 0x61 && code <= 0x66) return code - 0x57;
  return -1;
}

function percentByteAt(raw: string, index: number): number | null {
  const high = hexValue(raw.charCodeAt(index + 1));
  const low = hexValue(raw.charCodeAt(index + 2));
  return high < 0 || low < 0 ? null : high * 16 + low;
}

function containsPercentEscape(text: string): boolean {
  for (let i = text.indexOf('%'); i !== -1; i = text.indexOf('%', i + 1)) {
    if (percentByteAt(text, i) !== null) return true;
  }
  return false;
}

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/** What makes decoded text unsafe to treat as one segment, or null. */
function decodedTextProblem(text: string): string | null {
  if (text.includes('/') || text.includes('\\')) return 'encoded slash or backslash inside a segment';
  if (hasControlCharacter(text)) return 'NUL or control character inside a segment';
  if (containsPercentEscape(text)) return 'percent-encoding left after one decode (double encoding)';
  return null;
}

/** Decode one segment (or one literal piece of a glob segment) exactly once, refusing ambiguity. */
export function decodeSegment(raw: string): DecodedSegment {
  if (isPlainSegment(raw)) return { ok: true, text: raw };
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const code = raw.charCodeAt(i);
    if (code === PERCENT) {
      const byte = percentByteAt(raw, i);
      if (byte === null) return { ok: false, problem: 'malformed percent-encoding' };
      bytes.push(byte);
      i += 2;
    } else if (isAcceptedRaw(code)) {
      bytes.push(code);
    } else {
      return { ok: false, problem: 'space, control, backslash, # or non-ASCII character in path' };
    }
  }
  let text: string;
  try {
    text = UTF8.decode(Uint8Array.from(bytes));
  } catch (error: unknown) {
    if (error instanceof TypeError) return { ok: false, problem: 'percent-encoding that is not valid UTF-8' };
    throw error;
  }
  const problem = decodedTextProblem(text) ?? compatibilityFormProblem(text);
  return problem === null ? { ok: true, text } : { ok: false, problem };
}

/**
 * The common case, decoded without the byte round trip: accepted raw characters only, no `%` (so nothing
 * to decode) and no `/`. Such text is ASCII with no control character, backslash or escape, so every
 * check below would pass it unchanged.
 */
function isPlainSegment(raw: string): boolean {
  for (let i = 0; i < raw.length; i++) {
    const code = raw.charCodeAt(i);
    if (code === PERCENT || code === SLASH || !isAcceptedRaw(code)) return false;
  }
  return true;
}

/** A dot segment carrying parameters (`..;x`): Tomcat-style servers drop `;...` and then climb. */
export function isDotSegmentWithParameters(text: string): boolean {
  // Both dot segments start with `.`: anything else is not one, with or without parameters.
  if (text.charCodeAt(0) !== DOT) return false;
  const beforeParameters = text.split(';', 1)[0];
  return text !== beforeParameters && (beforeParameters === '.' || beforeParameters === '..');
}

// Some frameworks apply NFKC before routing, turning U+FF0F into `/` or U+FF0E U+FF0E into `..`.
function compatibilityFormProblem(text: string): string | null {
  if (isAscii(text)) return null;
  const folded = text.normalize('NFKC');
  if (folded === '.' || folded === '..' || isDotSegmentWithParameters(folded)) return 'Unicode form that folds to a dot segment';
  const problem = decodedTextProblem(folded);
  return problem === null ? null : `Unicode form that folds to: ${problem}`;
}

function isAllLiteral(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (!isLiteralPchar(text.charCodeAt(i))) return false;
  return true;
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** Canonical text of a decoded segment: pchar literal, everything else as upper-case UTF-8 escapes. */
export function encodeSegment(text: string): string {
  if (isAllLiteral(text)) return text;
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (isLiteralPchar(code)) {
      out += char;
      continue;
    }
    for (const byte of UTF8_ENCODER.encode(char)) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
