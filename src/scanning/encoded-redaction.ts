/**
 * Redaction that also sees through encodings: JSON string escapes (`\/`, `\u00XX`, `\n` inside a PEM
 * block) and URL percent-encoding. The raw bytes are scanned as they are, and each decoded view is
 * scanned too, its findings mapped back to raw offsets; all are merged, so a secret is caught in
 * whichever form it was written. The raw text is rewritten only inside the redacted spans (no parse and
 * re-serialise), so invalid JSON, key order and whitespace survive, and a span that ends inside an
 * escape is widened to the whole escape so the output stays well-formed.
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
  const widened = json === null ? raw : raw.map((match) => widenedToEscapes(match, json));
  return [...widened, ...viewMatches(scanner, views.json, minMatchStart), ...viewMatches(scanner, views.percent, minMatchStart)];
}

export function redactEncoded(scanner: Scanner, input: Buffer, forms: EncodedForms = {}, options: RedactOptions = {}): RedactResult {
  const findings = scanner.mergeMatches(findEncodedMatches(scanner, input, forms));
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

function viewMatches(scanner: Scanner, view: DecodedView | null, minRawStart: number): RuleMatch[] {
  if (view === null) return [];
  return scanner.matches(view.bytes, decodedIndexAt(view, minRawStart)).map((match) => {
    const [matchStart, matchEnd] = rawSpan(view, match.matchStart, match.matchEnd);
    const [start, end] = rawSpan(view, match.start, match.end);
    return { ...match, matchStart, matchEnd, start, end };
  });
}

/** A raw secret span that begins or ends inside a JSON escape grows to cover the whole escape. */
function widenedToEscapes(match: RuleMatch, view: DecodedView): RuleMatch {
  const start = unitAround(view, match.start)[0];
  const end = match.end > 0 ? unitAround(view, match.end - 1)[1] : match.end;
  return start === match.start && end === match.end ? match : { ...match, start, end };
}
