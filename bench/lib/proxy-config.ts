/**
 * The proxy's config for a run: one tool with Basic credentials (secret from the environment), an
 * allowlist for the benchmark hosts in enforce mode (so the measured path includes authentication and
 * policy, as in production), an audit file, the backend CA as the only extra upstream trust, and every
 * benchmark name mapped to the backend in upstream.resolve (the SSRF guard refuses other loopback names).
 * An optional global `scrub` block lets one run compare proxies that differ in that block alone; without
 * it the file is exactly what it always was (the proxy's scrub defaults apply).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';

export const BENCH_TOOL = 'bench';
export const SECRET_ENV = 'BENCH_PROXY_SECRET';

/** The config file's global `scrub` keys (README "Configuration"); absent keys keep the proxy's defaults. */
export interface ProxyScrubConfig {
  readonly responses?: 'redact' | 'off';
  readonly requests?: 'block' | 'redact' | 'off';
  readonly undecodable?: 'pass' | 'block';
  readonly maxRequestBodyBytes?: number;
  readonly markers?: 'plain' | 'fingerprint';
}

export interface ProxyConfigInput {
  readonly dir: string;
  readonly backendCaPath: string;
  readonly backendPort: number;
  readonly hosts: readonly string[];
  /** Written as the global `scrub` block when given. */
  readonly scrub?: ProxyScrubConfig;
  /** File name inside `dir`; default `config.yaml`. */
  readonly fileName?: string;
}

/** Writes `<dir>/<fileName>` and returns its path. Paths in it are absolute: nothing depends on the CWD. */
export function writeProxyConfig(input: ProxyConfigInput): string {
  const resolve = Object.fromEntries(input.hosts.map((host) => [`${host}:${input.backendPort}`, `127.0.0.1:${input.backendPort}`]));
  const config = {
    listen: '127.0.0.1:0',
    admin: '127.0.0.1:0',
    dataDir: join(input.dir, 'state'),
    mode: 'enforce',
    shutdownGraceMs: 2000,
    upstream: { ca: input.backendCaPath, resolve },
    tools: {
      [BENCH_TOOL]: { secretEnv: SECRET_ENV, allow: [{ host: '*.bench.test', port: input.backendPort }] },
    },
    audit: { sinks: [{ type: 'file', path: join(input.dir, 'audit.jsonl') }] },
    ...(input.scrub === undefined ? {} : { scrub: { ...input.scrub } }),
  };
  const path = join(input.dir, input.fileName ?? 'config.yaml');
  writeFileSync(path, stringify(config));
  return path;
}
