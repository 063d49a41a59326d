import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { z } from 'zod';
import { authorityKey, normalizeHost } from '../../../src/policy/host.js';
import { readFixture } from './fixtures.js';

const hostTable = z.strictObject({
  normalized: z.array(z.strictObject({ input: z.string(), host: z.string(), isIp: z.union([z.literal(0), z.literal(4), z.literal(6)]) })),
  refused: z.array(z.strictObject({ input: z.string(), problem: z.string() })),
});
const table = readFixture('hosts.yaml', hostTable);

describe('normalizeHost', () => {
  it.each(table.normalized)('normalizes $input to $host', ({ input, host, isIp }) => {
    expect(normalizeHost(input)).toEqual({ ok: true, host, isIp });
  });

  it.each(table.normalized)('is a fixed point on its own output for $input', ({ host, isIp }) => {
    expect(normalizeHost(host)).toEqual({ ok: true, host, isIp });
  });

  it.each(table.refused)('refuses $input ($problem)', ({ input, problem }) => {
    const result = normalizeHost(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problem).toContain(problem);
  });

  it('never throws and always yields a fixed point, whatever the input', () => {
    const hostish = fc.string({ unit: fc.constantFrom(...'aZ09.-_:[]%*é。１xX'.split('')), maxLength: 24 });
    fc.assert(
      fc.property(fc.oneof(hostish, fc.string(), fc.ipV4(), fc.ipV6(), fc.domain()), (input) => {
        const result = normalizeHost(input);
        if (result.ok) expect(normalizeHost(result.host)).toEqual(result);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('authorityKey', () => {
  it.each([
    { host: 'api.example.test', port: 443, key: 'api.example.test:443' },
    { host: '127.0.0.1', port: 8080, key: '127.0.0.1:8080' },
    { host: '::1', port: 8443, key: '[::1]:8443' },
    { host: '2001:db8::a', port: 80, key: '[2001:db8::a]:80' },
  ])('writes $host and $port as $key', ({ host, port, key }) => {
    expect(authorityKey(host, port)).toBe(key);
  });
});
