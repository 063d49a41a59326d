/**
 * `npm run bench:scrub`: what response scrubbing (and the request exfiltration scan) adds per request, in
 * one run, side by side: one backend, two proxy processes whose configs differ only in `scrub`
 *   on:  the defaults (responses: redact, requests: block)
 *   off: scrub: { responses: off, requests: off }
 * and direct (client to backend). Workloads (see scenarios/scrub-workloads.ts), each at CONCS connections,
 * closed loop: /small, a ~16 KiB GitHub issue-list JSON, the same gzip-encoded, a ~4 KiB JSON POST.
 * Rounds alternate the route order; the table shows medians over ROUNDS and on/off (the host is shared
 * and noisy: ratios within one run are what to compare). Probes first check each proxy does what its
 * config says. Needs the built proxy (`npx tsc -p tsconfig.json`), openssl and Linux /proc.
 * Exit 1 when a request or a probe failed (the numbers are then meaningless), 2 when the run could not start.
 */
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Route } from './lib/clients.js';
import { startHarness, removeTempDir, type Harness, type RunningProxy } from './lib/harness.js';
import { concurrencyKnob, integerKnob, numberKnob } from './lib/knobs.js';
import { median, roundTo } from './lib/stats.js';
import { runLoad, type LoadResult } from './scenarios/load.js';
import { runMain, writeResults } from './lib/results.js';
import {
  probeExfiltration, probeWorkloads, WORKLOAD_NAMES, workloads, type ExfiltrationProbe, type ProbeResult, type Variant, type Workload,
} from './scenarios/scrub-workloads.js';

const REPO_ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const HOST = 'backend.bench.test';
const MAX_REQUESTS_PER_WINDOW = 2_000_000;
const VARIANTS: readonly Variant[] = ['on', 'off', 'direct'];
const SCRUB_OFF = { responses: 'off', requests: 'off' } as const;

interface ScrubKnobs {
  readonly duration: number;
  readonly warmup: number;
  readonly rounds: number;
  readonly concurrencies: readonly number[];
  readonly workloads: readonly string[];
  readonly jsonKB: number;
  readonly postKB: number;
  readonly keepTemp: boolean;
  readonly resultsPath: string | null;
  readonly proxyNodeArgs: readonly string[];
}

const HELP = [
  'usage: npm run bench:scrub   (env knobs)',
  `DURATION=4 (s per window)  WARMUP=1  ROUNDS=3  CONCS="1 16"  WORKLOADS="${WORKLOAD_NAMES.join(' ')}"  JSON_KB=16  POST_KB=4`,
  'KEEP_TMP=1  RESULTS=<file> (default bench/results/scrub-latest.json; empty: none)  PROXY_NODE_ARGS="--cpu-prof ..." (both proxies)',
].join('\n');

function readScrubKnobs(env: Readonly<Record<string, string | undefined>>): ScrubKnobs {
  const names = (env.WORKLOADS ?? WORKLOAD_NAMES.join(' ')).split(/[\s,]+/).filter((name) => name !== '');
  const unknown = names.filter((name) => !(WORKLOAD_NAMES as readonly string[]).includes(name));
  if (unknown.length > 0 || names.length === 0) throw new Error(`WORKLOADS must list some of ${WORKLOAD_NAMES.join(', ')}; got "${env.WORKLOADS}"`);
  return {
    duration: numberKnob(env, 'DURATION', 4, 0.5, 600),
    warmup: numberKnob(env, 'WARMUP', 1, 0, 60),
    rounds: integerKnob(env, 'ROUNDS', 3, 1, 50),
    concurrencies: concurrencyKnob(env.CONCS ?? '1 16'),
    workloads: names,
    jsonKB: integerKnob(env, 'JSON_KB', 16, 1, 1024),
    postKB: integerKnob(env, 'POST_KB', 4, 1, 1024),
    keepTemp: env.KEEP_TMP === '1',
    resultsPath: env.RESULTS === '' ? null : (env.RESULTS ?? join(REPO_ROOT, 'bench', 'results', 'scrub-latest.json')),
    proxyNodeArgs: (env.PROXY_NODE_ARGS ?? '').split(/\s+/).filter((arg) => arg !== ''),
  };
}

const log = (line: string): void => void process.stderr.write(`[bench:scrub] ${line}\n`);

async function main(): Promise<number> {
  if (process.argv.includes('--help')) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const knobs = readScrubKnobs(process.env);
  if (!existsSync(join(REPO_ROOT, 'dist', 'cli', 'index.js'))) throw new Error('dist/ is missing: run `npx tsc -p tsconfig.json` first');
  const harness = await startHarness({ repoRoot: REPO_ROOT, hosts: [HOST], proxyNodeArgs: knobs.proxyNodeArgs });
  const abort = (): void => {
    harness.killNow();
    process.exit(130);
  };
  process.once('SIGINT', abort).once('SIGTERM', abort);
  const windows = knobs.rounds * knobs.workloads.length * knobs.concurrencies.length * VARIANTS.length;
  const hardStop = setTimeout(() => {
    log('hard time limit reached');
    abort();
  }, (windows * (knobs.duration + knobs.warmup + 5) + 180) * 1000);
  try {
    return await measure(harness, knobs);
  } finally {
    clearTimeout(hardStop);
    harness.killNow();
  }
}

interface Measured {
  readonly round: number;
  readonly workload: string;
  readonly variant: Variant;
  readonly loadAverage1m: number | null;
  readonly result: LoadResult;
}

async function measure(harness: Harness, knobs: ScrubKnobs): Promise<number> {
  const on = await harness.startProxy();
  const off = await harness.startProxy({ scrub: SCRUB_OFF });
  log(`scrub-on proxy pid ${on.pid}, scrub-off proxy pid ${off.pid}, backend :${harness.backendPort}, dir ${harness.dir}`);
  const routes = new Map<Variant, Route>([['on', on.route], ['off', off.route], ['direct', harness.direct]]);
  const cpuOf = new Map<Variant, RunningProxy>([['on', on], ['off', off]]);
  const origin = `https://${HOST}:${harness.backendPort}`;
  const list = workloads({ origin, jsonKB: knobs.jsonKB, postKB: knobs.postKB }, knobs.workloads);
  const probes = await probeWorkloads(routes, list);
  const exfiltration = await probeExfiltration(routes, origin);
  for (const probe of probes.filter((p) => !p.ok)) log(`PROBE FAILED ${JSON.stringify(probe)}`);
  for (const probe of exfiltration.filter((p) => !p.ok)) log(`EXFILTRATION PROBE FAILED ${JSON.stringify(probe)}`);
  const measured: Measured[] = [];
  for (let round = 1; round <= knobs.rounds; round++) {
    // Alternate the order, so a drift in machine load does not always favour one route.
    const order = round % 2 === 1 ? VARIANTS : [...VARIANTS].reverse();
    for (const workload of list) measured.push(...(await runWorkload({ harness, knobs, routes, cpuOf, workload, order, round })));
  }
  const exits = [await on.stop(), await off.stop()];
  await harness.stop();
  const failedProbes = probes.filter((p) => !p.ok).length + exfiltration.filter((p) => !p.ok).length;
  const errors = measured.reduce((sum, m) => sum + m.result.errors + m.result.warmupErrors, 0);
  const rows = summarize(measured, list, knobs.concurrencies);
  const results = { meta: runMeta(knobs), summary: rows, probes, exfiltration, measured, exits, errors, failedProbes };
  const scrubSecret = (text: string): string => text.replaceAll(harness.secret, '<redacted>');
  writeResults(knobs.resultsPath, scrubSecret(JSON.stringify(results, null, 1)));
  process.stdout.write(scrubSecret(`${report({ rows, list, knobs, probes, exfiltration, errors, failedProbes })}\n`));
  const clean = errors === 0 && failedProbes === 0;
  if (clean && !knobs.keepTemp) removeTempDir(harness);
  else log(`kept ${harness.dir} (logs, configs, audit file)`);
  return clean ? 0 : 1;
}

interface WorkloadInput {
  readonly harness: Harness;
  readonly knobs: ScrubKnobs;
  readonly routes: ReadonlyMap<Variant, Route>;
  readonly cpuOf: ReadonlyMap<Variant, RunningProxy>;
  readonly workload: Workload;
  readonly order: readonly Variant[];
  readonly round: number;
}

async function runWorkload(input: WorkloadInput): Promise<Measured[]> {
  const { harness, knobs, workload, round } = input;
  const measured: Measured[] = [];
  for (const connections of knobs.concurrencies) {
    for (const variant of input.order) {
      const route = input.routes.get(variant);
      if (route === undefined) continue;
      const proxy = input.cpuOf.get(variant);
      const result = await runLoad({
        route, connections, request: workload.request, warmupSeconds: knobs.warmup, seconds: knobs.duration,
        maxRequests: MAX_REQUESTS_PER_WINDOW, proxyCpuSeconds: proxy === undefined ? null : proxy.cpuSeconds,
        backendConnections: async () => (await harness.backendStats()).tlsConnections,
      });
      const cpu = result.proxyCpuUsPerRequest === null ? '' : `, proxy CPU ${result.proxyCpuUsPerRequest} us/req`;
      log(`round ${round} ${workload.name} c${connections} ${variant}: ${result.rps} req/s, p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms${cpu}, errors ${result.errors + result.warmupErrors}`);
      measured.push({ round, workload: workload.name, variant, loadAverage1m: roundTo(loadavg()[0] ?? null, 2), result });
    }
  }
  return measured;
}

interface SummaryRow {
  readonly workload: string;
  readonly connections: number;
  readonly metric: string;
  readonly on: number | null;
  readonly off: number | null;
  readonly direct: number | null;
  /** on / off: above 1 for latency and CPU means scrubbing costs that much more; below 1 for req/s. */
  readonly onOverOff: number | null;
  /** on - off, in the metric's unit: what scrubbing adds per request. */
  readonly onMinusOff: number | null;
}

const METRICS: readonly { readonly name: string; readonly digits: number; readonly value: (r: LoadResult) => number | null }[] = [
  { name: 'req/s', digits: 0, value: (r) => r.rps },
  { name: 'p50 ms', digits: 3, value: (r) => r.latencyMs.p50 },
  { name: 'p99 ms', digits: 3, value: (r) => r.latencyMs.p99 },
  { name: 'proxy CPU us/request', digits: 1, value: (r) => r.proxyCpuUsPerRequest },
];

function summarize(measured: readonly Measured[], list: readonly Workload[], concurrencies: readonly number[]): SummaryRow[] {
  const rows: SummaryRow[] = [];
  for (const workload of list) {
    for (const connections of concurrencies) {
      for (const metric of METRICS) {
        const pick = (variant: Variant): number | null =>
          roundTo(
            median(measured.filter((m) => m.workload === workload.name && m.variant === variant && m.result.connections === connections).map((m) => metric.value(m.result))),
            metric.digits,
          );
        const [on, off, direct] = [pick('on'), pick('off'), pick('direct')];
        const onOverOff = on !== null && off !== null && off !== 0 ? roundTo(on / off, 2) : null;
        const onMinusOff = on !== null && off !== null ? roundTo(on - off, metric.digits) : null;
        rows.push({ workload: workload.name, connections, metric: metric.name, on, off, direct, onOverOff, onMinusOff });
      }
    }
  }
  return rows;
}

interface ReportInput {
  readonly rows: readonly SummaryRow[];
  readonly list: readonly Workload[];
  readonly knobs: ScrubKnobs;
  readonly probes: readonly ProbeResult[];
  readonly exfiltration: readonly ExfiltrationProbe[];
  readonly errors: number;
  readonly failedProbes: number;
}

function report({ rows, list, knobs, probes, exfiltration, errors, failedProbes }: ReportInput): string {
  const cell = (value: number | null): string => (value === null ? '–' : String(value));
  const lines = [
    `## mcp-egress scrub benchmark (median of ${knobs.rounds} round(s), ${knobs.duration} s windows, Node ${process.version}, ${cpus().length} CPUs, load ${loadavg()[0]?.toFixed(2)})`,
    '',
    'on = scrub defaults (responses: redact, requests: block); off = scrub: {responses: off, requests: off}; same config otherwise.',
    '',
    ...list.map((workload) => `- **${workload.name}**: ${workload.what}`),
    '',
    '| workload | conns | metric | scrub on | scrub off | direct | on/off | on−off |',
    '| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map((r) => `| ${r.workload} | ${r.connections} | ${r.metric} | ${cell(r.on)} | ${cell(r.off)} | ${cell(r.direct)} | ${cell(r.onOverOff)} | ${cell(r.onMinusOff)} |`),
    '',
    `probes (status, Content-Encoding, wire/decoded bytes, body as direct): ${probes.map(probeText).join('; ')}`,
    `exfiltration probe (a GitLab token in a POST body): ${exfiltration.map((p) => `${p.variant} ${p.status}${p.ok ? '' : ` (expected ${p.expected})`}`).join(', ')}`,
    errors === 0 ? 'errors: 0' : `ERRORS: ${errors} failed requests (numbers are meaningless; see errorSamples in the results JSON)`,
    failedProbes === 0 ? 'probes: all as expected' : `PROBES FAILED: ${failedProbes} (a route does not do what its config says)`,
  ];
  if (knobs.resultsPath !== null) lines.push(`results: ${knobs.resultsPath}`);
  return lines.join('\n');
}

function probeText(p: ProbeResult): string {
  return `${p.workload}/${p.variant} ${p.status} ${p.contentEncoding ?? 'identity'} ${p.wireBytes}/${p.decodedBytes} B${p.sameAsDirect ? '' : ' BODY DIFFERS'}${p.ok ? '' : ' (NOT OK)'}`;
}

function runMeta(knobs: ScrubKnobs) {
  return {
    date: new Date().toISOString(), node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown',
    loadAverage1m: loadavg()[0] ?? null, knobs: { ...knobs, resultsPath: undefined }, scrubOff: SCRUB_OFF,
  };
}

runMain('bench:scrub', main);
