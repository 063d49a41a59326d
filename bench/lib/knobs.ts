/** Benchmark knobs, read once from the environment and checked, so a typo fails before anything starts. */

export interface Knobs {
  /** Measured seconds per keep-alive load window. */
  readonly duration: number;
  readonly warmup: number;
  /** Proxy and direct alternate within each round; tables show the median over rounds. */
  readonly rounds: number;
  readonly concurrencies: readonly number[];
  readonly coldHosts: number;
  readonly largeCount: number;
  readonly largeMB: number;
  readonly slowClients: number;
  readonly slowMB: number;
  readonly slowSeconds: number;
  readonly slowBytesPerSecond: number;
  /** Keep the temp dir (certs, config, logs, audit file) after a successful run. */
  readonly keepTemp: boolean;
  readonly resultsPath: string | null;
  /** Extra node flags for the proxy process only, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof". */
  readonly proxyNodeArgs: readonly string[];
}

type Env = Readonly<Record<string, string | undefined>>;

export const KNOB_HELP = [
  'DURATION=5 (s per load window)  WARMUP=1  ROUNDS=3  CONCS="1 32"  COLD_HOSTS=20',
  'LARGE_COUNT=5  LARGE_MB=10  SLOW_CLIENTS=4  SLOW_MB=64  SLOW_SECONDS=10  SLOW_RATE_MBPS=1 (0 clients: skip)',
  'KEEP_TMP=1 (keep certs, config, logs)  RESULTS=<file> (default bench/results/latest.json; empty: none)',
  'PROXY_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" (node flags for the proxy process only)',
].join('\n');

export function readKnobs(env: Env, defaultResultsPath: string): Knobs {
  return {
    duration: numberKnob(env, 'DURATION', 5, 0.5, 600),
    warmup: numberKnob(env, 'WARMUP', 1, 0, 60),
    rounds: integerKnob(env, 'ROUNDS', 3, 1, 50),
    concurrencies: concurrencyKnob(env.CONCS ?? '1 32'),
    coldHosts: integerKnob(env, 'COLD_HOSTS', 20, 0, 200),
    largeCount: integerKnob(env, 'LARGE_COUNT', 5, 0, 100),
    largeMB: integerKnob(env, 'LARGE_MB', 10, 1, 1024),
    slowClients: integerKnob(env, 'SLOW_CLIENTS', 4, 0, 64),
    slowMB: integerKnob(env, 'SLOW_MB', 64, 1, 1024),
    slowSeconds: numberKnob(env, 'SLOW_SECONDS', 10, 1, 600),
    slowBytesPerSecond: numberKnob(env, 'SLOW_RATE_MBPS', 1, 0.01, 1000) * 1e6,
    keepTemp: env.KEEP_TMP === '1',
    resultsPath: env.RESULTS === '' ? null : (env.RESULTS ?? defaultResultsPath),
    proxyNodeArgs: (env.PROXY_NODE_ARGS ?? '').split(/\s+/).filter((arg) => arg !== ''),
  };
}

export function numberKnob(env: Env, name: string, fallback: number, min: number, max: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < min || value > max) throw new Error(`${name} must be a number from ${min} to ${max}, got "${text}"`);
  return value;
}

export function integerKnob(env: Env, name: string, fallback: number, min: number, max: number): number {
  const value = numberKnob(env, name, fallback, min, max);
  if (!Number.isInteger(value)) throw new Error(`${name} must be a whole number, got "${env[name] ?? ''}"`);
  return value;
}

export function concurrencyKnob(text: string): number[] {
  const values = text.split(/[\s,]+/).filter((part) => part !== '').map(Number);
  if (values.some((value) => !Number.isInteger(value) || value < 1 || value > 1024)) {
    throw new Error(`CONCS must list connection counts from 1 to 1024, got "${text}"`);
  }
  return values;
}
