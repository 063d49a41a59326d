/**
 * Closed-loop keep-alive load: N connections, each with one request in flight at a time, for a fixed
 * window after a warm-up that opens the connections (and lets the proxy mint its certificate) unmeasured.
 * Bounded by the deadline and by a request cap.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Dispatcher } from 'undici';
import { ErrorTally, requestOnce, type RequestSpec, type Route } from '../lib/clients.js';
import { roundTo, summarizeLatency, type LatencySummary } from '../lib/stats.js';

export interface LoadOptions {
  readonly route: Route;
  readonly request: RequestSpec;
  readonly connections: number;
  readonly warmupSeconds: number;
  readonly seconds: number;
  readonly maxRequests: number;
  /** CPU seconds of the proxy so far, or null for the direct route. */
  readonly proxyCpuSeconds: (() => number) | null;
  /** TLS connections the backend has accepted so far: new ones in the window mean the pool is not reused. */
  readonly backendConnections: () => Promise<number>;
}

export interface LoadResult {
  readonly route: string;
  readonly connections: number;
  readonly seconds: number;
  readonly ok: number;
  readonly errors: number;
  readonly warmupErrors: number;
  readonly rps: number;
  readonly latencyMs: LatencySummary;
  readonly proxyCpuSeconds: number | null;
  readonly proxyCpuUsPerRequest: number | null;
  readonly backendConnectionsOpened: number;
  readonly errorSamples: Record<string, number>;
}

interface Window {
  readonly dispatcher: Dispatcher;
  readonly request: RequestSpec;
  readonly connections: number;
  readonly deadline: number;
  readonly maxRequests: number;
  readonly errors: ErrorTally;
  /** Latency samples in ms; null during warm-up (nothing recorded). */
  readonly latencies: number[] | null;
}

const ERROR_BACKOFF_MS = 10;

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const dispatcher = options.route.dispatcher(options.connections);
  const base = { dispatcher, request: options.request, connections: options.connections, maxRequests: options.maxRequests };
  try {
    const warmupErrors = new ErrorTally();
    await closedLoop({ ...base, deadline: performance.now() + options.warmupSeconds * 1000, errors: warmupErrors, latencies: null });
    const errors = new ErrorTally();
    const latencies: number[] = [];
    const connectionsBefore = await options.backendConnections();
    const cpuBefore = options.proxyCpuSeconds?.() ?? null;
    const started = performance.now();
    await closedLoop({ ...base, deadline: started + options.seconds * 1000, errors, latencies });
    const elapsed = (performance.now() - started) / 1000;
    const cpu = cpuBefore === null || options.proxyCpuSeconds === null ? null : options.proxyCpuSeconds() - cpuBefore;
    const backendConnectionsOpened = (await options.backendConnections()) - connectionsBefore;
    return {
      route: options.route.name,
      connections: options.connections,
      seconds: roundTo(elapsed, 2) ?? 0,
      ok: latencies.length,
      errors: errors.total,
      warmupErrors: warmupErrors.total,
      rps: roundTo(latencies.length / elapsed, 1) ?? 0,
      latencyMs: summarizeLatency(latencies),
      proxyCpuSeconds: roundTo(cpu, 3),
      proxyCpuUsPerRequest: cpu === null || latencies.length === 0 ? null : roundTo((cpu * 1e6) / latencies.length, 1),
      backendConnectionsOpened,
      errorSamples: { ...warmupErrors.samples(), ...errors.samples() },
    };
  } finally {
    await dispatcher.close();
  }
}

/** `connections` workers, each issuing its next request when the previous one finished. */
async function closedLoop(window: Window): Promise<void> {
  const issued = { count: 0 };
  const worker = async (): Promise<void> => {
    while (performance.now() < window.deadline && issued.count < window.maxRequests) {
      issued.count += 1;
      const started = performance.now();
      try {
        await requestOnce(window.dispatcher, window.request);
        window.latencies?.push(performance.now() - started);
      } catch (error: unknown) {
        window.errors.note(error);
        await sleep(ERROR_BACKOFF_MS);
      }
    }
  };
  await Promise.all(Array.from({ length: window.connections }, worker));
}
