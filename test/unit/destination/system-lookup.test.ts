/**
 * The production lookup against the real OS resolver. It resolves `localhost` only (answered from
 * /etc/hosts or the resolver's built-in rule) and dials nothing.
 */
import { describe, expect, it } from 'vitest';
import type { HostPort } from '../../../src/config/types.js';
import { resolveDestination } from '../../../src/destination/resolve.js';
import { systemLookup } from '../../../src/destination/system-lookup.js';

describe('systemLookup', () => {
  it('returns every address of localhost with a family matching the address', async () => {
    const answers = await systemLookup('localhost');
    expect(answers.length).toBeGreaterThan(0);
    for (const { address, family } of answers) expect(family).toBe(address.includes(':') ? 6 : 4);
  });

  it('makes the guard refuse localhost as ssrf_loopback', async () => {
    const result = await resolveDestination(
      { host: 'localhost', port: 443 },
      { resolveMap: new Map<string, HostPort>(), allowPrivate: [], lookup: systemLookup },
    );
    expect(result).toMatchObject({ ok: false, reason: 'ssrf_loopback' });
  });
});
