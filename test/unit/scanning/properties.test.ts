/**
 * Property tests over the real catalogue: secrets of real formats (a GitHub PAT with a valid checksum,
 * an AWS access key id, a Slack bot token, a PEM private key, a JWT), embedded in random text, JSON,
 * URLs, headers and log lines, never survive `redact`, and never survive the stream redactor however
 * the input is split (every split point of a small input; and, behind a filler longer than the
 * streaming tail, every split that puts the cut inside the secret; plus random multi-splits).
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StreamRedactor, shannonEntropy } from '../../../src/scanning/index.js';
import { BASE62, githubToken, jwt, pemBlock, realScanner } from './helpers.js';

const scanner = realScanner();

interface Secret {
  readonly shape: string;
  readonly value: string;
  /** The random part: no 12-character piece of it may appear in the output. */
  readonly core: string;
  readonly urlSafe: boolean;
}

const chars = (alphabet: string, length: number) =>
  fc.array(fc.constantFrom(...alphabet), { minLength: length, maxLength: length }).map((list) => list.join(''));
const random = (alphabet: string, length: number, minEntropy: number) => chars(alphabet, length).filter((s) => shannonEntropy(Buffer.from(s)) >= minEntropy);

const SHAPES: Record<string, fc.Arbitrary<Secret>> = {
  githubPat: random(BASE62, 30, 4).map((r) => ({ shape: 'github-pat', value: githubToken('ghp', r), core: r, urlSafe: true })),
  awsKeyId: random('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16, 3.5).map((r) => ({ shape: 'aws-key-id', value: `AKIA${r}`, core: r, urlSafe: true })),
  slackBot: fc
    .tuple(chars('0123456789', 12), chars('0123456789', 13), random(BASE62, 24, 4))
    .map(([a, b, r]) => ({ shape: 'slack-bot', value: `xoxb-${a}-${b}-${r}`, core: r, urlSafe: true })),
  pem: fc.uint8Array({ minLength: 600, maxLength: 1200 }).map((bytes) => {
    const body = Buffer.concat([Buffer.from([0x30, 0x82]), Buffer.from(bytes)]);
    const value = pemBlock('RSA PRIVATE KEY', body);
    return { shape: 'pem', value, core: body.toString('base64').slice(0, 64), urlSafe: false };
  }),
  jwt: fc
    .tuple(random(BASE62, 12, 3), fc.integer({ min: 1_700_000_000, max: 1_900_000_000 }), fc.uint8Array({ minLength: 32, maxLength: 64 }))
    .map(([sub, exp, sig]) => {
      const value = jwt({ sub, exp, scope: 'repo read:org' }, Buffer.from(sig));
      return { shape: 'jwt', value, core: value.split('.')[2]!, urlSafe: true };
    }),
};

const text = fc.string({ unit: fc.constantFrom(...'abcXYZ019 _-.,:;=/"\'{}[]()\n\té€'), maxLength: 60 });
const word = fc.string({ unit: fc.constantFrom(...'abcdefxyz_'), minLength: 1, maxLength: 12 });

type Context = (secret: Secret) => fc.Arbitrary<string>;
const CONTEXTS: Record<string, Context> = {
  'random text': (s) => fc.tuple(text, text).map(([a, b]) => `${a} ${s.value} ${b}`),
  JSON: (s) => fc.tuple(word, word).map(([k, v]) => JSON.stringify({ id: 42, [k]: s.value, note: v })),
  URL: (s) => word.map((w) => `https://api.example.test/v1/${w}?access_token=${s.urlSafe ? s.value : encodeURIComponent(s.value)}&page=2`),
  header: (s) => fc.constantFrom('Authorization: Bearer ', 'X-Api-Key: ', 'Cookie: session=').map((h) => `${h}${s.urlSafe ? s.value : JSON.stringify(s.value)}\r\n`),
  'log line': (s) => word.map((w) => `2026-04-02T09:00:00.123Z INFO user=${w} credential=${s.value} took=3ms`),
};

function survives(output: Buffer, secret: Secret): boolean {
  const haystack = output.toString('latin1');
  for (let at = 0; at + 12 <= secret.core.length; at += 6) if (haystack.includes(secret.core.slice(at, at + 12))) return true;
  return false;
}

function streamed(input: Buffer, points: readonly number[]): Buffer {
  const redactor = new StreamRedactor(scanner);
  const sorted = [...new Set(points)].sort((a, b) => a - b);
  const out = [...sorted, input.length].flatMap((end, i) => redactor.push(input.subarray(i === 0 ? 0 : sorted[i - 1]!, end)));
  return Buffer.concat([...out, ...redactor.end()]);
}

const cases = Object.entries(SHAPES).flatMap(([shapeName, shape]) =>
  Object.entries(CONTEXTS)
    .filter(([contextName]) => !(shapeName === 'pem' && (contextName === 'URL' || contextName === 'header')))
    .map(([contextName, context]) => ({ name: `${shapeName} in ${contextName}`, input: shape.chain((secret) => context(secret).map((t) => ({ secret, text: t }))) })),
);

// Clean traffic longer than the streaming tail, so rounds happen before the secret arrives.
const FILLER = Buffer.from(readFileSync(new URL('../../fixtures/clean-traffic/service.log', import.meta.url)));
const filler = (bytes: number): Buffer => Buffer.concat(Array.from({ length: Math.ceil(bytes / FILLER.length) }, () => FILLER)).subarray(0, bytes);

describe('secrets never survive redaction', () => {
  it.each(cases)('$name: redact()', ({ input }) => {
    fc.assert(
      fc.property(input, ({ secret, text: t }) => {
        expect(survives(scanner.redact(Buffer.from(t)).output, secret), `${secret.shape} survived`).toBe(false);
      }),
      { numRuns: 40 },
    );
  });

  it.each(cases)('$name: the stream redactor, split at every point of the input', ({ input }) => {
    fc.assert(
      fc.property(input, ({ secret, text: t }) => {
        const buffer = Buffer.from(t);
        for (let point = 0; point <= buffer.length; point += secret.shape === 'pem' ? 17 : 1) {
          expect(survives(streamed(buffer, [point]), secret), `split at ${point}`).toBe(false);
        }
      }),
      { numRuns: 4 },
    );
  });

  it.each(cases)('$name: the stream redactor behind a long filler, every cut inside the secret, and random multi-splits', ({ input }) => {
    const tail = scanner.tailBytes;
    fc.assert(
      fc.property(input, fc.array(fc.nat(), { maxLength: 6 }), ({ secret, text: t }, randomPoints) => {
        const lead = filler(2 * tail + 100);
        const buffer = Buffer.concat([lead, Buffer.from(`\n${t}\n`), filler(tail + 100)]);
        const start = lead.length;
        const end = start + Buffer.byteLength(t) + 2;
        // A single split at p runs a round whose cut lands at p - tail.
        for (let cut = start - 2; cut <= end + 2; cut += secret.shape === 'pem' ? 29 : 3) {
          expect(survives(streamed(buffer, [cut + tail]), secret), `cut at ${cut - start}`).toBe(false);
        }
        expect(survives(streamed(buffer, randomPoints.map((p) => p % buffer.length)), secret)).toBe(false);
      }),
      { numRuns: 3 },
    );
  });
});
