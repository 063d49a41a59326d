/**
 * Everything one run needs besides the scenarios: a private temp dir, certificates, the backend process,
 * the proxy process (the built dist/, started as `node bin/mcp-egress.js start -c ...`), and the two
 * routes. Only processes started here are ever signalled, by their own PIDs.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCertificates, type BenchCertificates } from './certs.js';
import { directRoute, proxyRoute, requestOnce, type Route } from './clients.js';
import { clockTicksPerSecond, cpuSeconds, memoryMB, resetPeakRss, type MemoryMB } from './proc-stats.js';
import { killNow, startProcess, stopProcess, type ExitInfo, type StartedProcess } from './processes.js';
import { BENCH_TOOL, SECRET_ENV, writeProxyConfig } from './proxy-config.js';

export interface Harness {
  readonly dir: string;
  readonly certs: BenchCertificates;
  readonly backendPort: number;
  readonly proxyPid: number;
  readonly proxy: Route;
  readonly direct: Route;
  /** The proxy secret, so callers can scrub it from anything they print or write. */
  readonly secret: string;
  proxyCpuSeconds(): number;
  proxyMemory(): MemoryMB;
  resetProxyPeak(): boolean;
  backendStats(): Promise<BackendStats>;
  auditEventCount(): number;
  stop(): Promise<{ proxy: ExitInfo; backend: ExitInfo }>;
  /** Synchronous SIGKILL of our children, for signal handlers and crashes. */
  killNow(): void;
}

/** Counters the backend keeps since it started (see backend.ts /stats). */
export interface BackendStats {
  readonly largeBytesSent: number;
  readonly tlsConnections: number;
}

export interface HarnessOptions {
  readonly repoRoot: string;
  readonly hosts: readonly string[];
  readonly proxyNodeArgs: readonly string[];
}

const START_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5000;
const PROXY_READY = /proxy http:\/\/127\.0\.0\.1:(\d+)/;
const BACKEND_READY = /^ready (\d+)$/;
/** The backend does not count connections for this name, so asking for the counters does not change them. */
const STATS_HOST = 'stats.bench.test';

export async function startHarness(options: HarnessOptions): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-egress-bench-'));
  const started: StartedProcess[] = [];
  try {
    const certs = generateCertificates(dir);
    const backend = await startBackend(options.repoRoot, dir, certs);
    started.push(backend);
    const backendPort = Number(backend.ready[1]);
    const secret = randomBytes(24).toString('hex');
    const proxy = await startProxy(options, { dir, certs, backendPort, secret });
    started.push(proxy);
    return assemble({ dir, certs, backend, proxy, backendPort, secret });
  } catch (error: unknown) {
    killNow(started);
    throw error;
  }
}

function startBackend(repoRoot: string, dir: string, certs: BenchCertificates): Promise<StartedProcess> {
  return startProcess({
    name: 'backend',
    command: process.execPath,
    args: ['--import', 'tsx', join(repoRoot, 'bench', 'backend.ts'), '--cert', certs.backendCertPath, '--key', certs.backendKeyPath],
    cwd: repoRoot,
    env: process.env,
    logPath: join(dir, 'backend.log'),
    readyPattern: BACKEND_READY,
    timeoutMs: START_TIMEOUT_MS,
  });
}

interface ProxyStart {
  readonly dir: string;
  readonly certs: BenchCertificates;
  readonly backendPort: number;
  readonly secret: string;
}

function startProxy(options: HarnessOptions, start: ProxyStart): Promise<StartedProcess> {
  const config = writeProxyConfig({ dir: start.dir, backendCaPath: start.certs.backendCaPath, backendPort: start.backendPort, hosts: options.hosts });
  return startProcess({
    name: 'proxy',
    command: process.execPath,
    args: [
      ...options.proxyNodeArgs,
      join(options.repoRoot, 'bin', 'mcp-egress.js'), 'start', '-c', config,
      '--ca-cert', start.certs.mitmCaPath, '--ca-key', start.certs.mitmKeyPath,
    ],
    cwd: start.dir,
    env: { ...process.env, [SECRET_ENV]: start.secret },
    logPath: join(start.dir, 'proxy.log'),
    readyPattern: PROXY_READY,
    timeoutMs: START_TIMEOUT_MS,
  });
}

interface Parts {
  readonly dir: string;
  readonly certs: BenchCertificates;
  readonly backend: StartedProcess;
  readonly proxy: StartedProcess;
  readonly backendPort: number;
  readonly secret: string;
}

function assemble(parts: Parts): Harness {
  const { dir, certs, backend, proxy, backendPort, secret } = parts;
  const ticks = clockTicksPerSecond();
  const proxyPort = Number(proxy.ready[1]);
  const direct = directRoute(certs.backendCaPem);
  return {
    dir,
    certs,
    backendPort,
    proxyPid: proxy.pid,
    proxy: proxyRoute(`http://${BENCH_TOOL}:${secret}@127.0.0.1:${proxyPort}`, certs.mitmCaPem),
    direct,
    secret,
    proxyCpuSeconds: () => cpuSeconds(proxy.pid, ticks),
    proxyMemory: () => memoryMB(proxy.pid),
    resetProxyPeak: () => resetPeakRss(proxy.pid),
    backendStats: () => backendStats(direct, backendPort),
    auditEventCount: () => countLines(join(dir, 'audit.jsonl')),
    stop: async () => ({ proxy: await stopProcess(proxy, STOP_GRACE_MS), backend: await stopProcess(backend, STOP_GRACE_MS) }),
    killNow: () => killNow([proxy, backend]),
  };
}

async function backendStats(direct: Route, port: number): Promise<BackendStats> {
  const dispatcher = direct.dispatcher(1);
  try {
    const response = await dispatcher.request({ origin: `https://${STATS_HOST}:${port}`, path: '/stats', method: 'GET' });
    const stats = (await response.body.json()) as Partial<Record<keyof BackendStats, unknown>>;
    if (typeof stats.largeBytesSent !== 'number' || typeof stats.tlsConnections !== 'number') throw new Error('backend /stats: unexpected body');
    return { largeBytesSent: stats.largeBytesSent, tlsConnections: stats.tlsConnections };
  } finally {
    await dispatcher.close();
  }
}

function countLines(path: string): number {
  const text = readFileSync(path, 'utf8');
  return text.split('\n').filter((line) => line.trim() !== '').length;
}

/** One small request through the proxy: does it still serve after a scenario? */
export async function proxyStillServes(harness: Harness): Promise<boolean> {
  const dispatcher = harness.proxy.dispatcher(1);
  try {
    await requestOnce(dispatcher, { origin: `https://backend.bench.test:${harness.backendPort}`, path: '/small' });
    return true;
  } catch {
    return false;
  } finally {
    await dispatcher.close();
  }
}

export function removeTempDir(harness: Harness): void {
  rmSync(harness.dir, { recursive: true, force: true });
}
