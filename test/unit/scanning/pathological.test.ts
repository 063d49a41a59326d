/**
 * Hostile input for every rule: a megabyte of its keyword repeated, of its keyword followed by an
 * endless run of the characters its secrets are made of, and of invalid UTF-8 and binary data. RE2 is
 * linear, so the point is only that every scan returns and redaction stays byte-exact outside findings
 * (no timing assertions: the benchmark measures speed).
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createRedactStream, StreamRedactor } from '../../../src/scanning/index.js';
import { realScanner } from './helpers.js';

const scanner = realScanner();
const MEGABYTE = 1024 * 1024;

const repeatTo = (unit: string, bytes: number): Buffer => Buffer.from(unit.repeat(Math.ceil(bytes / unit.length))).subarray(0, bytes);

const keywordCases = scanner.rules.map((rule) => ({ id: rule.id, keyword: rule.keywords[0]! }));

describe('pathological inputs', () => {
  it.each(keywordCases)('$id: 1 MB of its keyword repeated', ({ keyword }) => {
    const input = repeatTo(keyword, MEGABYTE);
    const { output, findings } = scanner.redact(input);
    expect(findings.length === 0 ? output.equals(input) : output.length > 0).toBe(true);
  });

  it.each(keywordCases)('$id: its keyword, then 1 MB of token characters without a terminator', ({ keyword }) => {
    const input = Buffer.concat([Buffer.from(`key=${keyword}`), repeatTo('Ab3xZ9_-/+=.', MEGABYTE)]);
    expect(() => scanner.scan(input)).not.toThrow();
  });

  it('1 MB of every keyword interleaved with assignment punctuation', () => {
    const unit = scanner.rules.map((rule) => `${rule.keywords[0]}="${'q'.repeat(8)}"; `).join('');
    expect(() => scanner.redact(repeatTo(unit, MEGABYTE))).not.toThrow();
  });

  it('random binary data passes through redact() and the stream unchanged unless something was found', async () => {
    const input = randomBytes(4 * MEGABYTE);
    const { output, findings } = scanner.redact(input);
    if (findings.length === 0) expect(output.equals(input)).toBe(true);
    const redactor = new StreamRedactor(scanner);
    const streamed = Buffer.concat([...redactor.push(input.subarray(0, 1_000_003)), ...redactor.push(input.subarray(1_000_003)), ...redactor.end()]);
    expect(streamed.equals(output)).toBe(true);
    const viaTransform: Buffer[] = [];
    const transform = createRedactStream(scanner);
    transform.on('data', (chunk: Buffer) => viaTransform.push(chunk));
    transform.end(input);
    await new Promise((resolve) => transform.on('end', resolve));
    expect(Buffer.concat(viaTransform).equals(output)).toBe(true);
  });

  it.each([
    ['lone continuation bytes', Buffer.alloc(MEGABYTE, 0x80)],
    ['truncated multi-byte sequences', repeatTo('\u00e9', MEGABYTE).subarray(1)],
    ['overlong encodings and surrogates', Buffer.concat(Array.from({ length: 50_000 }, () => Buffer.from([0xc0, 0xaf, 0xed, 0xa0, 0x80, 0xf8, 0x88, 0x80, 0x80, 0x80, 0x20])))],
    ['NUL bytes', Buffer.alloc(MEGABYTE)],
  ])('%s pass through unchanged', (_what, input) => {
    expect(scanner.redact(input).output.equals(input)).toBe(true);
  });

  it('redacts a secret between invalid UTF-8 and keeps every other byte', () => {
    const awsKeyId = 'AKIAQYLPMN5HHHFPZAM2';
    const input = Buffer.concat([Buffer.from([0xff, 0xc3, 0x20]), Buffer.from(awsKeyId), Buffer.from([0x20, 0xed, 0xa0, 0x80])]);
    const { output, findings } = scanner.redact(input);
    expect(findings).toHaveLength(1);
    expect(output.subarray(0, 3)).toEqual(input.subarray(0, 3));
    expect(output.subarray(-4)).toEqual(input.subarray(-4));
    expect(output.includes(Buffer.from(awsKeyId))).toBe(false);
  });
});
