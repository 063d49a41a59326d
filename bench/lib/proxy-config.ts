/**
 * The proxy's config for a run: one tool with Basic credentials (secret from the environment), an
 * allowlist for the benchmark hosts in enforce mode (so the measured path includes authentication and
 * policy, as in production), an audit file, the backend CA as the only extra upstream trust, and every
 * benchmark name mapped to the backend in upstream.resolve (the SSRF guard refuses other loopback names).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';

export const BENCH_TOOL = 'bench';
export const SECRET_ENV = 'BENCH_PROXY_SECRET';

export interface ProxyConfigInput {
  readonly dir: string;
  readonly backendCaPath: string;
  readonly backendPort: number;
  readonly hosts: readonly string[];
}

/** Writes `<dir>/config.yaml` and returns its path. Paths in it are absolute: nothing depends on the CWD. */
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
  };
  const path = join(input.dir, 'config.yaml');
  writeFileSync(path, stringify(config));
  return path;
}
