/**
 * Decoded views of encoded text, with a map back to the original bytes. A secret written as
 * `ghp_…\u005f…` or `https:\/\/user:pa%24s@host` is invisible to rules written for plain text; scanning
 * the decoded view finds it, and the map turns its span back into raw offsets that cover whole escape
 * sequences, so the redacted raw text stays well-formed (no half `\u00` left behind).
 *
 * The raw text is cut into units: an escape sequence, or a single byte. Decoding is a left-to-right scan
 * (`\\u0041` is an escaped backslash and then `u0041`), so a decoding that starts at a unit boundary of a
 * longer text reproduces that text's units; the stream redactor relies on this and only ever starts and
 * cuts at unit boundaries (unitStart).
 */
import { isDigit, isLower, isUpper } from './ascii.js';

export interface DecodedView {
  readonly bytes: Buffer;
  /** Raw span [rawStart[i], rawEnd[i]) that produced decoded byte i. */
  readonly rawStart: Int32Array;
  readonly rawEnd: Int32Array;
}

/**
 * Decodes one escape at `raw[at]`, writing the bytes it stands for at `out[outAt]` (never more than its
 * raw length); returns its raw length, or 0 when no escape starts there.
 */
type UnitDecoder = (raw: Buffer, at: number, out: Buffer, outAt: number) => number;

/** The longest escape (a surrogate pair `\uD83D\uDE00`): a unit is decided by at most this many bytes. */
export const MAX_UNIT_BYTES = 12;

// `"` `\` `/` `b` `f` `n` `r` `t` and what each stands for; 0 where the byte starts no simple escape.
const SIMPLE_ESCAPES = new Uint8Array(128);
for (const [escape, value] of [['"', '"'], ['\\', '\\'], ['/', '/'], ['b', '\b'], ['f', '\f'], ['n', '\n'], ['r', '\r'], ['t', '\t']] as const) {
  SIMPLE_ESCAPES[escape.charCodeAt(0)] = value.charCodeAt(0);
}

const hexValue = (code: number): number =>
  isDigit(code) ? code - 0x30 : isUpper(code) && code <= 0x46 ? code - 0x37 : isLower(code) && code <= 0x66 ? code - 0x57 : -1;

function hexAt(raw: Buffer, at: number, digits: number): number {
  if (at + digits > raw.length) return -1;
  let value = 0;
  for (let i = 0; i < digits; i++) {
    const digit = hexValue(raw[at + i]!);
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

/** JSON string escapes: `\"` `\\` `\/` `\b` `\f` `\n` `\r` `\t` and `\uXXXX` (surrogate pairs joined). */
export const jsonEscape: UnitDecoder = (raw, at, out, outAt) => {
  if (raw[at] !== 0x5c || at + 1 >= raw.length) return 0;
  const next = raw[at + 1]!;
  const simple = next < 128 ? SIMPLE_ESCAPES[next]! : 0;
  if (simple !== 0) {
    out[outAt] = simple;
    return 2;
  }
  if (next !== 0x75) return 0;
  const unit = hexAt(raw, at + 2, 4);
  if (unit < 0) return 0;
  const isHigh = unit >= 0xd800 && unit <= 0xdbff;
  const low = isHigh && raw[at + 6] === 0x5c && raw[at + 7] === 0x75 ? hexAt(raw, at + 8, 4) : -1;
  if (low >= 0xdc00 && low <= 0xdfff) {
    writeUtf8(0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00), out, outAt);
    return 12;
  }
  writeUtf8(unit, out, outAt);
  return 6;
};

/** URL percent-encoding: `%XX` is one byte; `+` is left alone (it is a space only in forms). */
export const percentEscape: UnitDecoder = (raw, at, out, outAt) => {
  if (raw[at] !== 0x25) return 0;
  const value = hexAt(raw, at + 1, 2);
  if (value < 0) return 0;
  out[outAt] = value;
  return 3;
};

/** UTF-8 of a code point; a lone surrogate becomes U+FFFD, as Buffer.from(string) writes it. */
function writeUtf8(codePoint: number, out: Buffer, outAt: number): void {
  const point = codePoint >= 0xd800 && codePoint <= 0xdfff ? 0xfffd : codePoint;
  if (point < 0x80) out[outAt] = point;
  else if (point < 0x800) {
    out[outAt] = 0xc0 | (point >> 6);
    out[outAt + 1] = 0x80 | (point & 0x3f);
  } else if (point < 0x10000) {
    out[outAt] = 0xe0 | (point >> 12);
    out[outAt + 1] = 0x80 | ((point >> 6) & 0x3f);
    out[outAt + 2] = 0x80 | (point & 0x3f);
  } else {
    out[outAt] = 0xf0 | (point >> 18);
    out[outAt + 1] = 0x80 | ((point >> 12) & 0x3f);
    out[outAt + 2] = 0x80 | ((point >> 6) & 0x3f);
    out[outAt + 3] = 0x80 | (point & 0x3f);
  }
}

const utf8Length = (lead: number): number => (lead < 0x80 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4);

/** The decoded view, or null when `raw` holds no escape of this kind (the raw scan already saw everything). */
export function decodeView(raw: Buffer, decode: UnitDecoder, marker: number): DecodedView | null {
  let at = raw.indexOf(marker);
  if (at < 0) return null;
  // Every escape is at least as long as what it decodes to, so the view never outgrows the raw text.
  const bytes = Buffer.allocUnsafe(raw.length);
  const rawStart = new Int32Array(raw.length);
  const rawEnd = new Int32Array(raw.length);
  raw.copy(bytes, 0, 0, at);
  for (let i = 0; i < at; i++) {
    rawStart[i] = i;
    rawEnd[i] = i + 1;
  }
  let length = at;
  let escapes = 0;
  while (at < raw.length) {
    const consumed = raw[at] === marker ? decode(raw, at, bytes, length) : 0;
    if (consumed === 0) {
      bytes[length] = raw[at]!;
      rawStart[length] = at;
      rawEnd[length] = at + 1;
      length += 1;
      at += 1;
      continue;
    }
    // Escapes of up to 3 bytes (`\n`, `%41`) stand for one byte; `\uXXXX` for a UTF-8 sequence, told by its lead byte.
    const produced = consumed <= 3 ? 1 : utf8Length(bytes[length]!);
    rawStart.fill(at, length, length + produced);
    rawEnd.fill(at + consumed, length, length + produced);
    length += produced;
    at += consumed;
    escapes += 1;
  }
  if (escapes === 0) return null;
  return { bytes: bytes.subarray(0, length), rawStart: rawStart.subarray(0, length), rawEnd: rawEnd.subarray(0, length) };
}

/** Raw span covering decoded bytes [start, end). */
export function rawSpan(view: DecodedView, start: number, end: number): [number, number] {
  return [view.rawStart[start]!, view.rawEnd[end - 1]!];
}

/** Index of the last decoded byte whose unit starts at or before raw offset `at` (-1 when none). */
function lastUnitAtOrBefore(view: DecodedView, at: number): number {
  let low = -1;
  let high = view.rawStart.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if (view.rawStart[middle]! <= at) low = middle;
    else high = middle - 1;
  }
  return low;
}

/** The raw unit (an escape sequence or a single byte) containing raw offset `at`; [at, at + 1) past the end. */
export function unitAround(view: DecodedView, at: number): [number, number] {
  const index = lastUnitAtOrBefore(view, at);
  if (index < 0 || view.rawEnd[index]! <= at) return [at, at + 1];
  return [view.rawStart[index]!, view.rawEnd[index]!];
}

/** The first decoded byte produced at or after raw offset `at` (the view's length when none). */
export function decodedIndexAt(view: DecodedView, at: number): number {
  return lastUnitAtOrBefore(view, at - 1) + 1;
}
