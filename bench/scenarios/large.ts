/** Sequential large downloads on one keep-alive connection: throughput in MB/s (10^6 bytes per second). */
import { performance } from 'node:perf_hooks';
import { ErrorTally, requestOnce, type Route } from '../lib/clients.js';
import { roundTo } from '../lib/stats.js';

export interface LargeOptions {
  readonly route: Route;
  readonly origin: string;
  readonly count: number;
  readonly megabytes: number;
  readonly maxSeconds: number;
  readonly proxyCpuSeconds: (() => number) | null;
}

export interface LargeResult {
  readonly route: string;
  readonly downloads: number;
  readonly errors: number;
  readonly MBps: number | null;
  readonly proxyCpuMsPerMB: number | null;
  readonly errorSamples: Record<string, number>;
}

const MIB = 1024 * 1024;

export async function runLarge(options: LargeOptions): Promise<LargeResult> {
  const dispatcher = options.route.dispatcher(1);
  const errors = new ErrorTally();
  const expected = options.megabytes * MIB;
  let bytes = 0;
  let downloads = 0;
  try {
    // Opens the connection (and the proxy's certificate) outside the timed window.
    await requestOnce(dispatcher, { origin: options.origin, path: '/small' }).catch((error: unknown) => errors.note(error));
    const cpuBefore = options.proxyCpuSeconds?.() ?? null;
    const started = performance.now();
    const deadline = started + options.maxSeconds * 1000;
    for (let i = 0; i < options.count && performance.now() < deadline; i++) {
      try {
        const received = await requestOnce(dispatcher, { origin: options.origin, path: `/large?mb=${options.megabytes}` });
        if (received !== expected) throw new Error(`short body: ${received} of ${expected} bytes`);
        bytes += received;
        downloads += 1;
      } catch (error: unknown) {
        errors.note(error);
      }
    }
    const elapsed = (performance.now() - started) / 1000;
    const cpu = cpuBefore === null || options.proxyCpuSeconds === null ? null : options.proxyCpuSeconds() - cpuBefore;
    return {
      route: options.route.name,
      downloads,
      errors: errors.total,
      MBps: roundTo(bytes / elapsed / 1e6, 1),
      proxyCpuMsPerMB: cpu === null || bytes === 0 ? null : roundTo((cpu * 1000) / (bytes / 1e6), 2),
      errorSamples: errors.samples(),
    };
  } finally {
    await dispatcher.close();
  }
}
