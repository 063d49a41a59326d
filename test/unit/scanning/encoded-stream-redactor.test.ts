/**
 * The encoded stream redactor: secrets written raw, JSON-escaped (`\/`, `\u00XX` in either case, mixed,
 * `\n` in a PEM block) or percent-encoded are redacted however the body is chunked, with the output and
 * the findings of whole-buffer redactEncoded. First on a catalogue with a short tail, so that every
 * split point of a small input moves cuts through escapes and secrets; then (second describe) on the
 * real catalogue with real secret formats, clean traffic, 50 MB of escape-heavy input and pathological
 * runs of escape starts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeView, jsonEscape, percentEscape, unitAround } from '../../../src/scanning/decoded-view.js';
import { createEncodedRedactStream, createEncodedStreamRedactor, redactEncoded, shannonEntropy, type EncodedForms, type Finding, type Scanner } from '../../../src/scanning/index.js';
import { BASE62, ENCODED_FORM_RULES, githubToken, pemBlock, realScanner, scannerOf } from './helpers.js';

const FORMS = { json: true, percent: true } as const;

const scanner = scannerOf('acme', [
  ...ENCODED_FORM_RULES,
]);

/** Every character as `\u00xx` (or `\u00XX`), the way some serialisers write non-ASCII-safe output. */
const u00 = (text: string, upper = false): string =>
  [...text].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).map((e) => (upper ? e.toUpperCase().replace('\\U', '\\u') : e)).join('');

interface Streamed {
  readonly output: Buffer;
  readonly findings: Finding[];
  /** Output pieces, as the redactor emitted them. */
  readonly pieces: Buffer[];
}

function streamed(input: Buffer, points: readonly number[], redactorScanner: Scanner = scanner, forms: EncodedForms = FORMS): Streamed {
  const findings: Finding[] = [];
  const redactor = createEncodedStreamRedactor(redactorScanner, { forms, onFinding: (f) => findings.push(f) });
  const sorted = [...new Set(points)].sort((a, b) => a - b);
  const pieces = [...sorted, input.length].flatMap((end, i) => redactor.push(input.subarray(i === 0 ? 0 : sorted[i - 1]!, end)));
  pieces.push(...redactor.end());
  return { output: Buffer.concat(pieces), findings, pieces };
}

/** What a reader of the output sees: the raw text, and each decoding of it. */
function readings(output: Buffer): string[] {
  const json = decodeView(output, jsonEscape, 0x5c)?.bytes ?? output;
  const percent = decodeView(output, percentEscape, 0x25)?.bytes ?? output;
  return [output, json, percent].map((bytes) => bytes.toString('latin1'));
}

/** A piece of the secret (`window` characters at every half window) readable in `reading`. */
function survives(reading: string, core: string, window = 12): boolean {
  for (let at = 0; at + window <= core.length; at += window / 2) if (reading.includes(core.slice(at, at + window))) return true;
  return false;
}

/** One character written the way `way` picks: 1 `\u00xx`, 2 `\u00XX`, 3 `\/` (for a slash); otherwise as JSON writes it. */
function jsonWay(c: string, way: number): string {
  if (way === 1) return u00(c);
  if (way === 2) return u00(c, true);
  return c === '/' && way === 3 ? '\\/' : JSON.stringify(c).slice(1, -1);
}

/** One character written the way `way` picks: 1 `%xx`, 2 `%XX`; otherwise as it is (a newline always escaped). */
function percentWay(c: string, way: number): string {
  const hex = c.charCodeAt(0).toString(16).padStart(2, '0');
  return c === '\n' || way === 1 ? `%${hex}` : way === 2 ? `%${hex.toUpperCase()}` : c;
}

const KEY = 'acme_Zx81Qm2Lp0Rt7Yw3';
const keyN = (n: number): string => `${KEY.slice(0, -1)}${n}`;
const CLEAN_ESCAPES = '{"msg":"caf\\u00e9 \\"quoted\\" line\\nnext\\ttab C:\\\\dir \\/path \\uD83D\\uDE00 100%25 %zz \\u00","sha":"9fceb02d0ae598e95dc970b74767f19372d61af8"}';
const SAMPLE = Buffer.from(
  [
    'event: message',
    `data: {"jsonrpc":"2.0","id":1,"result":{"raw":"${KEY}","one":"acme\\u005f${keyN(4).slice(5)}","all":"${u00(keyN(5))}"}}`,
    '',
    CLEAN_ESCAPES,
    `data: {"upper":"${u00(keyN(6), true)}","mixed":"${[...keyN(7)].map((c, i) => (i % 2 === 0 ? u00(c) : c)).join('')}"}`,
    `{"u":"https:\\/\\/deploy:s3cr3t-Pa55@db.example.test\\/x","v":"https:\\/\\/ops:${u00('hunter2-Pa55')}@db.example.test"}`,
    CLEAN_ESCAPES,
    `GET /cb?next=https%3A%2F%2Fdeploy%3As3cr3t-Pa66%40db.example.test&k=acme%5F${keyN(8).slice(5)}&l=acme%5f${keyN(9).slice(5)}`,
    '{"key":"-----BEGIN ACME KEY-----\\nQUJDREVGR0hJSktMTU5PUA==\\nQUJDREVGR0hJSktMTU5PUA==\\n-----END ACME KEY-----\\n"}',
    '{"acme_password": "Pa55w0rd!\\""}',
    // Escaped, these are longer than the raw tail: only a tail measured in decoded bytes holds them whole.
    `{"dsn":"${u00('https://deploy:Lq8-Vz3-Kd9-Wm2-Rt5-Xp7-Hn4-Bc6@db')}","pem":"${u00('-----BEGIN ACME KEY-----\nQUJDREVGR0hJSktMTU5PUA==\n-----END ACME KEY-----')}"}`,
    CLEAN_ESCAPES,
    // Traps: an even run of backslashes escapes itself (no `\u0061` here); an odd run leaves one escape.
    `{"even":"\\\\u0061cme_Zx81Qm2Lp0Rt7YwA \\\\\\\\\\\\\\\\u0061cme_Zx81Qm2Lp0Rt7YwB","odd":"\\\\\\\\\\\\\\u0061cme_Zx81Qm2Lp0Rt7YwC"}`,
    // A lone high surrogate decodes to U+FFFD, a word boundary; `x` before the key is none.
    `{"lone":"\\uD83D${u00('a')}cme_Zx81Qm2Lp0Rt7YwD","glued":"x${u00('a')}cme_Zx81Qm2Lp0Rt7YwE"}`,
    // A raw match may begin inside an escape (`abc` in `\u00abc`): its span, and a cut before it, widen to the escape.
    '{"chain":"\\u00abcabc x \\u00abc"}',
    CLEAN_ESCAPES,
    `data: {"end":"${u00(keyN(1))}"} \\u00`,
  ].join('\n'),
);
const whole = redactEncoded(scanner, SAMPLE, FORMS);

/** Clean text full of escape starts, hex digits and keyword pieces: traps for a decoder that loses its place. */
const NOISE = fc.string({ unit: fc.constantFrom(...'\\\\\\"u00aAbc9fF%2%25_-: /n{}\n'), maxLength: 40 });

const alnum = (length: number) => fc.string({ unit: fc.constantFrom(...'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789'), minLength: length, maxLength: length });
/** One of the catalogue's secrets, written through one family of escapes (JSON or percent), each character its own way. */
const GENERATED_SECRET = fc
  .tuple(
    fc.oneof(
      alnum(16).map((core) => ({ value: `acme_${core}`, core })),
      alnum(12).map((core) => ({ value: `https://ops:${core}-x@db.example.test`, core })),
      alnum(40).map((core) => ({ value: `-----BEGIN ACME KEY-----\n${core}\n-----END ACME KEY-----`, core })),
    ),
    fc.boolean(),
    fc.array(fc.nat(3), { minLength: 1, maxLength: 90 }),
  )
  .map(([{ value, core }, json, ways]) => ({ core, json, encoded: [...value].map((c, i) => (json ? jsonWay : percentWay)(c, ways[i % ways.length]!)).join('') }));

describe('the encoded stream redactor on a short-tail catalogue', () => {
  it('redacts every encoded form in the sample (and none of the traps) when given the whole buffer', () => {
    expect(scanner.tailBytes).toBe(140 + 'BEGIN ACME KEY'.length + 1);
    expect(SAMPLE.length).toBeGreaterThan(6 * scanner.tailBytes + 200);
    expect(whole.findings.map((f) => f.kind)).toEqual([
      ...Array<string>(5).fill('acme_api_key'),
      ...Array<string>(3).fill('url_password'),
      ...Array<string>(2).fill('acme_api_key'),
      'private_key',
      'password',
      'url_password',
      'private_key',
      'acme_api_key', // the odd run of backslashes
      'acme_api_key', // after the lone surrogate
      'chain',
      'chain',
      'acme_api_key', // the last line
    ]);
    const secrets = [...'13456789CD'].map((last) => `Zx81Qm2Lp0Rt7Yw${last}`).concat(['s3cr3t', 'hunter2', 'QUJDREVG', 'Pa55w0rd', 'Lq8-Vz3']);
    for (const reading of readings(whole.output)) for (const secret of secrets) expect(reading).not.toContain(secret);
    for (const trap of ['Zx81Qm2Lp0Rt7YwA', 'Zx81Qm2Lp0Rt7YwB', 'Zx81Qm2Lp0Rt7YwE']) expect(whole.output.toString()).toContain(trap);
  });

  it('gives the whole-buffer output and findings when the input is split at ANY single point', () => {
    for (let point = 0; point <= SAMPLE.length; point++) {
      const { output, findings } = streamed(SAMPLE, [point]);
      expect(output.toString(), `split at ${point}`).toBe(whole.output.toString());
      expect(findings, `split at ${point}`).toEqual(whole.findings);
    }
  });

  it('gives the whole-buffer result one byte at a time, and for random multi-splits', () => {
    const bytewise = streamed(SAMPLE, Array.from({ length: SAMPLE.length }, (_, i) => i));
    expect(bytewise.output.equals(whole.output)).toBe(true);
    expect(bytewise.findings).toEqual(whole.findings);
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: SAMPLE.length }), { maxLength: 16 }), (points) => {
        const result = streamed(SAMPLE, points);
        expect(result.output.equals(whole.output)).toBe(true);
        expect(result.findings).toEqual(whole.findings);
      }),
      { numRuns: 300 },
    );
  });

  it('never emits part of an escape: every piece of output ends where an escape ends', () => {
    const clean = Buffer.from(Array.from({ length: 40 }, (_, i) => `${CLEAN_ESCAPES} %41%2f\\\\\\u0041 ${'\\\\'.repeat(i % 7)}\n`).join(''));
    const views = [decodeView(clean, jsonEscape, 0x5c)!, decodeView(clean, percentEscape, 0x25)!];
    // Units tile the input: an offset is between units exactly when some unit starts there.
    const betweenUnits = (at: number): boolean => views.every((view) => unitAround(view, at)[0] === at);
    for (let point = 0; point < clean.length; point += 7) {
      const { output, pieces } = streamed(clean, [point]);
      expect(output.equals(clean)).toBe(true);
      let emitted = 0;
      for (const piece of pieces.slice(0, -1)) {
        emitted += piece.length;
        expect(betweenUnits(emitted), `piece ends at ${emitted} (split at ${point})`).toBe(true);
      }
    }
  });

  it('generated documents: random escape-laden text and secrets in random encodings, randomly split', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(NOISE, GENERATED_SECRET), { minLength: 1, maxLength: 24 }), fc.array(fc.nat(), { maxLength: 8 }), fc.boolean(), (pieces, points, both) => {
        const input = Buffer.from(pieces.map((piece) => (typeof piece === 'string' ? piece : ` "${piece.encoded}" `)).join(''));
        // Both forms (as for response bodies), or the default: JSON escapes only.
        const forms = both ? FORMS : {};
        const expected = redactEncoded(scanner, input, forms);
        const result = streamed(input, points.map((p) => p % (input.length + 1)), scanner, forms);
        expect(result.output.equals(expected.output)).toBe(true);
        expect(result.findings).toEqual(expected.findings);
        // A percent-encoded secret is out of sight when only JSON escapes are read.
        const visible = pieces.flatMap((piece) => (typeof piece !== 'string' && (both || piece.json) ? [piece.core] : []));
        for (const reading of readings(result.output)) for (const core of visible) expect(survives(reading, core, 8)).toBe(false);
      }),
      { numRuns: 400 },
    );
  });

  it('keeps flowing in bounded memory through an endless chain of escaped matches (forced cuts), leaving none of it', () => {
    const sliceBytes = 4096;
    const redactor = createEncodedStreamRedactor(scanner, { forms: FORMS, sliceBytes });
    const chain = Buffer.from('\\u0061bc'.repeat(40_000));
    const out: Buffer[] = [];
    let maxHeld = 0;
    for (let offset = 0; offset < chain.length; offset += 1000) {
      out.push(...redactor.push(chain.subarray(offset, offset + 1000)));
      maxHeld = Math.max(maxHeld, redactor.heldBytes);
    }
    out.push(...redactor.end());
    const output = Buffer.concat(out);
    // Forced cuts split the one whole-buffer finding into many markers: the only legitimate difference.
    expect(output.toString().replaceAll('[REDACTED:chain]', '')).toBe('');
    expect(maxHeld).toBeLessThan(2 * (6 * scanner.tailBytes + 36) + 3 * sliceBytes);
  });
});

const real = realScanner();
const TAIL = real.tailBytes;

interface RealSecret {
  readonly field: string;
  readonly value: string;
  /** No 12-character piece of it may be readable in the output, raw or decoded. */
  readonly core: string;
}

const chars = (alphabet: string, length: number) => fc.string({ unit: fc.constantFrom(...alphabet), minLength: length, maxLength: length });
const random = (alphabet: string, length: number, minEntropy: number) => chars(alphabet, length).filter((s) => shannonEntropy(Buffer.from(s)) >= minEntropy);

const KINDS: Record<string, fc.Arbitrary<RealSecret>> = {
  'GitHub PAT': random(BASE62, 30, 4).map((r) => ({ field: 'token', value: githubToken('ghp', r), core: r })),
  'AWS secret key with / and +': random(`${BASE62}+/`, 38, 4.5).map((r) => {
    const value = `${r.slice(0, 12)}/${r.slice(12, 25)}+${r.slice(25)}`;
    return { field: 'aws_secret_access_key', value, core: value };
  }),
  'Slack webhook URL': fc
    .tuple(chars('ABCDEFGHJKLMNPQRSTUVWXYZ0123456789', 10), chars('ABCDEFGHJKLMNPQRSTUVWXYZ0123456789', 10), random(BASE62, 24, 4))
    .map(([team, hook, r]) => ({ field: 'webhook', value: `https://hooks.slack.com/services/T${team}/B${hook}/${r}`, core: r })),
  'PEM private key': fc.uint8Array({ minLength: 300, maxLength: 900 }).map((bytes) => {
    const body = Buffer.concat([Buffer.from([0x30, 0x82]), Buffer.from(bytes)]);
    return { field: 'private_key', value: pemBlock('RSA PRIVATE KEY', body), core: body.toString('base64').slice(0, 64) };
  }),
  'postgres URL': random(BASE62, 16, 3.5).map((r) => ({ field: 'dsn', value: `postgres://deploy:${r}@db.internal.example:5432/app`, core: r })),
};

type Encoding = (value: string, ways: readonly number[]) => string;
const ENCODINGS: Record<string, Encoding> = {
  'as JSON writes it': (v) => JSON.stringify(v).slice(1, -1),
  'with \\/ escapes': (v) => JSON.stringify(v).slice(1, -1).replaceAll('/', '\\/'),
  'as \\u00XX throughout': (v) => u00(v),
  'mixed \\u00xx, \\u00XX, \\/ and plain': (v, ways) => [...v].map((c, i) => jsonWay(c, ways[i % ways.length]!)).join(''),
  'percent-encoded': (v) => encodeURIComponent(v),
};

const CONTEXTS = [
  (field: string, encoded: string) => `{"id":42,"sha":"9fceb02d0ae598e95dc970b74767f19372d61af8","${field}":"${encoded}","note":"caf\\u00e9 \\uD83D\\uDE00"}`,
  (field: string, encoded: string) => `event: message\ndata: {"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":"ok \\"done\\""}],"${field}":"${encoded}"}}\n\n`,
];

const CORPUS_DIR = new URL('../../fixtures/clean-traffic/', import.meta.url);
const CORPUS = readdirSync(CORPUS_DIR)
  .filter((name) => !name.startsWith('.'))
  .sort()
  .map((name) => ({ name, bytes: readFileSync(new URL(name, CORPUS_DIR)) }));
const ALL_CLEAN = Buffer.concat(CORPUS.map((file) => file.bytes));
const repeatTo = (unit: Buffer, bytes: number): Buffer => Buffer.concat(Array.from({ length: Math.ceil(bytes / unit.length) }, () => unit)).subarray(0, bytes);

const realCases = Object.entries(KINDS).flatMap(([kind, secret]) => Object.entries(ENCODINGS).map(([encoding, encode]) => ({ name: `${kind}, ${encoding}`, secret, encode })));

describe('the encoded stream redactor on the real catalogue', () => {
  it.each(realCases)('$name, in JSON and SSE behind clean traffic: never survives, and streams as the whole buffer', ({ secret, encode }) => {
    fc.assert(
      fc.property(secret, fc.array(fc.nat(3), { minLength: 1, maxLength: 40 }), fc.nat(1), fc.array(fc.nat(), { maxLength: 6 }), (s, ways, context, points) => {
        const lead = Buffer.concat([repeatTo(ALL_CLEAN, 2 * TAIL + 100), Buffer.from('\n')]);
        const document = Buffer.from(CONTEXTS[context]!(s.field, encode(s.value, ways)));
        const input = Buffer.concat([lead, document, Buffer.from('\n'), repeatTo(ALL_CLEAN, TAIL + 100)]);
        const expected = redactEncoded(real, input, FORMS);
        for (const reading of readings(expected.output)) expect(survives(reading, s.core), 'whole buffer').toBe(false);
        // One split at p runs a round whose cut lies TAIL decoded bytes before p: sweep it through the document.
        const decoded = Math.min(...[decodeView(document, jsonEscape, 0x5c), decodeView(document, percentEscape, 0x25)].map((v) => v?.bytes.length ?? document.length));
        const step = Math.max(1, Math.floor(decoded / 24));
        const last = lead.length + document.length + TAIL + 40;
        const sweep = Array.from({ length: Math.ceil((decoded + 80) / step) }, (_, i) => last - i * step);
        for (const split of [...sweep.map((p) => [p]), points.map((p) => p % input.length)]) {
          const result = streamed(input, split, real);
          expect(result.output.equals(expected.output), `split at ${split.join(',')}`).toBe(true);
          expect(result.findings).toEqual(expected.findings);
        }
      }),
      { numRuns: 2 },
    );
  });

  it.each(CORPUS)('clean traffic ($name) passes byte-identical, however it is split', ({ bytes }) => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 10 }), (points) => {
        const result = streamed(bytes, points.map((p) => p % bytes.length), real);
        expect(result.output.equals(bytes)).toBe(true);
        expect(result.findings).toEqual([]);
      }),
      { numRuns: 20 },
    );
  });

  it('holds a bounded number of bytes through 50 MB of escape-heavy JSON fed in 64 KiB chunks', () => {
    const CHUNK = 64 * 1024;
    const line = '{"msg":"caf\\u00e9 \\"q\\" a\\nb\\tc \\/p\\/q \\uD83D\\uDE00 \\u00e9\\u00e8 %2F%41 \\\\","id":"c961a7c2-72ae-4716-aaad-c5a17b56b979"}\n';
    const chunk = repeatTo(Buffer.from(line), CHUNK);
    const redactor = createEncodedStreamRedactor(real, { forms: FORMS });
    let emitted = 0;
    let maxHeld = 0;
    const check = (piece: Buffer): void => {
      // Nothing to redact: the output is the input, so each piece continues the repeating chunk.
      const at = emitted % CHUNK;
      const expected = repeatTo(Buffer.concat([chunk.subarray(at), chunk.subarray(0, at)]), piece.length);
      if (!piece.equals(expected)) throw new Error(`output differs from input near offset ${emitted}`);
      emitted += piece.length;
    };
    for (let i = 0; i < 800; i++) {
      redactor.push(chunk).forEach(check);
      maxHeld = Math.max(maxHeld, redactor.heldBytes);
    }
    redactor.end().forEach(check);
    expect(emitted).toBe(800 * CHUNK);
    expect(maxHeld).toBeLessThan(2 * (6 * TAIL + 36) + 3 * CHUNK);
  });

  it.each([
    ['\\u runs', '\\u'],
    ['% runs', '%'],
    ['backslash runs', '\\'],
    ['truncated \\u00 escapes', '\\u00'],
    ['lone high surrogates', '\\uD83D'],
    ['percent-escaped percent signs', '%25%2'],
    ['\\u followed by percent escapes', '\\u%41%'],
  ])('5 MB of %s stream through in linear time, unchanged', (_what, unit) => {
    const input = repeatTo(Buffer.from(unit), 5 * 1024 * 1024);
    const started = performance.now();
    const result = streamed(input, Array.from({ length: 79 }, (_, i) => (i + 1) * 64 * 1024), real);
    // Generous: a few MiB/s would be a regression, a super-linear blow-up takes minutes.
    expect(performance.now() - started).toBeLessThan(20_000);
    expect(result.output.equals(input)).toBe(true);
  });

  it('is a Transform (createEncodedRedactStream) that redacts across the chunks of a real pipeline', async () => {
    const token = githubToken('ghp', 'Zx81Qm2Lp0Rt7Yw3Hq7Ls2Vn9Xc4Bm');
    const input = Buffer.concat([repeatTo(ALL_CLEAN, 3 * TAIL), Buffer.from(`\ndata: {"token":"${u00(token)}"}\n\n`), repeatTo(ALL_CLEAN, TAIL)]);
    const chunks = Array.from({ length: Math.ceil(input.length / 1000) }, (_, i) => input.subarray(i * 1000, (i + 1) * 1000));
    const collected: Buffer[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        collected.push(chunk);
        done();
      },
    });
    await pipeline(Readable.from(chunks), createEncodedRedactStream(real, { forms: FORMS }), sink);
    const expected = redactEncoded(real, input, FORMS);
    expect(expected.findings.map((f) => f.kind)).toEqual(['github_classic_pat']);
    expect(Buffer.concat(collected).equals(expected.output)).toBe(true);
  });
});

