/**
 * Redaction that also sees through encodings: JSON string escapes (`\/`, `\u00XX`, `\n` inside a PEM
 * block) and URL percent-encoding. The raw bytes are scanned as they are, and each decoded view is
 * scanned too, its findings mapped back to raw offsets; all are merged, so a secret is caught in
 * whichever form it was written. The raw text is rewritten only inside the redacted spans (no parse and
 * re-serialise), so invalid JSON, key order and whitespace survive, and a span that ends inside an
 * escape is widened to the whole escape so the output stays well-formed.
 *
 * A view is scanned only in windows around its escapes. Whether a match starts at view offset s is
 * decided by the bytes [s - VIEW_CONTEXT_BYTES, s + scanner.tailBytes) (the bound the stream redactor
 * relies on too); where those hold no decoded escape they are the raw bytes, so the raw scan already found
 * that match (the same rule, secret and span; in the percent view it may lie inside a JSON escape, where
 * the raw match is the same but widened to the escape, so the merged findings are the same). A view
 * match only counts if it starts inside a window, where it is decided by what the window's slice holds.
 */
import { decodeView, decodedIndexAt, jsonEscape, percentEscape, rawSpan, unitAround, type DecodedView } from './decoded-view.js';
import { applyRedactions, type RedactOptions, type RedactResult } from './redaction.js';
import type { RuleMatch } from './rule-matcher.js';
import type { Scanner } from './scanner.js';

export interface EncodedForms {
  /** JSON string escapes (default true). */
  readonly json?: boolean;
  /** URL percent-encoding (default false: only where the text is a URL, query or form body). */
  readonly percent?: boolean;
}

/** The decoded views of one input (null: that form is off, or the input holds none of its escapes). */
export interface EncodedViews {
  readonly json: DecodedView | null;
  readonly percent: DecodedView | null;
}

const BACKSLASH = 0x5c;
const PERCENT = 0x25;

export function encodedViews(input: Buffer, forms: EncodedForms = {}): EncodedViews {
  return {
    json: forms.json === false ? null : decodeView(input, jsonEscape, BACKSLASH),
    percent: forms.percent === true ? decodeView(input, percentEscape, PERCENT) : null,
  };
}

export function findEncodedMatches(scanner: Scanner, input: Buffer, forms: EncodedForms = {}): RuleMatch[] {
  return matchesThroughViews(scanner, input, encodedViews(input, forms));
}

/**
 * Matches in the raw bytes and in each view, at raw offsets, ignoring those whose raw match starts before
 * `minMatchStart` (which must be a unit boundary: see unitStartIn).
 */
export function matchesThroughViews(scanner: Scanner, input: Buffer, views: EncodedViews, minMatchStart = 0): RuleMatch[] {
  const raw = scanner.matches(input, minMatchStart);
  const { json } = views;
  if (json === null && views.percent === null) return raw;
  const widened = json === null ? raw : raw.map((match) => widenedToEscapes(match, json));
  return [...widened, ...viewMatches(scanner, views.json, minMatchStart), ...viewMatches(scanner, views.percent, minMatchStart)];
}

export function redactEncoded(scanner: Scanner, input: Buffer, forms: EncodedForms = {}, options: RedactOptions = {}): RedactResult {
  const matches = findEncodedMatches(scanner, input, forms);
  if (matches.length === 0) return { output: input, findings: [] };
  const findings = scanner.mergeMatches(matches);
  return { output: applyRedactions(input, findings, options), findings };
}

/**
 * The start of the escape containing raw offset `at` in either view, or `at` when it lies between units.
 * JSON and percent escapes never overlap (neither can start inside the other: `\` is no hex digit, `%`
 * no JSON escape character), so one step back suffices.
 */
export function unitStartIn(views: EncodedViews, at: number): number {
  const afterJson = views.json === null ? at : unitAround(views.json, at)[0];
  return views.percent === null ? afterJson : unitAround(views.percent, afterJson)[0];
}

/**
 * Bytes before a start that can decide a match there: `\b` and multiline `^` look one byte back; a few
 * more keep a whole UTF-8 character.
 */
const VIEW_CONTEXT_BYTES = 8;

function viewMatches(scanner: Scanner, view: DecodedView | null, minRawStart: number): RuleMatch[] {
  if (view === null) return [];
  const out: RuleMatch[] = [];
  const tail = scanner.tailBytes;
  const length = view.bytes.length;
  for (const [from, to] of escapeWindows(view, decodedIndexAt(view, minRawStart), tail)) {
    // Starts in [from, to) are decided by view[from - context, to + tail): the slice holds all of it.
    const sliceStart = Math.max(0, from - VIEW_CONTEXT_BYTES);
    const slice = view.bytes.subarray(sliceStart, Math.min(length, to + tail));
    for (const match of scanner.matches(slice, from - sliceStart)) {
      if (match.matchStart + sliceStart < to) out.push(mappedToRaw(match, view, sliceStart));
    }
  }
  return out;
}

/**
 * The starts (at or after `minStart`) whose matches may differ from the raw text's: those within `tail`
 * before or VIEW_CONTEXT_BYTES after some escape. Windows closer than a slice's overhang are joined, so
 * no byte is scanned twice for nothing; an escape-dense view is one window, scanned once.
 */
function escapeWindows(view: DecodedView, minStart: number, tail: number): [number, number][] {
  const windows: [number, number][] = [];
  const length = view.bytes.length;
  const joinWithin = tail + VIEW_CONTEXT_BYTES;
  for (let k = 0; k < view.viewStarts.length; k++) {
    const from = Math.max(minStart, view.viewStarts[k]! - tail);
    const to = Math.min(length, view.viewEnds[k]! + VIEW_CONTEXT_BYTES + 1);
    if (from >= to) continue;
    const last = windows[windows.length - 1];
    if (last !== undefined && from - last[1] <= joinWithin) last[1] = Math.max(last[1], to);
    else windows.push([from, to]);
  }
  return windows;
}

/** A match in view.bytes[offset…], at raw offsets; its spans cover whole escapes. */
function mappedToRaw(match: RuleMatch, view: DecodedView, offset: number): RuleMatch {
  const [matchStart, matchEnd] = rawSpan(view, match.matchStart + offset, match.matchEnd + offset);
  const [start, end] = rawSpan(view, match.start + offset, match.end + offset);
  return { ...match, matchStart, matchEnd, start, end };
}

/** A raw secret span that begins or ends inside a JSON escape grows to cover the whole escape. */
function widenedToEscapes(match: RuleMatch, view: DecodedView): RuleMatch {
  const start = unitAround(view, match.start)[0];
  const end = match.end > 0 ? unitAround(view, match.end - 1)[1] : match.end;
  return start === match.start && end === match.end ? match : { ...match, start, end };
}
