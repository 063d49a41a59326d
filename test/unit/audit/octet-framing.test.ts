/** RFC 6587 octet counting: byte (not character) lengths, round trips across any chunking, malformed prefixes. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createOctetCountingDecoder, frameOctetCounted } from '../../../src/audit/sinks/octet-framing.js';

describe('octet counting', () => {
  it.each([
    { message: 'a', framed: '1 a' },
    { message: 'héllo', framed: '6 héllo' },
    { message: 'two\nlines', framed: '9 two\nlines' },
  ])('frames $message with its byte length', ({ message, framed }) => {
    expect(frameOctetCounted(message).toString('utf8')).toBe(framed);
  });

  it('round-trips any messages split into any chunks', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary', minLength: 1, maxLength: 300 }), { minLength: 1, maxLength: 20 }), fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 10 }), (messages, cuts) => {
        const stream = Buffer.concat(messages.map((m) => frameOctetCounted(m)));
        const decoder = createOctetCountingDecoder();
        const out: string[] = [];
        let at = 0;
        for (let i = 0; at < stream.length && i < 10_000; i++) {
          const size = cuts[i % cuts.length]!;
          out.push(...decoder.push(stream.subarray(at, at + size)).map((b) => b.toString('utf8')));
          at += size;
        }
        expect(out).toEqual(messages);
        expect(decoder.buffered()).toBe(0);
      }),
      { numRuns: 200 },
    );
  });

  it('carries a 64 KB message whole', () => {
    const message = 'z'.repeat(64 * 1024);
    expect(createOctetCountingDecoder().push(frameOctetCounted(message))[0]?.toString()).toBe(message);
  });

  it.each([
    { input: 'abc def', why: 'not digits' },
    { input: '0 ', why: 'zero length' },
    { input: '01 a', why: 'leading zero' },
    { input: '12345678901', why: 'too many digits without a space' },
  ])('rejects a malformed prefix ($why)', ({ input }) => {
    expect(() => createOctetCountingDecoder().push(Buffer.from(input))).toThrow(/malformed/);
  });

  it('rejects a message over the limit before buffering it', () => {
    expect(() => createOctetCountingDecoder(100).push(Buffer.from('101 x'))).toThrow(/exceeds/);
  });
});
