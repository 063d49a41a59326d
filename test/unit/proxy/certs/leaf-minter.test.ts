/**
 * The minter's cache contract: one context per normalized host, one in-flight mint shared by concurrent
 * callers, a bounded LRU, expiry on the injected clock, failures not remembered, and an event loop that
 * keeps running while many hosts are minted at once.
 */
import { webcrypto } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateCa } from '../../../../src/proxy/certs/ca.js';
import type { CertificateAuthority } from '../../../../src/proxy/certs/ca.js';
import { createLeafMinter } from '../../../../src/proxy/certs/leaf.js';
import type { SecureContext } from 'node:tls';
import { makeTempDir, nodeHandshake, serveTls } from './support.js';

const HOUR_MS = 3_600_000;
const START = new Date('2030-01-01T00:00:00Z');

let temp: Awaited<ReturnType<typeof makeTempDir>>;
let ca: CertificateAuthority;

beforeAll(async () => {
  temp = await makeTempDir();
  ca = await loadOrCreateCa(join(temp.path, 'data'), { clock: () => START });
});
afterAll(async () => temp.remove());

/** A clock the test moves by hand. */
function manualClock(start: Date) {
  let now = start.getTime();
  return { clock: () => new Date(now), advance: (ms: number) => (now += ms) };
}

async function presentedValidity(context: SecureContext): Promise<{ from: number; to: number }> {
  const endpoint = await serveTls(context);
  try {
    const { leaf } = await nodeHandshake(endpoint.port, {});
    if (leaf === undefined) throw new Error('no certificate presented');
    return { from: Date.parse(leaf.validFrom), to: Date.parse(leaf.validTo) };
  } finally {
    await endpoint.close();
  }
}

describe('caching', () => {
  it('returns the same context object for the same host', async () => {
    const minter = createLeafMinter({ ca, clock: () => START });
    const first = await minter.secureContextFor('api.example.test');
    const second = await minter.secureContextFor('api.example.test');
    expect(second).toBe(first);
    expect(await minter.secureContextFor('other.example.test')).not.toBe(first);
    expect(minter.stats()).toMatchObject({ mints: 2, cacheHits: 1, cachedHosts: 2, mintFailures: 0 });
  });

  it('shares one in-flight mint among 10 concurrent callers', async () => {
    const minter = createLeafMinter({ ca, clock: () => START });
    const contexts = await Promise.all(Array.from({ length: 10 }, () => minter.secureContextFor('api.example.test')));
    expect(new Set(contexts).size).toBe(1);
    expect(minter.stats()).toMatchObject({ mints: 1, cacheHits: 9 });
  });

  it('keeps at most maxEntries hosts, evicting the least recently used', async () => {
    const minter = createLeafMinter({ ca, clock: () => START, maxEntries: 3 });
    const a = await minter.secureContextFor('a.example.test');
    await minter.secureContextFor('b.example.test');
    await minter.secureContextFor('c.example.test');
    expect(await minter.secureContextFor('a.example.test')).toBe(a); // a is now the most recent
    await minter.secureContextFor('d.example.test'); // evicts b
    expect(minter.stats()).toMatchObject({ cachedHosts: 3, mints: 4 });
    expect(await minter.secureContextFor('a.example.test')).toBe(a);
    await minter.secureContextFor('b.example.test');
    expect(minter.stats()).toMatchObject({ cachedHosts: 3, mints: 5 });
  });

  it('expires entries at half the validity, long before the certificate does', async () => {
    const time = manualClock(START);
    const minter = createLeafMinter({ ca, clock: time.clock, validityHours: 24 });
    const first = await minter.secureContextFor('api.example.test');
    time.advance(12 * HOUR_MS - 1);
    expect(await minter.secureContextFor('api.example.test')).toBe(first);
    time.advance(2);
    const renewed = await minter.secureContextFor('api.example.test');
    expect(renewed).not.toBe(first);
    expect(minter.stats().mints).toBe(2);
    const validity = await presentedValidity(renewed);
    const renewedAt = START.getTime() + 12 * HOUR_MS + 1;
    expect(validity.from).toBe(Math.floor((renewedAt - HOUR_MS) / 1000) * 1000);
    expect(validity.to).toBe(Math.floor((renewedAt + 24 * HOUR_MS) / 1000) * 1000);
  });

  it('does not cache a failed mint: the next request mints again', async () => {
    const unusable = await webcrypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    let broken = true;
    // The signing key is read at each mint, so flipping it models a transient signing failure.
    const flakyCa: CertificateAuthority = {
      ...ca,
      get privateKey() {
        return broken ? unusable : ca.privateKey;
      },
    };
    const minter = createLeafMinter({ ca: flakyCa, clock: () => START });
    const attempts = [minter.secureContextFor('api.example.test'), minter.secureContextFor('api.example.test')];
    for (const attempt of attempts) await expect(attempt).rejects.toThrow();
    expect(minter.stats()).toMatchObject({ mints: 0, mintFailures: 1, cachedHosts: 0 });
    broken = false;
    await expect(minter.secureContextFor('api.example.test')).resolves.toBeDefined();
    expect(minter.stats()).toMatchObject({ mints: 1, mintFailures: 1, cachedHosts: 1 });
  });
});

describe('statistics for the benchmark', () => {
  it('count mints and add up mint time from the injected monotonic clock', async () => {
    let tick = 0;
    const minter = createLeafMinter({ ca, clock: () => START, monotonicMs: () => (tick += 7) });
    await minter.secureContextFor('a.example.test');
    await minter.secureContextFor('b.example.test');
    await minter.secureContextFor('a.example.test');
    expect(minter.stats()).toEqual({
      mints: 2,
      mintFailures: 0,
      totalMintMs: 14,
      cacheHits: 1,
      refusedHosts: 0,
      cachedHosts: 2,
    });
  });
});

describe('options', () => {
  it.each([
    { maxEntries: 0 },
    { maxEntries: 1.5 },
    { validityHours: 0 },
    { validityHours: Number.NaN },
  ])('refuses %o', (bad) => {
    expect(() => createLeafMinter({ ca, clock: () => START, ...bad })).toThrow(RangeError);
  });
});

describe('event loop', () => {
  it('keeps a 5 ms timer ticking (no gap over 100 ms) while 20 hosts are minted at once', async () => {
    const minter = createLeafMinter({ ca, clock: () => START });
    const ticks: number[] = [];
    const timer = setInterval(() => ticks.push(performance.now()), 5);
    const started = performance.now();
    try {
      await Promise.all(Array.from({ length: 20 }, (_, i) => minter.secureContextFor(`host-${i}.example.test`)));
    } finally {
      clearInterval(timer);
    }
    const points = [started, ...ticks, performance.now()];
    const gaps = points.slice(1).map((point, i) => point - points[i]!);
    expect(minter.stats().mints).toBe(20);
    expect(Math.max(...gaps)).toBeLessThan(100);
  });
});
