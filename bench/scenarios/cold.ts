/**
 * First request to hosts the proxy has never seen, each on a fresh connection (CONNECT + certificate
 * minting + TLS + upstream connect), then the same hosts again on fresh connections (certificate cached).
 * Sequential, so each number is one host's own cost. A few requests to a host outside the set come first,
 * so the numbers measure per-host work, not the first request of a fresh process.
 */
import { performance } from 'node:perf_hooks';
import { ErrorTally, requestOnce, type Route } from '../lib/clients.js';
import { roundTo, summarizeLatency, type LatencySummary } from '../lib/stats.js';

export interface ColdOptions {
  readonly route: Route;
  readonly warmupHost: string;
  readonly hosts: readonly string[];
  readonly port: number;
  readonly maxSeconds: number;
  readonly proxyCpuSeconds: (() => number) | null;
}

export interface ColdResult {
  readonly route: string;
  readonly hosts: number;
  readonly errors: number;
  readonly firstMs: LatencySummary;
  readonly againMs: LatencySummary;
  readonly proxyCpuMsPerNewHost: number | null;
  readonly errorSamples: Record<string, number>;
}

const WARMUP_REQUESTS = 3;

export async function runCold(options: ColdOptions): Promise<ColdResult> {
  const errors = new ErrorTally();
  const deadline = performance.now() + options.maxSeconds * 1000;
  const timeOne = (host: string): Promise<number | null> => timedOnFreshConnection(options.route, host, options.port, errors);
  for (let i = 0; i < WARMUP_REQUESTS; i++) await timeOne(options.warmupHost);
  const cpuBefore = options.proxyCpuSeconds?.() ?? null;
  const first = await timeEach(options.hosts, deadline, timeOne);
  const cpu = cpuBefore === null || options.proxyCpuSeconds === null ? null : options.proxyCpuSeconds() - cpuBefore;
  const again = await timeEach(options.hosts, deadline, timeOne);
  return {
    route: options.route.name,
    hosts: options.hosts.length,
    errors: errors.total,
    firstMs: summarizeLatency(first),
    againMs: summarizeLatency(again),
    proxyCpuMsPerNewHost: cpu === null || first.length === 0 ? null : roundTo((cpu * 1000) / first.length, 2),
    errorSamples: errors.samples(),
  };
}

async function timeEach(hosts: readonly string[], deadline: number, timeOne: (host: string) => Promise<number | null>): Promise<number[]> {
  const samples: number[] = [];
  for (const host of hosts) {
    if (performance.now() > deadline) break;
    const ms = await timeOne(host);
    if (ms !== null) samples.push(ms);
  }
  return samples;
}

/** A new dispatcher per request: no pooled connection and no TLS session to resume. */
async function timedOnFreshConnection(route: Route, host: string, port: number, errors: ErrorTally): Promise<number | null> {
  const dispatcher = route.dispatcher(1);
  const started = performance.now();
  try {
    await requestOnce(dispatcher, { origin: `https://${host}:${port}`, path: '/small' });
    return performance.now() - started;
  } catch (error: unknown) {
    errors.note(error);
    return null;
  } finally {
    await dispatcher.destroy();
  }
}
