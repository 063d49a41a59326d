/**
 * Slow readers: several clients each start a large download through the proxy and read it at a trickle
 * for a bounded time, then hang up. A proxy that honours backpressure holds only socket buffers per
 * client; one that reads the upstream as fast as it can buffers the whole body in memory
 * (http-mitm-proxy 1.1.0 went from 60 to 563 MB this way). Reports the proxy's peak RSS in the window,
 * and how far the backend ran ahead of what the clients read.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Dispatcher } from 'undici';
import { ErrorTally, type Route } from '../lib/clients.js';
import type { MemoryMB } from '../lib/proc-stats.js';
import { roundTo } from '../lib/stats.js';

export interface SlowClientsOptions {
  readonly route: Route;
  readonly origin: string;
  readonly clients: number;
  readonly megabytesEach: number;
  readonly bytesPerSecond: number;
  readonly seconds: number;
  readonly sampleEveryMs: number;
  readonly proxyMemory: () => MemoryMB;
  /** Resets the proxy's VmHWM; false when the kernel does not allow it (then only sampled RSS counts). */
  readonly resetPeak: () => boolean;
  /** Bytes of large bodies the backend has handed to its sockets so far. */
  readonly upstreamBytesSent: () => Promise<number>;
}

export interface SlowClientsResult {
  readonly clients: number;
  readonly megabytesEach: number;
  readonly seconds: number;
  readonly rssBeforeMB: number;
  readonly peakRssMB: number;
  readonly peakFrom: 'VmHWM' | 'sampled VmRSS';
  readonly rssAfterHangupMB: number;
  readonly clientReceivedMB: number;
  readonly upstreamSentMB: number;
  readonly errors: number;
  readonly errorSamples: Record<string, number>;
}

const SETTLE_AFTER_HANGUP_MS = 1000;

export async function runSlowClients(options: SlowClientsOptions): Promise<SlowClientsResult> {
  const errors = new ErrorTally();
  const upstreamBefore = await options.upstreamBytesSent();
  const rssBeforeMB = options.proxyMemory().rssMB;
  const hwmReset = options.resetPeak();
  const started = performance.now();
  const deadline = started + options.seconds * 1000;
  const sampled = { maxRssMB: rssBeforeMB };
  const sampler = setInterval(() => {
    sampled.maxRssMB = Math.max(sampled.maxRssMB, options.proxyMemory().rssMB);
  }, options.sampleEveryMs);
  let received: number[];
  try {
    received = await Promise.all(Array.from({ length: options.clients }, () => readSlowly(options, deadline, errors)));
  } finally {
    clearInterval(sampler);
  }
  const elapsed = (performance.now() - started) / 1000;
  const memoryAtEnd = options.proxyMemory();
  const upstreamSent = (await options.upstreamBytesSent()) - upstreamBefore;
  await sleep(SETTLE_AFTER_HANGUP_MS);
  const peakRssMB = Math.max(sampled.maxRssMB, memoryAtEnd.rssMB, hwmReset ? memoryAtEnd.hwmMB : 0);
  return {
    clients: options.clients,
    megabytesEach: options.megabytesEach,
    seconds: roundTo(elapsed, 1) ?? 0,
    rssBeforeMB,
    peakRssMB,
    peakFrom: hwmReset ? 'VmHWM' : 'sampled VmRSS',
    rssAfterHangupMB: options.proxyMemory().rssMB,
    clientReceivedMB: roundTo(received.reduce((sum, bytes) => sum + bytes, 0) / 1e6, 1) ?? 0,
    upstreamSentMB: roundTo(upstreamSent / 1e6, 1) ?? 0,
    errors: errors.total,
    errorSamples: errors.samples(),
  };
}

/** One client: starts the download, reads at the given rate until done or the deadline, then hangs up. */
async function readSlowly(options: SlowClientsOptions, deadline: number, errors: ErrorTally): Promise<number> {
  const dispatcher = options.route.dispatcher(1);
  let received = 0;
  try {
    const response = await dispatcher.request({ origin: options.origin, path: `/large?mb=${options.megabytesEach}`, method: 'GET' });
    if (response.statusCode !== 200) throw new Error(`HTTP ${response.statusCode}`);
    received = await throttledRead(response.body, options.bytesPerSecond, deadline);
  } catch (error: unknown) {
    errors.note(error);
  } finally {
    await closeQuietly(dispatcher, errors);
  }
  return received;
}

async function throttledRead(body: Dispatcher.ResponseData['body'], bytesPerSecond: number, deadline: number): Promise<number> {
  const started = performance.now();
  let received = 0;
  // At the deadline the body is destroyed even while no chunk arrives (a stalled proxy): that is the hang-up.
  const hangUp = setTimeout(() => body.destroy(), Math.max(0, deadline - started));
  try {
    for await (const chunk of body) {
      received += (chunk as Buffer).length;
      const aheadMs = (received / bytesPerSecond) * 1000 - (performance.now() - started);
      if (aheadMs > 0) await sleep(Math.min(aheadMs, Math.max(0, deadline - performance.now())));
      if (performance.now() >= deadline) break;
    }
  } catch (error: unknown) {
    if (performance.now() < deadline) throw error;
  } finally {
    clearTimeout(hangUp);
  }
  return received;
}

/** A hung-up download makes close() wait for nothing in flight; destroy() ends what is left at once. */
async function closeQuietly(dispatcher: Dispatcher, errors: ErrorTally): Promise<void> {
  try {
    await dispatcher.destroy();
  } catch (error: unknown) {
    errors.note(error);
  }
}
