/**
 * Decoded views of encoded text, with a map back to the original bytes. A secret written as
 * `ghp_…\u005f…` or `https:\/\/user:pa%24s@host` is invisible to rules written for plain text; scanning
 * the decoded view finds it, and the map turns its span back into raw offsets that cover whole escape
 * sequences, so the redacted raw text stays well-formed (no half `\u00` left behind).
 */
import { isDigit, isLower, isUpper } from './ascii.js';

export interface DecodedView {
  readonly bytes: Buffer;
  /** Raw span [rawStart[i], rawEnd[i]) that produced decoded byte i. */
  readonly rawStart: Int32Array;
  readonly rawEnd: Int32Array;
}

/** Decodes one escape at `raw[at]`: the bytes it stands for and its raw length; null when none starts there. */
type UnitDecoder = (raw: Buffer, at: number) => { readonly bytes: Buffer; readonly length: number } | null;

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

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
export const jsonEscape: UnitDecoder = (raw, at) => {
  if (raw[at] !== 0x5c || at + 1 >= raw.length) return null;
  const simple = SIMPLE_ESCAPES[String.fromCharCode(raw[at + 1]!)];
  if (simple !== undefined) return { bytes: Buffer.from(simple, 'latin1'), length: 2 };
  if (raw[at + 1] !== 0x75) return null;
  const unit = hexAt(raw, at + 2, 4);
  if (unit < 0) return null;
  const isHigh = unit >= 0xd800 && unit <= 0xdbff;
  const low = isHigh && raw[at + 6] === 0x5c && raw[at + 7] === 0x75 ? hexAt(raw, at + 8, 4) : -1;
  if (low >= 0xdc00 && low <= 0xdfff) {
    return { bytes: Buffer.from(String.fromCharCode(unit, low), 'utf8'), length: 12 };
  }
  return { bytes: Buffer.from(String.fromCharCode(unit), 'utf8'), length: 6 };
};

/** URL percent-encoding: `%XX` is one byte; `+` is left alone (it is a space only in forms). */
export const percentEscape: UnitDecoder = (raw, at) => {
  if (raw[at] !== 0x25) return null;
  const value = hexAt(raw, at + 1, 2);
  return value < 0 ? null : { bytes: Buffer.from([value]), length: 3 };
};

/** The decoded view, or null when `raw` holds no escape of this kind (the raw scan already saw everything). */
export function decodeView(raw: Buffer, decode: UnitDecoder, marker: number): DecodedView | null {
  if (!raw.includes(marker)) return null;
  const bytes = Buffer.allocUnsafe(raw.length);
  const rawStart = new Int32Array(raw.length);
  const rawEnd = new Int32Array(raw.length);
  let length = 0;
  let escapes = 0;
  for (let at = 0; at < raw.length; ) {
    const unit = raw[at] === marker ? decode(raw, at) : null;
    // Every escape is at least as long as what it decodes to, so the view never outgrows the raw text.
    const produced = unit === null ? raw.subarray(at, at + 1) : unit.bytes;
    const consumed = unit === null ? 1 : unit.length;
    for (const byte of produced) {
      bytes[length] = byte;
      rawStart[length] = at;
      rawEnd[length] = at + consumed;
      length += 1;
    }
    if (unit !== null) escapes += 1;
    at += consumed;
  }
  if (escapes === 0) return null;
  return { bytes: bytes.subarray(0, length), rawStart: rawStart.subarray(0, length), rawEnd: rawEnd.subarray(0, length) };
}

/** Raw span covering decoded bytes [start, end). */
export function rawSpan(view: DecodedView, start: number, end: number): [number, number] {
  return [view.rawStart[start]!, view.rawEnd[end - 1]!];
}
