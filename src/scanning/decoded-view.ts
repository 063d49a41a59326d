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

/**
 * A decoded text and where it came from. Only the escapes are recorded (most text has few): between two
 * escapes, decoded and raw bytes correspond one to one, so a map of every byte is never built.
 */
export interface DecodedView {
  readonly bytes: Buffer;
  /** Length of the raw text. */
  readonly rawLength: number;
  /** Escape k stands at raw [rawStarts[k], rawEnds[k]) and decoded [viewStarts[k], viewEnds[k]), in order. */
  readonly rawStarts: readonly number[];
  readonly rawEnds: readonly number[];
  readonly viewStarts: readonly number[];
  readonly viewEnds: readonly number[];
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

/**
 * The decoded view, or null when `raw` holds no escape of this kind (the raw scan already saw everything).
 * Escapes are found by jumping from marker to marker; the bytes between them are copied as runs.
 */
export function decodeView(raw: Buffer, decode: UnitDecoder, marker: number): DecodedView | null {
  let at = raw.indexOf(marker);
  if (at < 0) return null;
  // Every escape is at least as long as what it decodes to, so the view never outgrows the raw text.
  const bytes = Buffer.allocUnsafe(raw.length);
  const rawStarts: number[] = [];
  const rawEnds: number[] = [];
  const viewStarts: number[] = [];
  const viewEnds: number[] = [];
  // raw[0, copied) is decoded into bytes[0, length).
  let copied = 0;
  let length = 0;
  while (at >= 0) {
    // The decoder writes where the run before it will end; the run is copied in once the escape is known.
    const outAt = length + (at - copied);
    const consumed = decode(raw, at, bytes, outAt);
    if (consumed === 0) {
      at = nextMarker(raw, marker, at + 1);
      continue;
    }
    // Escapes of up to 3 bytes (`\n`, `%41`) stand for one byte; `\uXXXX` for a UTF-8 sequence, told by its lead byte.
    const produced = consumed <= 3 ? 1 : utf8Length(bytes[outAt]!);
    copyRun(raw, copied, at, bytes, length);
    rawStarts.push(at);
    rawEnds.push(at + consumed);
    viewStarts.push(outAt);
    viewEnds.push(outAt + produced);
    length = outAt + produced;
    copied = at + consumed;
    at = nextMarker(raw, marker, copied);
  }
  if (rawStarts.length === 0) return null;
  copyRun(raw, copied, raw.length, bytes, length);
  length += raw.length - copied;
  return { bytes: bytes.subarray(0, length), rawLength: raw.length, rawStarts, rawEnds, viewStarts, viewEnds };
}

/** Escapes often come in runs (`\r\n`, `\u00e9\u00e8`): the byte right there is checked before a search. */
function nextMarker(raw: Buffer, marker: number, from: number): number {
  return from < raw.length && raw[from] === marker ? from : raw.indexOf(marker, from);
}

/** raw[from, to) to out[outAt…]; short runs (between escapes in a run) by hand, saving a native call. */
function copyRun(raw: Buffer, from: number, to: number, out: Buffer, outAt: number): void {
  if (to - from > 16) {
    raw.copy(out, outAt, from, to);
    return;
  }
  for (let i = from; i < to; i++) out[outAt + i - from] = raw[i]!;
}

/** Index of the last entry of the ascending `values` that is at most `at` (-1 when none). */
function lastAtOrBefore(values: readonly number[], at: number): number {
  let low = -1;
  let high = values.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if (values[middle]! <= at) low = middle;
    else high = middle - 1;
  }
  return low;
}

/** Raw offset of the unit that produced decoded byte `index` (a byte past the end maps past the raw end). */
export function rawStartOf(view: DecodedView, index: number): number {
  const k = lastAtOrBefore(view.viewStarts, index);
  if (k < 0) return index;
  return index < view.viewEnds[k]! ? view.rawStarts[k]! : index - view.viewEnds[k]! + view.rawEnds[k]!;
}

/** Raw offset just past the unit that produced decoded byte `index`. */
function rawEndOf(view: DecodedView, index: number): number {
  const k = lastAtOrBefore(view.viewStarts, index);
  if (k < 0) return index + 1;
  return index < view.viewEnds[k]! ? view.rawEnds[k]! : index - view.viewEnds[k]! + view.rawEnds[k]! + 1;
}

/** Raw span covering decoded bytes [start, end). */
export function rawSpan(view: DecodedView, start: number, end: number): [number, number] {
  return [rawStartOf(view, start), rawEndOf(view, end - 1)];
}

/** The raw unit (an escape sequence or a single byte) containing raw offset `at`; [at, at + 1) past the end. */
export function unitAround(view: DecodedView, at: number): [number, number] {
  const k = lastAtOrBefore(view.rawStarts, at);
  if (k < 0 || view.rawEnds[k]! <= at) return [at, at + 1];
  return [view.rawStarts[k]!, view.rawEnds[k]!];
}

/** The first decoded byte produced at or after raw offset `at` (the view's length when none). */
export function decodedIndexAt(view: DecodedView, at: number): number {
  if (at <= 0) return 0;
  if (at >= view.rawLength) return view.bytes.length;
  // The unit holding raw byte at - 1: an escape ends the decoded bytes before `at` with its own last byte.
  const before = at - 1;
  const k = lastAtOrBefore(view.rawStarts, before);
  if (k < 0) return at;
  return before < view.rawEnds[k]! ? view.viewEnds[k]! : at - view.rawEnds[k]! + view.viewEnds[k]!;
}
