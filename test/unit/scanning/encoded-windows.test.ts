/**
 * Decoded views are kept sparse (only their escapes are recorded) and scanned only in windows around
 * their escapes. Neither may change what is found: against the oracle (encoded-oracle.ts, the whole-view
 * implementation before), the maps back to raw offsets agree byte for byte, and random documents with
 * secrets written raw, escaped, percent-encoded or mixed, behind long stretches of plain text that keep
 * the windows apart, give the same findings and the same redacted output, from any unit boundary on.
 * Then the point of it: a view is scanned around its escapes, not whole.
 */
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodedIndexAt, decodeView, jsonEscape, percentEscape, rawSpan, unitAround } from '../../../src/scanning/decoded-view.js';
import { encodedViews, matchesThroughViews, unitStartIn } from '../../../src/scanning/encoded-redaction.js';
import { findEncodedMatches, redactEncoded, type EncodedForms, type Scanner } from '../../../src/scanning/index.js';
import { fullDecodedIndexAt, fullUnitAround, fullView, oracleMatches, oracleRedact } from './encoded-oracle.js';
import { BASE62, ENCODED_FORM_RULES, githubToken, pemBlock, realScanner, scannerOf } from './helpers.js';

const scanner = scannerOf('acme', [
  ...ENCODED_FORM_RULES,
  // `$` and `\b` after the match: a decoded newline or letter right behind a match decides it.
  { id: 'acme-line-end', kind: 'line_secret', regex: '(?m)acme_line=([A-Za-z0-9]{8,20})$', secretGroup: 1, keywords: ['acme_line='], maxLength: 40 },
]);

const FORMS: readonly EncodedForms[] = [{}, { json: true, percent: true }, { json: false, percent: true }, { json: false }];

/** One character written the way `way` picks: plain, `\u00xx`, `\u00XX`, a short JSON escape where there is one, `%xx`, `%XX`. */
function written(c: string, way: number): string {
  const code = c.charCodeAt(0);
  const hex = code.toString(16).padStart(2, '0');
  const short: Record<string, string> = { '/': '\\/', '\n': '\\n', '"': '\\"', '\\': '\\\\' };
  if (way === 1) return `\\u00${hex}`;
  if (way === 2) return `\\u00${hex.toUpperCase()}`;
  if (way === 3) return short[c] ?? c;
  if (way === 4) return `%${hex}`;
  if (way === 5) return `%${hex.toUpperCase()}`;
  return c === '\n' ? '\\n' : c;
}

const encoded = (value: string, ways: readonly number[]): string => [...value].map((c, i) => written(c, ways[i % ways.length]!)).join('');

/** Junk full of escape starts, hex digits and keyword pieces: traps for a decoder that loses its place. */
const NOISE = fc.string({ unit: fc.constantFrom(...'\\\\\\"u00aAbc9fF%2%25_-: /n{}\n='), maxLength: 40 });
/** Plain text without a `\` or `%`, long enough to part the windows of a short-tail catalogue (tail 155). */
const PLAIN = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz .,:{}"0123456789\n'), maxLength: 600 });

const BESIDE = ['', ' ', '\\n', '\\u0041', '\\u0020', '\\u00e9', '%41', '%20', '%0A', '\\\\', '\\/', 'x'];
const alnum = (length: number) => fc.string({ unit: fc.constantFrom(...'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789'), minLength: length, maxLength: length });
const SECRET = fc
  .tuple(
    fc.oneof(
      alnum(16).map((core) => `acme_${core}`),
      fc.tuple(alnum(12), fc.nat(18)).map(([core, user]) => `https://o${'p'.repeat(user)}s:${core}-x@db.example.test`),
      fc.integer({ min: 8, max: 80 }).chain((n) => alnum(n)).map((core) => `-----BEGIN ACME KEY-----\n${core}\n-----END ACME KEY-----`),
      fc.integer({ min: 8, max: 64 }).chain((n) => alnum(n)).map((core) => `"acme_password": "${core}"`),
      fc.integer({ min: 1, max: 7 }).map((n) => 'abc'.repeat(n)),
      fc.integer({ min: 8, max: 20 }).chain((n) => alnum(n)).map((core) => `acme_line=${core}\n`),
    ),
    // Ways per character: all plain (raw), one family, or mixed...
    fc.array(fc.nat(5), { minLength: 1, maxLength: 60 }),
    // ...for the whole value, or only before or after a point: escapes far from one end of the match.
    fc.constantFrom('whole', 'head', 'tail'),
    fc.nat(),
    // Right before and after it, an escape (or none) decides `\b`, `^` and `$` differently raw and decoded.
    fc.constantFrom(...BESIDE),
    fc.constantFrom(...BESIDE),
  )
  .map(([value, ways, part, at, before, after]) => {
    const cut = at % (value.length + 1);
    const written = part === 'head' ? encoded(value.slice(0, cut), ways) + value.slice(cut) : part === 'tail' ? value.slice(0, cut) + encoded(value.slice(cut), ways) : encoded(value, ways);
    return `${before}${written}${after}`;
  });

const DOCUMENT = fc.array(fc.oneof({ arbitrary: NOISE, weight: 2 }, { arbitrary: PLAIN, weight: 2 }, { arbitrary: SECRET, weight: 3 }), { minLength: 1, maxLength: 16 }).map((pieces) => Buffer.from(pieces.join('')));

describe('the sparse decoded view, against the per-byte map of the oracle', () => {
  it.each([
    ['JSON escapes', jsonEscape, 0x5c],
    ['percent escapes', percentEscape, 0x25],
  ] as const)('%s: the same bytes, raw spans, units and decoded offsets', (_name, decode, marker) => {
    fc.assert(
      fc.property(fc.array(fc.oneof(NOISE, SECRET, PLAIN.map((s) => s.slice(0, 30))), { maxLength: 12 }), (pieces) => {
        const raw = Buffer.from(pieces.join(''));
        const sparse = decodeView(raw, decode, marker);
        const full = fullView(raw, decode, marker);
        expect(sparse === null).toBe(full === null);
        if (sparse === null || full === null) return;
        expect(sparse.bytes.equals(full.bytes)).toBe(true);
        for (let i = 0; i < full.bytes.length; i++) expect(rawSpan(sparse, i, i + 1)).toEqual([full.rawStart[i], full.rawEnd[i]]);
        for (let at = -1; at <= raw.length + 1; at++) {
          expect(unitAround(sparse, at), `unit at ${at}`).toEqual(fullUnitAround(full, at));
          expect(decodedIndexAt(sparse, at), `decoded index at ${at}`).toBe(fullDecodedIndexAt(full, at));
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('windowed views, against whole views (short-tail catalogue)', () => {
  it('gives the same findings and output for random documents, in every combination of forms', () => {
    expect(scanner.tailBytes).toBe(140 + 'BEGIN ACME KEY'.length + 1);
    fc.assert(
      fc.property(DOCUMENT, fc.constantFrom(...FORMS), (input, forms) => {
        const expected = oracleRedact(scanner, input, forms);
        const actual = redactEncoded(scanner, input, forms);
        expect(actual.findings).toEqual(expected.findings);
        expect(actual.output.equals(expected.output)).toBe(true);
      }),
      { numRuns: 1500 },
    );
  });

  it('gives the same findings from any unit boundary on (how a stream round scans)', () => {
    fc.assert(
      fc.property(DOCUMENT, fc.constantFrom(...FORMS), fc.nat(), (input, forms, at) => {
        const views = encodedViews(input, forms);
        const from = unitStartIn(views, at % (input.length + 1));
        const merged = (matches: Parameters<Scanner['mergeMatches']>[0]) => scanner.mergeMatches(matches);
        expect(merged(matchesThroughViews(scanner, input, views, from))).toEqual(merged(oracleMatches(scanner, input, forms, from)));
      }),
      { numRuns: 600 },
    );
  });

  // A window's first start still sees the byte before it: `x` glued to the key is no word boundary.
  it.each([
    ['a window that starts where a stream round does', 'xacme_Zx81Qm2Lp0Rt7Yw3 \\/', 1],
    ['a window that starts a tail before its escape', `xacme_Zx81Qm2Lp0Rt7Yw3${' '.repeat(155 - 21)}\\/`, 0],
  ])('%s', (_what, text, from) => {
    const input = Buffer.from(text);
    const matches = matchesThroughViews(scanner, input, encodedViews(input, {}), from);
    expect(scanner.mergeMatches(matches)).toEqual(scanner.mergeMatches(oracleMatches(scanner, input, {}, from)));
    expect(matches).toEqual([]);
  });

  it('finds the secrets hidden by escapes far apart in a long document, each in its own window', () => {
    const pad = (n: number) => 'lorem ipsum dolor sit amet, '.repeat(n);
    const input = Buffer.from(
      [pad(40), encoded('acme_Zx81Qm2Lp0Rt7Yw3', [0, 1]), pad(40), encoded('https://ops:hunter2-Pa55@db', [0, 0, 4]), pad(40), 'acme\\u005fQx81Qm2Lp0Rt7Yw9', pad(40)].join(' '),
    );
    const forms = { json: true, percent: true };
    const actual = redactEncoded(scanner, input, forms);
    expect(actual.findings.map((f) => f.kind)).toEqual(['acme_api_key', 'url_password', 'acme_api_key']);
    expect(actual).toEqual(oracleRedact(scanner, input, forms));
  });
});

/** The scanner, counting the bytes handed to it. */
function counting(inner: Scanner): { scanner: Scanner; scanned: () => number } {
  let bytes = 0;
  const scanner: Scanner = {
    ...inner,
    matches(input, minMatchStart) {
      bytes += input.length;
      return inner.matches(input, minMatchStart);
    },
  };
  return { scanner, scanned: () => bytes };
}

describe('what windowed views save', () => {
  const real = realScanner();
  const TAIL = real.tailBytes;
  const corpusDir = new URL('../../fixtures/clean-traffic/', import.meta.url);
  const CLEAN = Buffer.concat(readdirSync(corpusDir).filter((name) => !name.startsWith('.')).sort().map((name) => readFileSync(new URL(name, corpusDir))));
  // Clean text with no `\` or `%` at all, so the only escapes are the ones placed.
  const plain = Buffer.from(CLEAN.toString('latin1').replace(/[\\%]/g, ' '), 'latin1');
  const stretch = (bytes: number): Buffer => Buffer.concat(Array.from({ length: Math.ceil(bytes / plain.length) }, () => plain)).subarray(0, bytes);

  it('scans a long document with one escape about once, not once per view', () => {
    const input = Buffer.concat([stretch(8 * TAIL), Buffer.from(' "https:\\/\\/example.test\\/a%20b" '), stretch(8 * TAIL)]);
    const { scanner: counted, scanned } = counting(real);
    const found = findEncodedMatches(counted, input, { json: true, percent: true });
    // The raw text once, and each view only within a tail of its escapes (plus a few bytes of context).
    expect(scanned()).toBeLessThan(input.length + 2 * (2 * TAIL + 100));
    expect(real.mergeMatches(found)).toEqual(real.mergeMatches(oracleMatches(real, input, { json: true, percent: true })));
  });

  it('scans an escape-dense view in one piece (windows closer than a tail are joined)', () => {
    const line = Buffer.from('{"msg":"caf\\u00e9 \\"q\\" a\\nb","id":"c961a7c2"}\n');
    const input = Buffer.concat(Array.from({ length: Math.ceil((4 * TAIL) / line.length) }, () => line));
    const { scanner: counted, scanned } = counting(real);
    findEncodedMatches(counted, input, { json: true });
    expect(scanned()).toBeLessThanOrEqual(2 * input.length);
  });

  const REAL_SECRET = fc.oneof(
    fc.string({ unit: fc.constantFrom(...BASE62), minLength: 30, maxLength: 30 }).map((r) => githubToken('ghp', r)),
    fc.string({ unit: fc.constantFrom(...BASE62), minLength: 16, maxLength: 16 }).map((r) => `postgres://deploy:${r}@db.internal.example:5432/app`),
    fc.uint8Array({ minLength: 300, maxLength: 600 }).map((bytes) => pemBlock('RSA PRIVATE KEY', Buffer.concat([Buffer.from([0x30, 0x82]), Buffer.from(bytes)]))),
  );

  it('gives the oracle findings on the real catalogue: secrets written through escapes, far apart in clean traffic', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(3 * TAIL), REAL_SECRET, fc.array(fc.nat(5), { minLength: 1, maxLength: 30 })), { minLength: 1, maxLength: 3 }),
        (placed) => {
          const input = Buffer.concat([...placed.flatMap(([gap, secret, ways]) => [stretch(gap), Buffer.from(` "${encoded(secret, ways)}" `)]), stretch(TAIL)]);
          const forms = { json: true, percent: true };
          const expected = oracleRedact(real, input, forms);
          const actual = redactEncoded(real, input, forms);
          expect(actual.findings).toEqual(expected.findings);
          expect(actual.output.equals(expected.output)).toBe(true);
        },
      ),
      { numRuns: 12 },
    );
  });
});
