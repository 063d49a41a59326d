/**
 * Streaming redaction that also sees through encodings (JSON string escapes, URL percent-encoding), for
 * response bodies on their way to the model: JSON APIs, SSE streams. Each round of the stream redactor
 * scans the held bytes raw and through their decoded views (encoded-redaction.ts), so the output equals
 * whole-buffer redactEncoded however the body is chunked, in constant memory.
 *
 * Three things make a round's view agree with the view of the whole stream:
 * - it starts at a unit boundary: cuts and context starts never fall inside an escape (unitStartIn), so
 *   the left-to-right decoding (`\\` then `u0041`, not `\u0041`) is the one the whole stream gets;
 * - the last MAX_UNIT_BYTES - 1 bytes may hold an escape cut short by the chunking (`\u00` before `41`
 *   arrives): their units are not trusted yet;
 * - the cut limit leaves scanner.tailBytes trusted DECODED bytes after it in every view, which can take
 *   up to six raw bytes each (`\u00XX`), so the raw tail is measured per round, not fixed.
 */
import type { Transform } from 'node:stream';
import { decodedIndexAt, MAX_UNIT_BYTES, rawStartOf, type DecodedView } from './decoded-view.js';
import { encodedViews, matchesThroughViews, unitStartIn, type EncodedForms, type EncodedViews } from './encoded-redaction.js';
import type { Scanner } from './scanner.js';
import { redactorTransform, sameUnit, StreamRedactor, type StreamMatcher, type StreamRedactOptions } from './stream-redactor.js';

export interface EncodedStreamRedactOptions extends StreamRedactOptions {
  /** Encodings to see through (default: JSON escapes only, as redactEncoded). */
  readonly forms?: EncodedForms;
}

/** Most raw bytes per decoded byte: `\u00XX` is six for one; a surrogate pair twelve for four; `%XX` three for one. */
const JSON_EXPANSION = 6;
const PERCENT_EXPANSION = 3;

/** A round scanner for the raw bytes and the decoded views of `forms`. */
export function encodedMatcher(scanner: Scanner, forms: EncodedForms = {}): StreamMatcher {
  const expansion = forms.json !== false ? JSON_EXPANSION : forms.percent === true ? PERCENT_EXPANSION : 1;
  const tail = scanner.tailBytes;
  return {
    // A tail of decoded bytes at the worst expansion, the untrusted end, a partial unit at each side.
    maxTailBytes: expansion * tail + 3 * MAX_UNIT_BYTES,
    scan(input, minMatchStart) {
      const views = encodedViews(input, forms);
      // No escape of either form: the raw scan is the whole story (as rawMatcher, with this tail).
      if (views.json === null && views.percent === null) {
        return { matches: scanner.matches(input, minMatchStart), cutLimit: Math.max(0, input.length - tail), unitStart: sameUnit };
      }
      return {
        matches: matchesThroughViews(scanner, input, views, minMatchStart),
        cutLimit: cutLimitOf(input, views, tail),
        unitStart: (at) => unitStartIn(views, at),
      };
    },
  };
}

/** A stream redactor (push/end) that sees through `options.forms`; it holds `heldBytes` at most a few hundred KiB. */
export function createEncodedStreamRedactor(scanner: Scanner, options: EncodedStreamRedactOptions = {}): StreamRedactor {
  return new StreamRedactor(scanner, options, encodedMatcher(scanner, options.forms));
}

/** A Transform that redacts what flows through it, encoded forms included (bytes in, bytes out). */
export function createEncodedRedactStream(scanner: Scanner, options: EncodedStreamRedactOptions = {}): Transform {
  return redactorTransform(createEncodedStreamRedactor(scanner, options));
}

/**
 * The highest cut after which `tail` trusted bytes remain in the raw input and in each view: a match
 * (of at most scanner.tailBytes with its look-ahead) starting before it is decided by what is held.
 */
function cutLimitOf(input: Buffer, views: EncodedViews, tail: number): number {
  let limit = input.length - tail;
  for (const view of [views.json, views.percent]) {
    if (view !== null) limit = Math.min(limit, viewCutLimit(view, input.length, tail));
  }
  return Math.max(0, limit);
}

function viewCutLimit(view: DecodedView, inputLength: number, tail: number): number {
  // A unit starting at `at` is decided by raw[at, at + MAX_UNIT_BYTES): those near the end may still grow.
  const trusted = decodedIndexAt(view, inputLength - MAX_UNIT_BYTES + 1);
  const first = trusted - tail;
  return first <= 0 ? 0 : rawStartOf(view, first);
}
