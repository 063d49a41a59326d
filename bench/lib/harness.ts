/**
 * Everything one run needs besides the scenarios: a private temp dir, certificates, the backend process,
 * the direct route, and proxy processes on demand (the built dist/, started as
 * `node bin/mcp-egress.js start -c ...`; a fresh one per phase so one phase's heap does not colour the
 * next one's memory numbers). Only processes started here are ever signalled, by their own PIDs.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCertificates, type BenchCertificates } from './certs.js';
import { directRoute, proxyRoute, requestOnce, type Route } from './clients.js';
import { clockTicksPerSecond, cpuSeconds, memoryMB, resetPeakRss, type MemoryMB } from './proc-stats.js';
import { killNow, startProcess, stopProcess, type ExitInfo, type StartedProcess } from './processes.js';
import { BENCH_TOOL, SECRET_ENV, writeProxyConfig, type ProxyScrubConfig } from './proxy-config.js';

export interface Harness {
  readonly dir: string;
  readonly backendPort: number;
  readonly direct: Route;
  /** The proxy secret, so callers can scrub it from anything they print or write. */
  readonly secret: string;
  /** A new proxy process; with `variant.scrub`, its config differs from the run's config in that block alone. */
  startProxy(variant?: ProxyVariant): Promise<RunningProxy>;
  backendStats(): Promise<BackendStats>;
  /** Audit events written so far by every proxy of this run (they share one audit file). */
  auditEventCount(): number;
  /** Stops the backend (proxies are stopped by their own handles). */
  stop(): Promise<ExitInfo>;
  /** Synchronous SIGKILL of every child still running, for signal handlers and crashes. */
  killNow(): void;
}

export interface ProxyVariant {
  readonly scrub?: ProxyScrubConfig;
}

export interface RunningProxy {
  readonly pid: number;
  readonly route: Route;
  cpuSeconds(): number;
  memory(): MemoryMB;
  /** Resets VmHWM; false where the kernel does not allow it. */
  resetPeak(): boolean;
  stop(): Promise<ExitInfo>;
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
  const certs = generateCertificates(dir);
  const backend = await startBackend(options.repoRoot, dir, certs);
  try {
    return assemble(options, { dir, certs, backend });
  } catch (error: unknown) {
    killNow([backend]);
    throw error;
  }
}

interface Parts {
  readonly dir: string;
  readonly certs: BenchCertificates;
  readonly backend: StartedProcess;
}

function assemble(options: HarnessOptions, { dir, certs, backend }: Parts): Harness {
  const backendPort = Number(backend.ready[1]);
  const configInput = { dir, backendCaPath: certs.backendCaPath, backendPort, hosts: options.hosts };
  const configPath = writeProxyConfig(configInput);
  const secret = randomBytes(24).toString('hex');
  const ticks = clockTicksPerSecond();
  const direct = directRoute(certs.backendCaPem);
  const started: StartedProcess[] = [backend];
  let proxyCount = 0;
  return {
    dir,
    backendPort,
    direct,
    secret,
    startProxy: async (variant?: ProxyVariant) => {
      proxyCount += 1;
      const scrub = variant?.scrub;
      const variantConfigPath =
        scrub === undefined ? configPath : writeProxyConfig({ ...configInput, scrub, fileName: `config-${proxyCount}.yaml` });
      const proxy = await startProxy(options, { dir, certs, configPath: variantConfigPath, secret, logName: `proxy-${proxyCount}.log` });
      started.push(proxy);
      return runningProxy(proxy, certs, secret, ticks);
    },
    backendStats: () => backendStats(direct, backendPort),
    auditEventCount: () => countRequestEvents(join(dir, 'audit.jsonl')),
    stop: () => stopProcess(backend, STOP_GRACE_MS),
    killNow: () => killNow(started),
  };
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
  readonly configPath: string;
  readonly secret: string;
  readonly logName: string;
}

/**
 * The node flags and environment of the shipped entry point (its `#!/usr/bin/env -S VAR=value … node …`
 * line): measure what users run.
 */
function entryPointLaunch(repoRoot: string): { flags: string[]; env: Record<string, string> } {
  const shebang = readFileSync(join(repoRoot, 'bin', 'mcp-egress.js'), 'utf8').split('\n')[0] ?? '';
  const words = shebang.split(/\s+/);
  const node = words.indexOf('node');
  if (node < 0) return { flags: [], env: {} };
  const assignments = words.slice(0, node).filter((word) => /^[A-Z_][A-Z0-9_]*=/.test(word));
  const env = Object.fromEntries(assignments.map((word) => [word.slice(0, word.indexOf('=')), word.slice(word.indexOf('=') + 1)]));
  return { flags: words.slice(node + 1).filter((word) => word.startsWith('--')), env };
}

function startProxy(options: HarnessOptions, start: ProxyStart): Promise<StartedProcess> {
  const launch = entryPointLaunch(options.repoRoot);
  return startProcess({
    name: 'proxy',
    command: process.execPath,
    args: [
      ...launch.flags,
      ...options.proxyNodeArgs,
      join(options.repoRoot, 'bin', 'mcp-egress.js'), 'start', '-c', start.configPath,
      '--ca-cert', start.certs.mitmCaPath, '--ca-key', start.certs.mitmKeyPath,
    ],
    cwd: start.dir,
    env: { ...process.env, ...launch.env, [SECRET_ENV]: start.secret },
    logPath: join(start.dir, start.logName),
    readyPattern: PROXY_READY,
    timeoutMs: START_TIMEOUT_MS,
  });
}

function runningProxy(proxy: StartedProcess, certs: BenchCertificates, secret: string, ticks: number): RunningProxy {
  const port = Number(proxy.ready[1]);
  return {
    pid: proxy.pid,
    route: proxyRoute(`http://${BENCH_TOOL}:${secret}@127.0.0.1:${port}`, certs.mitmCaPem),
    cpuSeconds: () => cpuSeconds(proxy.pid, ticks),
    memory: () => memoryMB(proxy.pid),
    resetPeak: () => resetPeakRss(proxy.pid),
    stop: () => stopProcess(proxy, STOP_GRACE_MS),
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

/** Request and connect events; the audit chain's header and checkpoint lines are not counted. */
function countRequestEvents(path: string): number {
  const text = readFileSync(path, 'utf8');
  return text.split('\n').filter((line) => line.includes('"kind":"request"') || line.includes('"kind":"connect"')).length;
}

/** One small request through the proxy: does it still serve after a scenario? */
export async function proxyStillServes(proxy: RunningProxy, backendPort: number): Promise<boolean> {
  const dispatcher = proxy.route.dispatcher(1);
  try {
    await requestOnce(dispatcher, { origin: `https://backend.bench.test:${backendPort}`, path: '/small' });
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
