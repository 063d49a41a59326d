/**
 * The stream redactor on a catalogue with a short tail, so that every split point of a small input
 * moves the cut through the secrets: the output equals whole-buffer redaction however the input is
 * chunked, memory stays bounded, and input made of nothing but overlapping matches still flows.
 */
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRedactStream, StreamRedactor, type Finding, type Scanner } from '../../../src/scanning/index.js';
import { ACME_CONTEXT_RULE, scannerOf } from './helpers.js';

const scanner = scannerOf('acme', [
  { id: 'acme-api-key', kind: 'acme_api_key', regex: '\\b(acme_[A-Za-z0-9]{16})\\b', secretGroup: 1, keywords: ['acme_'], maxLength: 24 },
  ACME_CONTEXT_RULE,
  { id: 'acme-chain', kind: 'chain', regex: '(?:abc){1,6}', keywords: ['abc'], maxLength: 18 },
]);

function streamed(chunks: readonly Buffer[], redactorScanner: Scanner = scanner): Buffer {
  const redactor = new StreamRedactor(redactorScanner);
  const out = chunks.flatMap((chunk) => redactor.push(chunk));
  return Buffer.concat([...out, ...redactor.end()]);
}

function splitAt(input: Buffer, points: readonly number[]): Buffer[] {
  const sorted = [...points].sort((a, b) => a - b);
  return [...sorted, input.length].map((end, i) => input.subarray(i === 0 ? 0 : sorted[i - 1]!, end));
}

const SAMPLE = Buffer.from(
  [
    'GET /v1/widgets HTTP/1.1',
    'x-acme-key: acme_Zx81Qm2Lp0Rt7Yw3',
    '{"acme_token": "Q9vLx2Rm8Tz4Kp7WbN3c", "etag": "9fceb02d0ae598e95dc970b74767f19372d61af8"}',
    'ACME_SECRET=Hq7Ls2Vn9Xc4Bm6Kt1Rp acme_Zx81Qm2Lp0Rt7Yw4 acme_Zx81Qm2Lp0Rt7Yw5',
    // Not a finding (no word boundary before the key): a round that starts right after the `x` must know.
    'glued: xacme_Zx81Qm2Lp0Rt7Yw6',
    'plain text that only mentions acme and acme_ prefixes without any value',
  ].join('\n'),
);

describe('StreamRedactor', () => {
  const whole = scanner.redact(SAMPLE).output;

  it('needs a tail of the longest match plus the longest keyword plus one byte', () => {
    expect(scanner.tailBytes).toBe(60 + 'acme_'.length + 1);
    expect(SAMPLE.length).toBeGreaterThan(4 * scanner.tailBytes);
    expect(whole.toString()).toContain('[REDACTED:acme_secret]');
  });

  it('gives the whole-buffer result when the input is split at ANY single point', () => {
    for (let point = 0; point <= SAMPLE.length; point++) {
      expect(streamed(splitAt(SAMPLE, [point])).toString(), `split at ${point}`).toBe(whole.toString());
    }
  });

  it('gives the whole-buffer result one byte at a time', () => {
    expect(streamed([...SAMPLE].map((byte) => Buffer.from([byte])))).toEqual(whole);
  });

  it('gives the whole-buffer result for random multi-splits', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: SAMPLE.length }), { maxLength: 12 }), (points) => {
        expect(streamed(splitAt(SAMPLE, points))).toEqual(whole);
      }),
      { numRuns: 300 },
    );
  });

  it('holds back a bounded amount however much flows through (chunks larger than a slice included)', () => {
    const redactor = new StreamRedactor(scanner, { sliceBytes: 4096 });
    // Keywords everywhere but no secret, so output bytes equal input bytes and the backlog is exact.
    const line = Buffer.from('{"event":"ok","acme_key":"acme_","acme":"short","n":12345}\n');
    const chunk = Buffer.concat(Array.from({ length: 3000 }, () => line));
    let inBytes = 0;
    let outBytes = 0;
    let maxBacklog = 0;
    for (let i = 0; i < 20; i++) {
      inBytes += chunk.length;
      outBytes += redactor.push(chunk).reduce((sum, piece) => sum + piece.length, 0);
      maxBacklog = Math.max(maxBacklog, inBytes - outBytes);
    }
    outBytes += redactor.end().reduce((sum, piece) => sum + piece.length, 0);
    expect(outBytes).toBe(inBytes);
    expect(maxBacklog).toBeLessThan(2 * scanner.tailBytes + 3 * 4096);
  });

  it('keeps flowing in bounded memory through input that is one endless chain of overlapping matches', () => {
    const redactor = new StreamRedactor(scanner, { sliceBytes: 4096 });
    const chain = Buffer.from('abc'.repeat(40_000));
    const out: Buffer[] = [];
    let largestBacklog = 0;
    let emittedInput = 0;
    for (let offset = 0; offset < chain.length; offset += 1000) {
      const pieces = redactor.push(chain.subarray(offset, offset + 1000));
      out.push(...pieces);
      if (pieces.length > 0) emittedInput = offset + 1000;
      largestBacklog = Math.max(largestBacklog, offset + 1000 - emittedInput);
    }
    out.push(...redactor.end());
    const text = Buffer.concat(out).toString();
    expect(text).not.toContain('abc');
    expect(text.replaceAll('[REDACTED:chain]', '')).toBe('');
    expect(largestBacklog).toBeLessThan(2 * scanner.tailBytes + 3 * 4096 + 1000);
  });

  it('passes clean input through as it came, never aliasing the caller\'s chunk, and ends once', () => {
    const redactor = new StreamRedactor(scanner);
    const chunk = Buffer.from('{"jsonrpc":"2.0","id":1,"result":{"text":"no secret, just acme and acme_"}}');
    const expected = Buffer.from(chunk);
    const early = redactor.push(chunk);
    // The caller may reuse its chunk as soon as push() returns.
    chunk.fill(0x78);
    expect(Buffer.concat([...early, ...redactor.end()])).toEqual(expected);
    expect(redactor.end()).toEqual([]);
  });

  it('reports each finding once, with offsets counted from the start of the stream', () => {
    const findings: Finding[] = [];
    const redactor = new StreamRedactor(scanner, { onFinding: (finding) => findings.push(finding) });
    for (const chunk of splitAt(SAMPLE, [10, 77, 150, 151])) redactor.push(chunk);
    redactor.end();
    expect(findings).toEqual(scanner.scan(SAMPLE));
  });
});

describe('StreamRedactor forced cuts', () => {
  it('reports, once each, the secrets a forced cut goes through', () => {
    // Each match runs over the next secret, so the cut can only ever be forced through the chain.
    const chained = scannerOf('acme', [{ id: 'acme-key-chain', kind: 'key', regex: '(key[0-9])[a-z0-9]{0,8}', secretGroup: 1, keywords: ['key'], maxLength: 12 }]);
    const input = Buffer.from('key1a'.repeat(20_000));
    const findings: Finding[] = [];
    const redactor = new StreamRedactor(chained, { sliceBytes: 1024, onFinding: (finding) => findings.push(finding) });
    let maxHeld = 0;
    for (let offset = 0; offset < input.length; offset += 1000) {
      redactor.push(input.subarray(offset, offset + 1000));
      maxHeld = Math.max(maxHeld, redactor.heldBytes);
    }
    redactor.end();
    expect(maxHeld).toBeLessThan(2 * chained.tailBytes + 3 * 1024);
    expect(findings).toEqual(chained.scan(input));
  });
});

describe('createRedactStream', () => {
  it('is a Transform that redacts across the chunks of a real stream pipeline', async () => {
    const collected: Buffer[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        collected.push(chunk);
        done();
      },
    });
    await pipeline(Readable.from(splitAt(SAMPLE, [33, 34, 100])), createRedactStream(scanner), sink);
    expect(Buffer.concat(collected)).toEqual(scanner.redact(SAMPLE).output);
  });
});
