/**
 * `npx tsx bench/audit.ts` (bench:audit): what the audit file sink costs the proxy, in one run, side by
 * side. One backend, one proxy process per variant, configs identical but for the audit sink:
 *   file:     a file sink with batched fdatasync (syncIntervalMs 50, the default)
 *   file-0:   the same with syncIntervalMs 0 (a sync after every write batch; SYNC0=0 skips it)
 *   devnull:  a file sink at /dev/null (same serialization, chain and write path; no disk, no sync)
 * At CONCS connections (default 1 and 32), closed loop, GET /small, WARMUP then DURATION seconds per
 * window, ROUNDS rounds alternating the variant order: req/s, audit events/s (request lines that reached
 * the file in the window), p50/p99 latency, proxy CPU per request, and the throughput cost against devnull
 * (bar: ≤15% at 32 connections). Requests never wait for the sync (the sink only promises that a line is
 * on disk once the sync after its write completes), so the latency a batch adds is the latency difference.
 * Then, once, a c32 window against a proxy run under `strace --seccomp-bpf -e trace=fdatasync` (only that
 * syscall stops the tracee) counts how many events one fdatasync covers (STRACE=0 skips it).
 *
 * The proxy runs from src/ through tsx by default (PROXY_FROM=dist: the built bin/mcp-egress.js), with the
 * entry point's node flags, so the bench measures the working tree without rebuilding dist/.
 * Needs openssl and Linux /proc. Exit 1 when a request failed or a file's chain does not verify, 2 when the
 * run could not start. Not a timed test: the bar is reported, never enforced.
 */
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { verifyChain } from '../src/audit/verify.js';
import { generateCertificates, type BenchCertificates } from './lib/certs.js';
import { proxyRoute } from './lib/clients.js';
import { integerKnob, numberKnob, concurrencyKnob } from './lib/knobs.js';
import { clockTicksPerSecond, cpuSeconds } from './lib/proc-stats.js';
import { killNow, startProcess, stopProcess, type StartedProcess } from './lib/processes.js';
import { BENCH_TOOL, SECRET_ENV, writeProxyConfig } from './lib/proxy-config.js';
import { runMain, writeResults } from './lib/results.js';
import { median, roundTo } from './lib/stats.js';
import { runLoad, type LoadResult } from './scenarios/load.js';

const REPO_ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const HOST = 'backend.bench.test';
const PROXY_CHILD = '--proxy-child';
const MAX_REQUESTS_PER_WINDOW = 2_000_000;
const START_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 10_000;

type VariantName = 'file' | 'file-0' | 'devnull';
interface Variant {
  readonly name: VariantName;
  readonly path: (dir: string) => string;
  readonly syncIntervalMs: number;
}
const VARIANTS: readonly Variant[] = [
  { name: 'file', path: (dir) => join(dir, 'audit-file.jsonl'), syncIntervalMs: 50 },
  { name: 'file-0', path: (dir) => join(dir, 'audit-file-0.jsonl'), syncIntervalMs: 0 },
  { name: 'devnull', path: () => '/dev/null', syncIntervalMs: 50 },
];

interface AuditKnobs {
  readonly duration: number;
  readonly warmup: number;
  readonly rounds: number;
  readonly concurrencies: readonly number[];
  readonly variants: readonly Variant[];
  readonly strace: boolean;
  readonly fromDist: boolean;
  readonly keepTemp: boolean;
  readonly resultsPath: string | null;
}

function readAuditKnobs(env: Readonly<Record<string, string | undefined>>): AuditKnobs {
  const from = env.PROXY_FROM ?? 'src';
  if (from !== 'src' && from !== 'dist') throw new Error(`PROXY_FROM must be src or dist, got "${from}"`);
  return {
    duration: numberKnob(env, 'DURATION', 4, 0.5, 600),
    warmup: numberKnob(env, 'WARMUP', 1, 0, 60),
    rounds: integerKnob(env, 'ROUNDS', 3, 1, 50),
    concurrencies: concurrencyKnob(env.CONCS ?? '1 32'),
    variants: env.SYNC0 === '0' ? VARIANTS.filter((v) => v.name !== 'file-0') : VARIANTS,
    strace: env.STRACE !== '0',
    fromDist: from === 'dist',
    keepTemp: env.KEEP_TMP === '1',
    resultsPath: env.RESULTS === '' ? null : (env.RESULTS ?? join(REPO_ROOT, 'bench', 'results', 'audit-latest.json')),
  };
}

const log = (line: string): void => void process.stderr.write(`[bench:audit] ${line}\n`);

interface Run {
  readonly dir: string;
  readonly certs: BenchCertificates;
  readonly backendPort: number;
  readonly secret: string;
  readonly started: StartedProcess[];
  readonly fromDist: boolean;
}

interface Proxy {
  readonly variant: Variant;
  readonly process: StartedProcess;
  readonly port: number;
}

async function main(): Promise<number> {
  const knobs = readAuditKnobs(process.env);
  const dir = mkdtempSync(join(tmpdir(), 'mcp-egress-bench-audit-'));
  const certs = generateCertificates(dir);
  const started: StartedProcess[] = [];
  const abort = (): void => {
    killNow(started);
    process.exit(130);
  };
  process.once('SIGINT', abort).once('SIGTERM', abort);
  const windows = knobs.rounds * knobs.concurrencies.length * knobs.variants.length + 1;
  const hardStop = setTimeout(() => {
    log('hard time limit reached');
    abort();
  }, (windows * (knobs.duration + knobs.warmup + 5) + 180) * 1000);
  try {
    const backend = await startBackend(dir, certs);
    started.push(backend);
    const run: Run = { dir, certs, backendPort: Number(backend.ready[1]), secret: randomSecret(), started, fromDist: knobs.fromDist };
    return await measure(run, knobs);
  } finally {
    clearTimeout(hardStop);
    killNow(started);
  }
}

interface Measured {
  readonly round: number;
  readonly variant: VariantName;
  readonly window: TimeWindow;
  readonly eventsPerSecond: number | null;
  readonly result: LoadResult;
}

async function measure(run: Run, knobs: AuditKnobs): Promise<number> {
  const proxies = [];
  for (const variant of knobs.variants) proxies.push(await startProxy(run, variant));
  log(`proxies ${proxies.map((p) => `${p.variant.name} pid ${p.process.pid}`).join(', ')}; backend :${run.backendPort}; dir ${run.dir}`);
  const ticks = clockTicksPerSecond();
  const measured: Measured[] = [];
  for (let round = 1; round <= knobs.rounds; round++) {
    const order = round % 2 === 1 ? proxies : [...proxies].reverse();
    for (const connections of knobs.concurrencies) {
      for (const proxy of order) measured.push(await measureWindow({ run, knobs, proxy, connections, round, ticks }));
    }
  }
  const exits = [];
  for (const proxy of proxies) exits.push({ variant: proxy.variant.name, ...(await stopProcess(proxy.process, STOP_GRACE_MS)) });
  const coverage = knobs.strace ? await measureSyncCoverage(run, knobs) : null;
  const chains = await verifyFiles(run.dir, knobs.variants);
  const rated = await withEventRates(run, measured, knobs.variants);
  exits.push({ variant: 'backend', ...(await stopProcess(run.started[0]!, STOP_GRACE_MS)) });
  const errors = measured.reduce((sum, m) => sum + m.result.errors + m.result.warmupErrors, 0);
  const rows = summarize(rated, knobs);
  const scrub = (text: string): string => text.replaceAll(run.secret, '<redacted>');
  const meta = { date: new Date().toISOString(), node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', knobs: { ...knobs, variants: knobs.variants.map((v) => v.name), resultsPath: undefined } };
  writeResults(knobs.resultsPath, scrub(JSON.stringify({ meta, summary: rows, coverage, chains, exits, errors, measured: rated }, null, 1)));
  process.stdout.write(scrub(`${report({ rows, knobs, coverage, chains, errors })}\n`));
  const clean = errors === 0 && chains.every((c) => c.intact);
  if (clean && !knobs.keepTemp) rmSync(run.dir, { recursive: true, force: true });
  else log(`kept ${run.dir} (configs, logs, audit files)`);
  return clean ? 0 : 1;
}

interface WindowInput {
  readonly run: Run;
  readonly knobs: AuditKnobs;
  readonly proxy: Proxy;
  readonly connections: number;
  readonly round: number;
  readonly ticks: number;
}

async function measureWindow({ run, knobs, proxy, connections, round, ticks }: WindowInput): Promise<Measured> {
  // The window starts when the warm-up ends (skew: one request's latency at most); events are counted
  // afterwards from the file by their time, so nothing reads the file while the proxy writes it.
  let startedAt = Date.now() + knobs.warmup * 1000;
  const mark = setTimeout(() => { startedAt = Date.now(); }, knobs.warmup * 1000);
  const result = await runLoad({
    route: routeOf(run, proxy), connections, request: { origin: `https://${HOST}:${run.backendPort}`, path: '/small' },
    warmupSeconds: knobs.warmup, seconds: knobs.duration, maxRequests: MAX_REQUESTS_PER_WINDOW,
    proxyCpuSeconds: () => cpuSeconds(proxy.process.pid, ticks), backendConnections: () => Promise.resolve(0),
  });
  clearTimeout(mark);
  log(`round ${round} c${connections} ${proxy.variant.name}: ${result.rps} req/s, p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms, CPU ${result.proxyCpuUsPerRequest} us/req, errors ${result.errors + result.warmupErrors}`);
  return { round, variant: proxy.variant.name, window: { from: startedAt, to: Date.now() }, eventsPerSecond: null, result };
}

interface TimeWindow {
  readonly from: number; // epoch ms
  readonly to: number;
}

/** Request events per window, by the time each request started (one pass over the variant's file). */
async function countEvents(path: string, windows: readonly TimeWindow[]): Promise<number[]> {
  const counts = windows.map(() => 0);
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  for await (const line of lines) {
    if (!/"kind":"(request|connect)"/.test(line)) continue;
    const time = Date.parse(/"time":"([^"]+)"/.exec(line)?.[1] ?? '');
    const index = windows.findIndex((w) => time >= w.from && time < w.to);
    if (index >= 0) counts[index] = (counts[index] ?? 0) + 1;
  }
  return counts;
}

/** Fills in events/s for the variants with a real file (devnull has none to count). */
async function withEventRates(run: Run, measured: readonly Measured[], variants: readonly Variant[]): Promise<Measured[]> {
  const out = [...measured];
  for (const variant of variants.filter((v) => v.name !== 'devnull')) {
    const indexes = out.flatMap((m, i) => (m.variant === variant.name ? [i] : []));
    const counts = await countEvents(variant.path(run.dir), indexes.map((i) => out[i]!.window));
    indexes.forEach((i, k) => {
      const m = out[i]!;
      out[i] = { ...m, eventsPerSecond: roundTo((counts[k] ?? 0) / ((m.window.to - m.window.from) / 1000), 0) };
    });
  }
  return out;
}

interface SyncCoverage {
  readonly connections: number;
  readonly rps: number;
  readonly events: number;
  readonly syncs: number;
  readonly eventsPerSync: number | null;
  readonly syncsPerSecond: number | null;
}

/**
 * A separate proxy (variant file) under strace, one window at the highest concurrency. Only fdatasync is
 * traced (seccomp-bpf: no other syscall stops the proxy); syncs and events are counted afterwards by
 * their timestamps, so strace's output buffering does not matter.
 */
async function measureSyncCoverage(run: Run, knobs: AuditKnobs): Promise<SyncCoverage | null> {
  if (!['/usr/bin/strace', '/bin/strace'].some((path) => existsSync(path))) return null;
  const variant: Variant = { name: 'file', path: (dir) => join(dir, 'audit-traced.jsonl'), syncIntervalMs: 50 };
  const trace = join(run.dir, 'fdatasync.trace');
  const proxy = await startProxy(run, variant, ['strace', '-f', '-qq', '-ttt', '--seccomp-bpf', '-e', 'trace=fdatasync', '-o', trace]);
  const connections = Math.max(...knobs.concurrencies);
  let from = Date.now() + knobs.warmup * 1000;
  const mark = setTimeout(() => { from = Date.now(); }, knobs.warmup * 1000);
  const result = await runLoad({
    route: routeOf(run, proxy), connections, request: { origin: `https://${HOST}:${run.backendPort}`, path: '/small' },
    warmupSeconds: knobs.warmup, seconds: knobs.duration, maxRequests: MAX_REQUESTS_PER_WINDOW, proxyCpuSeconds: null, backendConnections: () => Promise.resolve(0),
  });
  clearTimeout(mark);
  const window = { from, to: Date.now() };
  await stopTraced(proxy);
  const syncs = readFileSync(trace, 'utf8').split('\n').filter((line) => {
    const at = Number(/^\d+ (\d+\.\d+) fdatasync\(/.exec(line)?.[1]) * 1000;
    return at >= window.from && at < window.to;
  }).length;
  const [events = 0] = await countEvents(variant.path(run.dir), [window]);
  const seconds = (window.to - window.from) / 1000;
  log(`traced c${connections}: ${result.rps} req/s, ${events} events, ${syncs} fdatasync`);
  return { connections, rps: result.rps, events, syncs, eventsPerSync: syncs === 0 ? null : roundTo(events / syncs, 1), syncsPerSecond: roundTo(syncs / seconds, 1) };
}

/** SIGTERM to strace would only detach it: the proxy (strace's child, started by us) gets it instead. */
async function stopTraced(proxy: Proxy): Promise<void> {
  const { pid } = proxy.process;
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).map(Number).filter((n) => n > 0);
  const exited = new Promise<void>((resolve) => proxy.process.child.once('exit', () => resolve()));
  for (const child of children) process.kill(child, 'SIGTERM');
  await Promise.race([exited, new Promise<void>((resolve) => setTimeout(resolve, STOP_GRACE_MS).unref())]);
  await stopProcess(proxy.process, STOP_GRACE_MS);
}

function routeOf(run: Run, proxy: Proxy) {
  return proxyRoute(`http://${BENCH_TOOL}:${run.secret}@127.0.0.1:${proxy.port}`, run.certs.mitmCaPem);
}

/** The bench's shared proxy config, with this variant's audit sink and a data dir of its own. */
function writeVariantConfig(run: Run, variant: Variant, tag: string): string {
  const path = writeProxyConfig({ dir: run.dir, backendCaPath: run.certs.backendCaPath, backendPort: run.backendPort, hosts: [HOST], fileName: `config-${tag}.yaml` });
  const config = parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  config['dataDir'] = join(run.dir, `state-${tag}`);
  config['audit'] = { sinks: [{ type: 'file', path: variant.path(run.dir), syncIntervalMs: variant.syncIntervalMs }] };
  writeFileSync(path, stringify(config));
  return path;
}

/** The proxy command: the entry point's node flags, then src/ through tsx (this file as entry) or dist/. */
async function startProxy(run: Run, variant: Variant, wrapper: readonly string[] = []): Promise<Proxy> {
  const tag = wrapper.length === 0 ? variant.name : `${variant.name}-traced`;
  const config = writeVariantConfig(run, variant, tag);
  const entry = run.fromDist ? [join(REPO_ROOT, 'bin', 'mcp-egress.js')] : ['--import', import.meta.resolve('tsx'), fileURLToPath(import.meta.url), PROXY_CHILD];
  const nodeArgs = [...entryPointNodeFlags(), ...entry, 'start', '-c', config, '--ca-cert', run.certs.mitmCaPath, '--ca-key', run.certs.mitmKeyPath];
  const [command, ...args] = [...wrapper, process.execPath, ...nodeArgs];
  const started = await startProcess({
    name: `proxy-${tag}`, command: command ?? process.execPath, args, cwd: run.dir, env: { ...process.env, [SECRET_ENV]: run.secret },
    logPath: join(run.dir, `proxy-${tag}.log`), readyPattern: /proxy http:\/\/127\.0\.0\.1:(\d+)/, timeoutMs: START_TIMEOUT_MS,
  });
  run.started.push(started);
  return { variant, process: started, port: Number(started.ready[1]) };
}

function entryPointNodeFlags(): string[] {
  const shebang = readFileSync(join(REPO_ROOT, 'bin', 'mcp-egress.js'), 'utf8').split('\n')[0] ?? '';
  const words = shebang.split(/\s+/);
  const node = words.indexOf('node');
  return node < 0 ? [] : words.slice(node + 1).filter((word) => word.startsWith('--'));
}

function startBackend(dir: string, certs: BenchCertificates): Promise<StartedProcess> {
  return startProcess({
    name: 'backend', command: process.execPath, cwd: REPO_ROOT, env: process.env, logPath: join(dir, 'backend.log'),
    args: ['--import', 'tsx', join(REPO_ROOT, 'bench', 'backend.ts'), '--cert', certs.backendCertPath, '--key', certs.backendKeyPath],
    readyPattern: /^ready (\d+)$/, timeoutMs: START_TIMEOUT_MS,
  });
}

function randomSecret(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString('hex');
}

interface ChainCheck {
  readonly variant: string;
  readonly lines: number;
  readonly intact: boolean;
  readonly problem: string | null;
}

/** Every real audit file of the run still verifies (the sink under load wrote whole lines, in order). */
async function verifyFiles(dir: string, variants: readonly Variant[]): Promise<ChainCheck[]> {
  const checks: ChainCheck[] = [];
  for (const variant of variants.filter((v) => v.name !== 'devnull')) {
    const report = await verifyChain([variant.path(dir)]);
    const problem = report.break === null ? null : `${report.break.file}:${report.break.line}: ${report.break.problem}`;
    checks.push({ variant: variant.name, lines: report.lines, intact: problem === null && report.partialTails.length === 0, problem });
  }
  return checks;
}

interface SummaryRow {
  readonly connections: number;
  readonly metric: string;
  readonly values: Readonly<Record<string, number | null>>;
  /** file vs devnull in the same round, median over rounds: req/s 1 − file/devnull; latency and CPU file − devnull. */
  readonly cost: number | null;
}

const METRICS = [
  { name: 'req/s', digits: 0, value: (m: Measured) => m.result.rps, cost: (f: number, d: number) => (d === 0 ? null : 1 - f / d) },
  { name: 'audit events/s', digits: 0, value: (m: Measured) => m.eventsPerSecond, cost: () => null },
  { name: 'p50 ms', digits: 3, value: (m: Measured) => m.result.latencyMs.p50, cost: (f: number, d: number) => f - d },
  { name: 'p99 ms', digits: 3, value: (m: Measured) => m.result.latencyMs.p99, cost: (f: number, d: number) => f - d },
  { name: 'proxy CPU us/request', digits: 1, value: (m: Measured) => m.result.proxyCpuUsPerRequest, cost: (f: number, d: number) => f - d },
] as const;

function summarize(measured: readonly Measured[], knobs: AuditKnobs): SummaryRow[] {
  const rows: SummaryRow[] = [];
  for (const connections of knobs.concurrencies) {
    for (const metric of METRICS) {
      const pick = (name: VariantName): number | null =>
        median(measured.filter((m) => m.variant === name && m.result.connections === connections).map((m) => metric.value(m)));
      const values = Object.fromEntries(knobs.variants.map((v) => [v.name, roundTo(pick(v.name), metric.digits)]));
      // Paired: file against devnull within each round (the host's load drifts between rounds), then the median.
      const paired = measured.filter((m) => m.variant === 'file' && m.result.connections === connections).map((m) => {
        const twin = measured.find((d) => d.variant === 'devnull' && d.round === m.round && d.result.connections === connections);
        const [file, devnull] = [metric.value(m), twin === undefined ? null : metric.value(twin)];
        return file === null || devnull === null ? null : metric.cost(file, devnull);
      });
      const cost = roundTo(median(paired), 3);
      rows.push({ connections, metric: metric.name, values, cost });
    }
  }
  return rows;
}

function report({ rows, knobs, coverage, chains, errors }: { rows: readonly SummaryRow[]; knobs: AuditKnobs; coverage: SyncCoverage | null; chains: readonly ChainCheck[]; errors: number }): string {
  const cell = (value: number | null | undefined): string => (value === null || value === undefined ? '–' : String(value));
  const names = knobs.variants.map((v) => v.name);
  const c32 = rows.find((r) => r.connections === Math.max(...knobs.concurrencies) && r.metric === 'req/s')?.cost ?? null;
  const lines = [
    `## mcp-egress audit benchmark (median of ${knobs.rounds} round(s), ${knobs.duration} s windows, Node ${process.version}, ${cpus().length} CPUs, load ${loadavg()[0]?.toFixed(2)}, proxy from ${knobs.fromDist ? 'dist' : 'src via tsx'})`,
    '',
    'file = file sink, syncIntervalMs 50; file-0 = syncIntervalMs 0; devnull = file sink at /dev/null (no disk, no sync). cost = file vs devnull, paired per round, median over rounds (req/s: 1 − file/devnull; others: file − devnull).',
    '',
    `| conns | metric | ${names.join(' | ')} | cost |`,
    `| ---: | --- | ${names.map(() => '---:').join(' | ')} | ---: |`,
    ...rows.map((r) => `| ${r.connections} | ${r.metric} | ${names.map((n) => cell(r.values[n])).join(' | ')} | ${cell(r.cost)} |`),
    '',
    c32 === null ? 'bar (≤15% throughput cost at the highest concurrency): not measured' : `bar (≤15% throughput cost at c${Math.max(...knobs.concurrencies)}): ${(c32 * 100).toFixed(1)}% → ${c32 <= 0.15 ? 'met' : 'NOT met'}`,
    coverage === null ? 'fdatasync coverage: not measured (STRACE=0 or strace unavailable)' : `fdatasync coverage at c${coverage.connections} (file, syncIntervalMs 50, under strace --seccomp-bpf): ${coverage.events} events / ${coverage.syncs} fdatasync = ${cell(coverage.eventsPerSync)} events per sync (${cell(coverage.syncsPerSecond)} syncs/s, ${coverage.rps} req/s)`,
    `chains: ${chains.map((c) => `${c.variant} ${c.intact ? `intact (${c.lines} lines)` : `BROKEN ${c.problem ?? 'partial tail'}`}`).join(', ')}`,
    errors === 0 ? 'errors: 0' : `ERRORS: ${errors} failed requests (numbers are meaningless; see errorSamples in the results JSON)`,
  ];
  if (knobs.resultsPath !== null) lines.push(`results: ${knobs.resultsPath}`);
  return lines.join('\n');
}

/** Child mode: the proxy itself, from src/ (tsx compiles on load; the request path runs the same JS). */
async function proxyChild(): Promise<void> {
  const { main: cli } = await import('../src/cli/index.js');
  await cli([process.argv[0] ?? 'node', process.argv[1] ?? 'mcp-egress', ...process.argv.slice(3)]);
}

if (process.argv[2] === PROXY_CHILD) {
  proxyChild().catch((error: unknown) => {
    process.stderr.write(`mcp-egress: ${error instanceof Error ? error.message : 'failed'}\n`);
    process.exitCode = 1;
  });
} else {
  runMain('bench:audit', main);
}
