/**
 * `npm run bench`: mcp-egress through its own proxy vs direct, side by side in one run, on loopback only.
 * Needs the built proxy (`npx tsc -p tsconfig.json`), openssl, and Linux /proc. Prints a markdown table
 * (medians over ROUNDS, ratio proxy/direct) and writes every number to bench/results/latest.json.
 * Never a pass/fail on timings; exits 1 when any request failed (then the numbers mean nothing).
 * Knobs: see KNOB_HELP in lib/knobs.ts and bench/README.md.
 */
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Route } from './lib/clients.js';
import { startHarness, proxyStillServes, removeTempDir, type Harness, type RunningProxy } from './lib/harness.js';
import type { ExitInfo } from './lib/processes.js';
import { KNOB_HELP, readKnobs, type Knobs } from './lib/knobs.js';
import { markdownTable, summarize, type RoundResult } from './lib/report.js';
import { runCold, type ColdResult } from './scenarios/cold.js';
import { runLarge, type LargeResult } from './scenarios/large.js';
import { runLoad, type LoadResult } from './scenarios/load.js';
import { runSlowClients, type SlowClientsResult } from './scenarios/slow-clients.js';
import { runMain, writeResults } from './lib/results.js';

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
  const proxy = await harness.startProxy();
  log(`proxy pid ${proxy.pid}, backend :${harness.backendPort}, dir ${harness.dir}`);
  const idleRssMB = proxy.memory().rssMB;
  const rounds: RoundResult[] = [];
  for (let round = 1; round <= knobs.rounds; round++) {
    rounds.push(await runRound({ harness, proxy, knobs, round, coldHosts: hosts[round - 1] ?? [], log }));
  }
  const peakRssMB = proxy.memory().hwmMB;
  const servesAfterRounds = await proxyStillServes(proxy, harness.backendPort);
  const exits = [await proxy.stop()];
  // A fresh proxy for the slow clients: the rounds' heap would otherwise hide what slow readers cost.
  const slow = knobs.slowClients > 0 ? await slowClients(harness, knobs, log) : null;
  if (slow !== null) exits.push(slow.proxyExit);
  await harness.stop();
  const rows = summarize(rounds, { concurrencies: knobs.concurrencies, largeMB: knobs.largeMB }, { idleRssMB, peakRssMB }, slow?.result ?? null);
  const serves = servesAfterRounds && (slow?.servesAfter ?? true);
  const errors = countErrors(rounds, slow?.result ?? null) + (serves ? 0 : 1);
  const proxySummary = { idleRssMB, peakRssMB, servesAfterEachPhase: serves, auditEvents: harness.auditEventCount(), exits };
  const results = { meta: runMeta(knobs), summary: rows, rounds, slowClients: slow?.result ?? null, proxy: proxySummary, errors };
  const scrub = (text: string): string => text.replaceAll(harness.secret, '<redacted>');
  writeResults(knobs.resultsPath, scrub(JSON.stringify(results, null, 1)));
  process.stdout.write(scrub(`${report(rows, knobs, proxySummary, errors)}\n`));
  if (errors === 0 && !knobs.keepTemp) removeTempDir(harness);
  else log(`kept ${harness.dir} (logs, config, audit file)`);
  return errors === 0 ? 0 : 1;
}

interface RoundInput {
  readonly harness: Harness;
  readonly proxy: RunningProxy;
  readonly knobs: Knobs;
  readonly round: number;
  readonly coldHosts: readonly string[];
  readonly log: (line: string) => void;
}

async function runRound({ harness, proxy, knobs, round, coldHosts, log }: RoundInput): Promise<RoundResult> {
  const origin = `https://backend.bench.test:${harness.backendPort}`;
  // Alternate which route goes first, so a drift in machine load does not always favour one side.
  const routes = round % 2 === 1 ? [proxy.route, harness.direct] : [harness.direct, proxy.route];
  const cpuOf = (route: Route): (() => number) | null => (route === proxy.route ? proxy.cpuSeconds : null);
  const load: LoadResult[] = [];
  for (const connections of knobs.concurrencies) {
    for (const route of routes) {
      const result = await runLoad({
        route, connections, request: { origin, path: '/small' }, warmupSeconds: knobs.warmup, seconds: knobs.duration,
        maxRequests: MAX_REQUESTS_PER_WINDOW, proxyCpuSeconds: cpuOf(route),
        backendConnections: async () => (await harness.backendStats()).tlsConnections,
      });
      log(`round ${round} ${route.name} c${connections}: ${result.rps} req/s p50 ${result.latencyMs.p50} ms p99 ${result.latencyMs.p99} ms errors ${result.errors + result.warmupErrors}, new backend connections ${result.backendConnectionsOpened}`);
      load.push(result);
    }
  }
  const cold: ColdResult[] = [];
  for (const route of coldHosts.length > 0 ? routes : []) {
    const result = await runCold({
      route, warmupHost: 'backend.bench.test', hosts: coldHosts, port: harness.backendPort, maxSeconds: COLD_MAX_SECONDS,
      proxyCpuSeconds: cpuOf(route),
    });
    log(`round ${round} ${route.name} new hosts: first p50 ${result.firstMs.p50} ms, again p50 ${result.againMs.p50} ms, errors ${result.errors}`);
    cold.push(result);
  }
  const large: LargeResult[] = [];
  for (const route of knobs.largeCount > 0 ? routes : []) {
    const result = await runLarge({
      route, origin, count: knobs.largeCount, megabytes: knobs.largeMB, maxSeconds: LARGE_MAX_SECONDS, proxyCpuSeconds: cpuOf(route),
    });
    log(`round ${round} ${route.name} ${knobs.largeMB} MB downloads: ${result.MBps} MB/s, errors ${result.errors}`);
    large.push(result);
  }
  return { round, load, cold, large };
}

interface SlowPhase {
  readonly result: SlowClientsResult;
  readonly servesAfter: boolean;
  readonly proxyExit: ExitInfo;
}

async function slowClients(harness: Harness, knobs: Knobs, log: (line: string) => void): Promise<SlowPhase> {
  const proxy = await harness.startProxy();
  log(`slow clients (fresh proxy pid ${proxy.pid}): ${knobs.slowClients} x ${knobs.slowMB} MB at ${knobs.slowBytesPerSecond / 1e6} MB/s for ${knobs.slowSeconds} s`);
  const result = await runSlowClients({
    route: proxy.route, origin: `https://backend.bench.test:${harness.backendPort}`, clients: knobs.slowClients,
    megabytesEach: knobs.slowMB, bytesPerSecond: knobs.slowBytesPerSecond, seconds: knobs.slowSeconds, sampleEveryMs: 100,
    proxyMemory: proxy.memory, resetPeak: proxy.resetPeak, upstreamBytesSent: async () => (await harness.backendStats()).largeBytesSent,
  });
  log(`slow clients: proxy RSS ${result.rssBeforeMB} -> peak ${result.peakRssMB} MB (${result.peakFrom}), clients read ${result.clientReceivedMB} MB, backend sent ${result.upstreamSentMB} MB`);
  const servesAfter = await proxyStillServes(proxy, harness.backendPort);
  return { result, servesAfter, proxyExit: await proxy.stop() };
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

interface ProxySummary {
  readonly auditEvents: number;
  readonly exits: readonly ExitInfo[];
  readonly servesAfterEachPhase: boolean;
}

function report(rows: ReturnType<typeof summarize>, knobs: Knobs, proxy: ProxySummary, errors: number): string {
  const lines = [
    `## mcp-egress benchmark (median of ${knobs.rounds} round(s), ${knobs.duration} s windows, Node ${process.version}, ${cpus().length} CPUs, load ${loadavg()[0]?.toFixed(2)})`,
    '',
    markdownTable(rows),
    '',
    `audit events written: ${proxy.auditEvents}; proxy still serves after each phase: ${proxy.servesAfterEachPhase}; proxy exits on SIGTERM: ${proxy.exits.map((exit) => (exit.killed ? 'KILLED' : `code ${exit.code}`)).join(', ')}`,
    errors === 0 ? 'errors: 0' : `ERRORS: ${errors} failed requests (numbers are meaningless; see results JSON errorSamples)`,
  ];
  if (knobs.resultsPath !== null) lines.push(`results: ${knobs.resultsPath}`);
  return lines.join('\n');
}

runMain('bench', main);
