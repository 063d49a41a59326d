/**
 * The exfiltration scan of one outgoing request: every header value, the path, the query and the body are
 * scanned (raw, and through the encodings each part is written in), and each finding is located
 * (`request.header.x-note`, `request.query.token`, `request.body`) so the audit can say where a secret
 * was without saying what it was. Pure: the caller decides which findings are exfiltration, and whether
 * to block or to redact; `redactRequest` then rewrites only the secret spans.
 */
import { findEncodedMatches, type EncodedForms } from './encoded-redaction.js';
import type { Finding } from './findings.js';
import { headerLines, lowerCaseMember, type HeaderLines } from './header-lines.js';
import { applyRedactions, type RedactOptions } from './redaction.js';
import type { Scanner } from './scanner.js';

export interface OutgoingRequest {
  /** End-to-end headers as they go upstream: [name, value, name, value, …]. */
  readonly rawHeaders: readonly string[];
  /** The origin-form path, without the query. */
  readonly path: string;
  /** Raw query without `?` ('' when none). */
  readonly query: string;
  /** The decoded body (null: no body, or one that is not scanned). */
  readonly body: Buffer | null;
  /** How the body is written: JSON bodies hide secrets in escapes, form bodies in percent-encoding. */
  readonly bodyForms: EncodedForms;
  /** Lower-case names of headers whose values are not scanned (the caller exempts them anyway). */
  readonly unscannedHeaders?: ReadonlySet<string>;
}

export type RequestPart =
  | { readonly part: 'header'; readonly index: number } // index of the header's name in rawHeaders
  | { readonly part: 'header-name'; readonly index: number } // a secret AS a header name (`X-ghp_…: 1`)
  | { readonly part: 'path' }
  | { readonly part: 'query' }
  | { readonly part: 'body' };

export interface LocatedFinding {
  readonly finding: Finding;
  readonly where: RequestPart;
  /** `request.header.<name>`, `request.path`, `request.query.<param>` or `request.body`. */
  readonly location: string;
}

const URL_FORMS: EncodedForms = { json: false, percent: true };
const HEADER_FORMS: EncodedForms = { json: false, percent: true };
const PERCENT = 0x25;
// Names that go into the audit verbatim: anything else (a name made of a token) is reported generically.
const PLAIN_NAME = /^[A-Za-z0-9_.\-[\]]{1,64}$/;

export function scanRequest(scanner: Scanner, request: OutgoingRequest): LocatedFinding[] {
  const head = encodedHead(request);
  const located = mayHoldSecret(scanner, head.bytes) ? headFindings(scanner, request, head) : [];
  if (request.body !== null && request.body.length > 0) {
    for (const finding of findingsIn(scanner, request.body, request.bodyForms)) {
      located.push({ finding, where: { part: 'body' }, location: 'request.body' });
    }
  }
  return located;
}

/** Header values (unscanned ones blanked), header names, path and query, encoded as one text, in that order. */
interface EncodedHead {
  readonly bytes: Buffer;
  readonly values: HeaderLines;
  readonly names: HeaderLines;
  readonly pathAt: number;
  readonly queryAt: number;
}

function encodedHead(request: OutgoingRequest): EncodedHead {
  const unscanned = request.unscannedHeaders;
  const values = headerLines(request.rawHeaders, 1, unscanned === undefined ? undefined : lowerCaseMember(unscanned));
  const names = headerLines(request.rawHeaders, 0);
  // Each part ends in a line break (the header lines already do), so no keyword spans two parts.
  const bytes = Buffer.from(`${values.text}${names.text}${request.path}\n${request.query}`, 'latin1');
  const pathAt = values.text.length + names.text.length;
  return { bytes, values, names, pathAt, queryAt: pathAt + request.path.length + 1 };
}

/**
 * False only when no part can hold a finding: no keyword anywhere (keywords are printable ASCII, so none
 * spans a line break: no part has a keyword either), and no `%` (so no part has a percent-decoded view to
 * scan; the head is never read as JSON). Most requests stop here, after one pass over all their parts.
 */
function mayHoldSecret(scanner: Scanner, head: Buffer): boolean {
  return head.indexOf(PERCENT) >= 0 || scanner.mentionsKeyword(head);
}

/** Each part scanned on its own (a view of the head's bytes, as if encoded alone). */
function headFindings(scanner: Scanner, request: OutgoingRequest, head: EncodedHead): LocatedFinding[] {
  const { bytes, values, names, pathAt, queryAt } = head;
  const located: LocatedFinding[] = [];
  located.push(...headerValueFindings(scanner, request.rawHeaders, bytes.subarray(0, values.text.length), values.starts));
  located.push(...headerNameFindings(scanner, bytes.subarray(values.text.length, pathAt), names.starts));
  for (const finding of findingsIn(scanner, bytes.subarray(pathAt, queryAt - 1), URL_FORMS)) {
    located.push({ finding, where: { part: 'path' }, location: 'request.path' });
  }
  for (const finding of findingsIn(scanner, bytes.subarray(queryAt), URL_FORMS)) {
    located.push({ finding, where: { part: 'query' }, location: queryLocation(scanner, request.query, finding.start) });
  }
  return located;
}

export interface RedactedRequest {
  readonly rawHeaders: string[];
  readonly path: string;
  readonly query: string;
  readonly body: Buffer | null;
}

/** The request with the given findings' spans replaced (by `[REDACTED:<kind>]` markers); the rest untouched. */
export function redactRequest(request: OutgoingRequest, findings: readonly LocatedFinding[], options: RedactOptions = {}): RedactedRequest {
  const rawHeaders: string[] = [...request.rawHeaders];
  const headerIndexes = new Set(findings.flatMap((f) => (f.where.part === 'header' ? [f.where.index] : [])));
  for (const index of headerIndexes) {
    const inHeader = findings.filter((f) => f.where.part === 'header' && f.where.index === index);
    rawHeaders[index + 1] = redacted(Buffer.from(rawHeaders[index + 1]!, 'latin1'), inHeader, options).toString('latin1');
  }
  // A header whose NAME is a secret cannot be rewritten into anything meaningful: it is dropped whole.
  const namedBySecret = new Set(findings.flatMap((f) => (f.where.part === 'header-name' ? [f.where.index] : [])));
  const keptHeaders = rawHeaders.filter((_, at) => !namedBySecret.has(at - (at % 2)));
  const of = (part: RequestPart['part']) => findings.filter((f) => f.where.part === part);
  return {
    rawHeaders: keptHeaders,
    path: redacted(Buffer.from(request.path, 'latin1'), of('path'), options).toString('latin1'),
    query: redacted(Buffer.from(request.query, 'latin1'), of('query'), options).toString('latin1'),
    body: request.body === null ? null : redacted(request.body, of('body'), options),
  };
}

function findingsIn(scanner: Scanner, input: Buffer, forms: EncodedForms): Finding[] {
  if (input.length === 0) return [];
  const matches = findEncodedMatches(scanner, input, forms);
  return matches.length === 0 ? [] : scanner.mergeMatches(matches);
}

function redacted(input: Buffer, findings: readonly LocatedFinding[], options: RedactOptions): Buffer {
  if (findings.length === 0) return input;
  // Findings of one part came from one merge, so they are sorted and disjoint already; sort defensively.
  const spans = findings.map((f) => f.finding).sort((a, b) => a.start - b.start);
  return applyRedactions(input, spans, options);
}

/** `request.query.<name>` for the parameter holding byte `at` of the query (names are ASCII in practice). */
function queryLocation(scanner: Scanner, query: string, at: number): string {
  let start = 0;
  for (const pair of query.split('&')) {
    const end = start + pair.length;
    if (at < end || end === query.length) {
      const equals = pair.indexOf('=');
      // In a pair without `=`, or inside the name, the secret IS the name: never put it into a location.
      if (equals < 0 || at < start + equals) return 'request.query';
      const name = decodedName(pair.slice(0, equals));
      return name !== null && isReportableName(scanner, name) ? `request.query.${name}` : 'request.query';
    }
    start = end + 1;
  }
  return 'request.query';
}

/**
 * Header values, one scan over all of them (a line each: a value holds no line break, so no match of a
 * one-line rule spans two); each finding is located in its header, with offsets relative to its value.
 */
function headerValueFindings(scanner: Scanner, rawHeaders: readonly string[], lines: Buffer, starts: readonly number[]): LocatedFinding[] {
  const located: LocatedFinding[] = [];
  for (const finding of findingsIn(scanner, lines, HEADER_FORMS)) {
    const header = lineOf(starts, finding.start);
    const base = starts[header]!;
    const valueLength = rawHeaders[header * 2 + 1]!.length;
    // Judged as sent: lower-casing first would hide an `AKIA…` name from its (case-sensitive) rule.
    const name = rawHeaders[header * 2]!;
    const location = isReportableName(scanner, name) ? `request.header.${name.toLowerCase()}` : 'request.header';
    const inValue = { ...finding, start: finding.start - base, end: Math.min(finding.end - base, valueLength) };
    located.push({ finding: inValue, where: { part: 'header', index: header * 2 }, location });
  }
  return located;
}

/** Header names, one scan over all of them (a line each): a name can carry a secret out as well as a value. */
function headerNameFindings(scanner: Scanner, lines: Buffer, starts: readonly number[]): LocatedFinding[] {
  return scanner.scan(lines).map((finding) => {
    return { finding, where: { part: 'header-name', index: lineOf(starts, finding.start) * 2 }, location: 'request.header-name' };
  });
}

/** The line holding byte `at`. */
function lineOf(starts: readonly number[], at: number): number {
  let line = 0;
  while (line + 1 < starts.length && starts[line + 1]! <= at) line += 1;
  return line;
}

/** A plain name that is not itself a secret (`X-ghp_…: …`, `?AKIA…=…` would put one into the audit). */
function isReportableName(scanner: Scanner, name: string): boolean {
  return PLAIN_NAME.test(name) && scanner.scan(Buffer.from(name, 'latin1')).length === 0;
}

function decodedName(raw: string): string | null {
  try {
    return decodeURIComponent(raw.replaceAll('+', ' '));
  } catch {
    return null;
  }
}
