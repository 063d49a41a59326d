/**
 * The test oracle for encoded scanning: a frozen copy of the implementation before windowed views
 * (decoded-view.ts and encoded-redaction.ts as they were). It decodes the whole input into a view with a
 * raw span for every decoded byte and scans each view whole, so it is slow and plainly right; the
 * optimised code must find exactly what it finds.
 */
import { jsonEscape, percentEscape } from '../../../src/scanning/decoded-view.js';
import type { EncodedForms, Finding, RuleMatch, Scanner } from '../../../src/scanning/index.js';
import { applyRedactions } from '../../../src/scanning/redaction.js';

type UnitDecoder = typeof jsonEscape;

/** A decoded view with the raw span [rawStart[i], rawEnd[i]) of every decoded byte i. */
export interface FullView {
  readonly bytes: Buffer;
  readonly rawStart: Int32Array;
  readonly rawEnd: Int32Array;
}

const utf8Length = (lead: number): number => (lead < 0x80 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4);

export function fullView(raw: Buffer, decode: UnitDecoder, marker: number): FullView | null {
  if (raw.indexOf(marker) < 0) return null;
  const bytes = Buffer.alloc(raw.length);
  const rawStart = new Int32Array(raw.length);
  const rawEnd = new Int32Array(raw.length);
  let length = 0;
  let escapes = 0;
  for (let at = 0; at < raw.length; ) {
    const consumed = raw[at] === marker ? decode(raw, at, bytes, length) : 0;
    if (consumed === 0) {
      bytes[length] = raw[at]!;
      rawStart[length] = at;
      rawEnd[length] = at + 1;
      length += 1;
      at += 1;
      continue;
    }
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

function lastUnitAtOrBefore(view: FullView, at: number): number {
  let low = -1;
  let high = view.rawStart.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if (view.rawStart[middle]! <= at) low = middle;
    else high = middle - 1;
  }
  return low;
}

export function fullUnitAround(view: FullView, at: number): [number, number] {
  const index = lastUnitAtOrBefore(view, at);
  if (index < 0 || view.rawEnd[index]! <= at) return [at, at + 1];
  return [view.rawStart[index]!, view.rawEnd[index]!];
}

export function fullDecodedIndexAt(view: FullView, at: number): number {
  return lastUnitAtOrBefore(view, at - 1) + 1;
}

export interface FullViews {
  readonly json: FullView | null;
  readonly percent: FullView | null;
}

export function fullViews(input: Buffer, forms: EncodedForms = {}): FullViews {
  return {
    json: forms.json === false ? null : fullView(input, jsonEscape, 0x5c),
    percent: forms.percent === true ? fullView(input, percentEscape, 0x25) : null,
  };
}

/** The raw matches (widened to JSON escapes) and every match of each whole view, at raw offsets. */
export function oracleMatches(scanner: Scanner, input: Buffer, forms: EncodedForms = {}, minMatchStart = 0): RuleMatch[] {
  const views = fullViews(input, forms);
  const { json } = views;
  const raw = scanner.matches(input, minMatchStart).map((match) => (json === null ? match : widened(match, json)));
  return [...raw, ...viewMatches(scanner, json, minMatchStart), ...viewMatches(scanner, views.percent, minMatchStart)];
}

export function oracleRedact(scanner: Scanner, input: Buffer, forms: EncodedForms = {}): { output: Buffer; findings: Finding[] } {
  const findings = scanner.mergeMatches(oracleMatches(scanner, input, forms));
  return { output: applyRedactions(input, findings), findings };
}

function viewMatches(scanner: Scanner, view: FullView | null, minRawStart: number): RuleMatch[] {
  if (view === null) return [];
  return scanner.matches(view.bytes, fullDecodedIndexAt(view, minRawStart)).map((match) => ({
    ...match,
    matchStart: view.rawStart[match.matchStart]!,
    matchEnd: view.rawEnd[match.matchEnd - 1]!,
    start: view.rawStart[match.start]!,
    end: view.rawEnd[match.end - 1]!,
  }));
}

function widened(match: RuleMatch, view: FullView): RuleMatch {
  const start = fullUnitAround(view, match.start)[0];
  const end = match.end > 0 ? fullUnitAround(view, match.end - 1)[1] : match.end;
  return start === match.start && end === match.end ? match : { ...match, start, end };
}
