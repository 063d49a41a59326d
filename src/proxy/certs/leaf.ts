/**
 * Leaf certificates for TLS interception, minted on demand per host and cached.
 *
 * Why this replaces http-mitm-proxy's generator: it made an RSA-2048 key per host on the event loop
 * (~200 ms each; twenty new hosts stalled all traffic for seconds) and built file paths from the CONNECT
 * host (`CONNECT ../../x:443` wrote outside its directory). Here one key pair serves every leaf, a new
 * host costs one leaf written as DER and signed (~0.2 ms of CPU, leaf-der.ts) plus ~1 ms to build its TLS
 * context, mints take turns with other event-loop
 * work (see mint-queue.ts), and minting touches no file at all.
 */
import { performance } from 'node:perf_hooks';
import { createSecureContext } from 'node:tls';
import type { SecureContext } from 'node:tls';
import { LRUCache } from 'lru-cache';
import type { CertificateAuthority } from './ca-files.js';
import { createLeafKeyPair, signLeafCertificate } from './leaf-certificate.js';
import type { LeafValidity } from './leaf-certificate.js';
import { parseMintHost } from './mint-host.js';
import { createMintQueue } from './mint-queue.js';
import type { MintHost } from './mint-host.js';

export { InvalidMintHostError } from './mint-host.js';

export interface LeafMinterOptions {
  readonly ca: CertificateAuthority;
  /** Wall clock for certificate validity and cache expiry (injected so tests can move time). */
  readonly clock: () => Date;
  readonly maxEntries?: number;
  readonly validityHours?: number;
  /** Monotonic milliseconds for the mint-duration statistic; defaults to performance.now. */
  readonly monotonicMs?: () => number;
  /** Each mint's duration in seconds (successful or not): telemetry's histogram. */
  readonly onMint?: (seconds: number) => void;
}

export interface LeafMinterStats {
  /** Certificates minted successfully. */
  readonly mints: number;
  readonly mintFailures: number;
  /** Milliseconds spent minting (successful or not), excluding time queued behind other mints. */
  readonly totalMintMs: number;
  /** Requests served from the cache, including those that joined a mint already in flight. */
  readonly cacheHits: number;
  readonly refusedHosts: number;
  readonly cachedHosts: number;
}

export interface LeafMinter {
  /** Resolves to a context presenting leaf + CA for `host`, which must already be normalized. */
  secureContextFor(host: string): Promise<SecureContext>;
  stats(): LeafMinterStats;
}

const HOUR_MS = 60 * 60 * 1000;
// Clients whose clock runs a little behind still accept a certificate minted "just now".
const CLOCK_SKEW_MS = HOUR_MS;

type Counters = { -readonly [K in Exclude<keyof LeafMinterStats, 'cachedHosts'>]: number };

export function createLeafMinter(options: LeafMinterOptions): LeafMinter {
  const { clock, maxEntries = 1000, validityHours = 24 } = options;
  assertMinterOptions(maxEntries, validityHours);
  const counters: Counters = { mints: 0, mintFailures: 0, totalMintMs: 0, cacheHits: 0, refusedHosts: 0 };
  const mint = createMint(options, validityHours, counters);
  // The cache holds promises, so concurrent requests for one host share a single mint. Entries expire
  // at half the certificate's lifetime: a cached certificate always has hours of validity left.
  const cache = new LRUCache<string, Promise<SecureContext>>({
    max: maxEntries,
    ttl: (validityHours * HOUR_MS) / 2,
    ttlResolution: 0,
    perf: { now: () => clock().getTime() },
  });

  function secureContextFor(host: string): Promise<SecureContext> {
    let parsed: MintHost;
    try {
      parsed = parseMintHost(host);
    } catch (error) {
      counters.refusedHosts += 1;
      return Promise.reject(error);
    }
    const cached = cache.get(parsed.name);
    if (cached !== undefined) {
      counters.cacheHits += 1;
      return cached;
    }
    const pending = mint(parsed);
    cache.set(parsed.name, pending);
    // A failure is not remembered: the next request for the host tries again. The identity check keeps
    // a newer entry for the same host from being evicted by an older failure.
    pending.catch(() => {
      if (cache.peek(parsed.name) === pending) cache.delete(parsed.name);
    });
    return pending;
  }

  return {
    secureContextFor,
    stats: () => ({ ...counters, cachedHosts: cache.size }),
  };
}

/** The uncached path: one signature with the minter's single leaf key, then a context for leaf + CA. */
function createMint(options: LeafMinterOptions, validityHours: number, counters: Counters) {
  const { ca, clock } = options;
  const monotonicMs = options.monotonicMs ?? (() => performance.now());
  const leafKey = createLeafKeyPair();
  const enqueue = createMintQueue();
  return (host: MintHost): Promise<SecureContext> => enqueue(async () => {
    // Timed from the start of the work, not from enqueueing: the statistic is the cost of one mint.
    const started = monotonicMs();
    try {
      const certPem = await signLeafCertificate(ca, leafKey, host, validityFrom(clock(), validityHours));
      const context = createSecureContext({ key: leafKey.privateKeyPem, cert: certPem + ca.certPem });
      counters.mints += 1;
      return context;
    } catch (error) {
      counters.mintFailures += 1;
      throw error;
    } finally {
      const elapsedMs = monotonicMs() - started;
      counters.totalMintMs += elapsedMs;
      options.onMint?.(elapsedMs / 1000);
    }
  });
}

function assertMinterOptions(maxEntries: number, validityHours: number): void {
  if (!Number.isInteger(maxEntries) || maxEntries <= 0) {
    throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`);
  }
  if (!Number.isFinite(validityHours) || validityHours <= 0) {
    throw new RangeError(`validityHours must be a positive number, got ${validityHours}`);
  }
}

function validityFrom(now: Date, validityHours: number): LeafValidity {
  return {
    notBefore: new Date(now.getTime() - CLOCK_SKEW_MS),
    notAfter: new Date(now.getTime() + validityHours * HOUR_MS),
  };
}

