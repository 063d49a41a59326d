/**
 * Redaction that also sees through encodings: JSON string escapes (`\/`, `\u00XX`, `\n` inside a PEM
 * block) and URL percent-encoding. The raw bytes are scanned as they are, and each decoded view is
 * scanned too, its findings mapped back to raw offsets; all are merged, so a secret is caught in
 * whichever form it was written. The raw text is rewritten only inside the redacted spans (no parse and
 * re-serialise), so invalid JSON, key order and whitespace survive, and a span that ends inside an
 * escape is widened to the whole escape so the output stays well-formed.
 */
import { decodeView, jsonEscape, percentEscape, rawSpan, type DecodedView } from './decoded-view.js';
import { applyRedactions, type RedactOptions, type RedactResult } from './redaction.js';
import type { RuleMatch } from './rule-matcher.js';
import type { Scanner } from './scanner.js';

export interface EncodedForms {
  /** JSON string escapes (default true). */
  readonly json?: boolean;
  /** URL percent-encoding (default false: only where the text is a URL, query or form body). */
  readonly percent?: boolean;
}

const BACKSLASH = 0x5c;
const PERCENT = 0x25;

export function findEncodedMatches(scanner: Scanner, input: Buffer, forms: EncodedForms = {}): RuleMatch[] {
  const jsonView = forms.json === false ? null : decodeView(input, jsonEscape, BACKSLASH);
  const percentView = forms.percent === true ? decodeView(input, percentEscape, PERCENT) : null;
  const raw = scanner.matches(input);
  const widened = jsonView === null ? raw : raw.map((match) => widenedToEscapes(match, jsonView));
  return [...widened, ...viewMatches(scanner, jsonView), ...viewMatches(scanner, percentView)];
}

export function redactEncoded(scanner: Scanner, input: Buffer, forms: EncodedForms = {}, options: RedactOptions = {}): RedactResult {
  const findings = scanner.mergeMatches(findEncodedMatches(scanner, input, forms));
  return { output: applyRedactions(input, findings, options), findings };
}

function viewMatches(scanner: Scanner, view: DecodedView | null): RuleMatch[] {
  if (view === null) return [];
  return scanner.matches(view.bytes).map((match) => {
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

/** The raw unit (an escape sequence or a single byte) containing raw offset `at`. */
function unitAround(view: DecodedView, at: number): [number, number] {
  let low = 0;
  let high = view.rawStart.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if (view.rawStart[middle]! <= at) low = middle;
    else high = middle - 1;
  }
  return [view.rawStart[low]!, view.rawEnd[low]!];
}
