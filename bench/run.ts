/**
 * `npm run bench`: mcp-egress through its own proxy vs direct, side by side in one run, on loopback only.
 * Needs the built proxy (`npx tsc -p tsconfig.json`), openssl, and Linux /proc. Prints a markdown table
 * (medians over ROUNDS, ratio proxy/direct) and writes every number to bench/results/latest.json.
 * Never a pass/fail on timings; exits 1 when any request failed (then the numbers mean nothing).
 * Knobs: see KNOB_HELP in lib/knobs.ts and bench/README.md.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startHarness, proxyStillServes, removeTempDir, type Harness } from './lib/harness.js';
import { KNOB_HELP, readKnobs, type Knobs } from './lib/knobs.js';
import { markdownTable, summarize, type RoundResult } from './lib/report.js';
import { runCold, type ColdResult } from './scenarios/cold.js';
import { runLarge, type LargeResult } from './scenarios/large.js';
import { runLoad, type LoadResult } from './scenarios/load.js';
import { runSlowClients, type SlowClientsResult } from './scenarios/slow-clients.js';

const REPO_ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const MAX_REQUESTS_PER_WINDOW = 2_000_000;
const COLD_MAX_SECONDS = 120;
const LARGE_MAX_SECONDS = 120;
const HARD_LIMIT_MS = 15 * 60 * 1000;

async function main(): Promise<number> {
  if (process.argv.includes('--help')) {
    process.stdout.write(`usage: npm run bench   (env knobs)\n${KNOB_HELP}\n`);
    return 0;
  }
  const knobs = readKnobs(process.env, join(REPO_ROOT, 'bench', 'results', 'latest.json'));
  if (!existsSync(join(REPO_ROOT, 'dist', 'cli', 'index.js'))) throw new Error('dist/ is missing: run `npx tsc -p tsconfig.json` first');
  const hosts = benchHosts(knobs);
  const harness = await startHarness({ repoRoot: REPO_ROOT, hosts: ['backend.bench.test', ...hosts.flat()], proxyNodeArgs: knobs.proxyNodeArgs });
  const abort = (): void => {
    harness.killNow();
    process.exit(130);
  };
  process.once('SIGINT', abort).once('SIGTERM', abort);
  const hardStop = setTimeout(() => {
    process.stderr.write('bench: hard time limit reached\n');
    abort();
  }, HARD_LIMIT_MS);
  try {
    return await measure(harness, knobs, hosts);
  } finally {
    clearTimeout(hardStop);
    harness.killNow();
  }
}

/** Fresh names per round: a "new host" must be new to the proxy process, which lives for the whole run. */
function benchHosts(knobs: Knobs): string[][] {
  return Array.from({ length: knobs.rounds }, (_, round) =>
    Array.from({ length: knobs.coldHosts }, (_, i) => `cold${round * knobs.coldHosts + i + 1}.bench.test`),
  );
}

async function measure(harness: Harness, knobs: Knobs, hosts: string[][]): Promise<number> {
  const log = (line: string): void => void process.stderr.write(`[bench] ${line}\n`);
  log(`proxy pid ${harness.proxyPid}, backend :${harness.backendPort}, dir ${harness.dir}`);
  const idleRssMB = harness.proxyMemory().rssMB;
  const rounds: RoundResult[] = [];
  for (let round = 1; round <= knobs.rounds; round++) {
    rounds.push(await runRound(harness, knobs, round, hosts[round - 1] ?? [], log));
  }
  const peakRssMB = harness.proxyMemory().hwmMB;
  const slow = knobs.slowClients > 0 ? await slowClients(harness, knobs, log) : null;
  const servesAfter = await proxyStillServes(harness);
  const auditEvents = harness.auditEventCount();
  const exits = await harness.stop();
  const rows = summarize(rounds, { concurrencies: knobs.concurrencies, largeMB: knobs.largeMB }, { idleRssMB, peakRssMB }, slow);
  const errors = countErrors(rounds, slow) + (servesAfter ? 0 : 1);
  const results = {
    meta: runMeta(knobs),
    summary: rows,
    rounds,
    slowClients: slow,
    proxy: { idleRssMB, peakRssMB, servesAfterSlowClients: servesAfter, auditEvents, exit: exits.proxy },
    errors,
  };
  const scrub = (text: string): string => text.replaceAll(harness.secret, '<redacted>');
  writeResults(knobs.resultsPath, scrub(JSON.stringify(results, null, 1)));
  process.stdout.write(scrub(`${report(rows, knobs, results.proxy, errors)}\n`));
  if (errors === 0 && !knobs.keepTemp) removeTempDir(harness);
  else log(`kept ${harness.dir} (logs, config, audit file)`);
  return errors === 0 ? 0 : 1;
}

async function runRound(harness: Harness, knobs: Knobs, round: number, coldHosts: string[], log: (line: string) => void): Promise<RoundResult> {
  const origin = `https://backend.bench.test:${harness.backendPort}`;
  // Alternate which route goes first, so a drift in machine load does not always favour one side.
  const routes = round % 2 === 1 ? [harness.proxy, harness.direct] : [harness.direct, harness.proxy];
  const cpuOf = (isProxy: boolean): (() => number) | null => (isProxy ? harness.proxyCpuSeconds : null);
  const load: LoadResult[] = [];
  for (const connections of knobs.concurrencies) {
    for (const route of routes) {
      const result = await runLoad({
        route, connections, request: { origin, path: '/small' }, warmupSeconds: knobs.warmup, seconds: knobs.duration,
        maxRequests: MAX_REQUESTS_PER_WINDOW, proxyCpuSeconds: cpuOf(route === harness.proxy),
      });
      log(`round ${round} ${route.name} c${connections}: ${result.rps} req/s p50 ${result.latencyMs.p50} ms p99 ${result.latencyMs.p99} ms errors ${result.errors + result.warmupErrors}`);
      load.push(result);
    }
  }
  const cold: ColdResult[] = [];
  if (coldHosts.length > 0) {
    for (const route of routes) {
      const result = await runCold({
        route, warmupHost: 'backend.bench.test', hosts: coldHosts, port: harness.backendPort, maxSeconds: COLD_MAX_SECONDS,
        proxyCpuSeconds: cpuOf(route === harness.proxy),
      });
      log(`round ${round} ${route.name} new hosts: first p50 ${result.firstMs.p50} ms, again p50 ${result.againMs.p50} ms, errors ${result.errors}`);
      cold.push(result);
    }
  }
  const large: LargeResult[] = [];
  if (knobs.largeCount > 0) {
    for (const route of routes) {
      const result = await runLarge({
        route, origin, count: knobs.largeCount, megabytes: knobs.largeMB, maxSeconds: LARGE_MAX_SECONDS,
        proxyCpuSeconds: cpuOf(route === harness.proxy),
      });
      log(`round ${round} ${route.name} ${knobs.largeMB} MB downloads: ${result.MBps} MB/s, errors ${result.errors}`);
      large.push(result);
    }
  }
  return { round, load, cold, large };
}

async function slowClients(harness: Harness, knobs: Knobs, log: (line: string) => void): Promise<SlowClientsResult> {
  log(`slow clients: ${knobs.slowClients} x ${knobs.slowMB} MB at ${knobs.slowBytesPerSecond / 1e6} MB/s for ${knobs.slowSeconds} s`);
  const result = await runSlowClients({
    route: harness.proxy, origin: `https://backend.bench.test:${harness.backendPort}`, clients: knobs.slowClients,
    megabytesEach: knobs.slowMB, bytesPerSecond: knobs.slowBytesPerSecond, seconds: knobs.slowSeconds, sampleEveryMs: 100,
    proxyMemory: harness.proxyMemory, resetPeak: harness.resetProxyPeak, upstreamBytesSent: harness.backendLargeBytesSent,
  });
  log(`slow clients: proxy peak RSS ${result.peakRssMB} MB (${result.peakFrom}), clients read ${result.clientReceivedMB} MB, backend sent ${result.upstreamSentMB} MB`);
  return result;
}

function countErrors(rounds: readonly RoundResult[], slow: SlowClientsResult | null): number {
  let errors = slow?.errors ?? 0;
  for (const round of rounds) {
    for (const l of round.load) errors += l.errors + l.warmupErrors;
    for (const c of round.cold) errors += c.errors;
    for (const l of round.large) errors += l.errors;
  }
  return errors;
}

function runMeta(knobs: Knobs) {
  return {
    date: new Date().toISOString(), node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown',
    loadAverage1m: loadavg()[0] ?? null, knobs: { ...knobs, resultsPath: undefined },
  };
}

function report(rows: ReturnType<typeof summarize>, knobs: Knobs, proxy: { auditEvents: number; exit: unknown; servesAfterSlowClients: boolean }, errors: number): string {
  const lines = [
    `## mcp-egress benchmark (median of ${knobs.rounds} round(s), ${knobs.duration} s windows, Node ${process.version}, ${cpus().length} CPUs, load ${loadavg()[0]?.toFixed(2)})`,
    '',
    markdownTable(rows),
    '',
    `audit events written: ${proxy.auditEvents}; proxy serves after slow clients: ${proxy.servesAfterSlowClients}; proxy exit: ${JSON.stringify(proxy.exit)}`,
    errors === 0 ? 'errors: 0' : `ERRORS: ${errors} failed requests (numbers are meaningless; see results JSON errorSamples)`,
  ];
  if (knobs.resultsPath !== null) lines.push(`results: ${knobs.resultsPath}`);
  return lines.join('\n');
}

function writeResults(path: string | null, json: string): void {
  if (path === null) return;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${json}\n`);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  },
);
