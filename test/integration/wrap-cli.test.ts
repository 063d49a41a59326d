/**
 * `mcp-egress wrap` as an MCP host runs it (the real CLI, built): stdin and stdout passed through byte
 * for byte, wrap silent on stdout, the server's environment, exit codes, signals forwarded, and the
 * preflight stopping a launch (with a clear message, without the secret) when the proxy is down or
 * refuses the tool's credential.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchContext } from '../../src/cli/wrap-env.js';
import { assertBuilt, BIN } from '../helpers/cli.js';
import { cleanEnv } from '../helpers/clients.js';
import { makeBackendPki } from '../helpers/pki.js';
import { freePort } from '../helpers/ports.js';
import { startRecordingProxy, type RecordingProxy } from '../helpers/recording-proxy.js';

const SECRET = 'wrap-cli-Secret-6a7b8c9d0e1f';
// wrap also reads its parent's CI variables (this test process): run in CI, "interactive" cases are CI.
const HOST = launchContext(process.env, null);
const INTERACTIVE = HOST.context === 'ci' ? new RegExp(`^context=ci;ci=${HOST.ci}(;user=[^;]+)?$`) : /^context=interactive(;user=[^;]+)?$/;
const CI_VARS = ['CI', 'GITHUB_ACTIONS', 'GITLAB_CI', 'BUILDKITE', 'JENKINS_URL', 'CIRCLECI', 'TF_BUILD', 'BITBUCKET_BUILD_NUMBER', 'TEAMCITY_VERSION', 'CODEBUILD_BUILD_ID', 'TRAVIS', 'DRONE'];

// Tiny servers: each is what an MCP server does to the channel or with signals.
const SCRIPTS = {
  echo: `process.stdin.pipe(process.stdout);`,
  env: `require('node:fs').writeFileSync(process.argv[2], JSON.stringify(process.env)); process.stdout.write('{"jsonrpc":"2.0"}\\n');`,
  exit: `process.exit(Number(process.argv[2]));`,
  killself: `process.kill(process.pid, 'SIGKILL');`,
  signals: `for (const [s, c] of [['SIGINT', 20], ['SIGTERM', 21], ['SIGHUP', 22]]) process.on(s, () => process.exit(c));
process.stderr.write('ready\\n'); setInterval(() => {}, 1000);`,
  nohandler: `process.stderr.write('ready\\n'); setInterval(() => {}, 1000);`,
  marker: `require('node:fs').writeFileSync(process.argv[2], 'ran');`,
} as const;

interface WrapRun {
  readonly code: number | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

let dir: string;
let proxy: RecordingProxy;
let okConfig: string;
let caPem: string;
const scripts: Record<string, string> = {};

/** A config whose proxy is at `port`; its dataDir holds a CA certificate, as a running proxy's would. */
function writeConfig(name: string, port: number, withCa = true): string {
  const path = join(dir, name);
  if (withCa) {
    mkdirSync(join(dir, `state-${name}`), { recursive: true, mode: 0o700 });
    copyFileSync(caPem, join(dir, `state-${name}`, 'ca.pem'));
  }
  writeFileSync(path, `listen: 127.0.0.1:${port}\ndataDir: ./state-${name}\nmode: enforce\ntools:\n  github:\n    secretEnv: GH_PROXY_SECRET\n    allow:\n      - host: api.github.com\n        methods: [GET]\n`);
  return path;
}

function wrapEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = cleanEnv({ GH_PROXY_SECRET: SECRET, ...extra });
  for (const name of CI_VARS) if (!(name in extra)) delete env[name];
  return env;
}

/** Runs wrap; `onReady` may act on the running process (send signals once the server says ready). */
interface RunOptions {
  input?: Buffer;
  env?: NodeJS.ProcessEnv;
  extraArgs?: readonly string[];
  onReady?: (pid: number) => void;
}

function runWrap(config: string, server: readonly string[], options: RunOptions = {}): Promise<WrapRun> {
  return new Promise((resolve, reject) => {
    const args = [BIN, 'wrap', '--tool', 'github', '-c', config, ...(options.extraArgs ?? []), '--', ...server];
    const child = spawn(process.execPath, args, { env: options.env ?? wrapEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`wrap did not exit in time; stderr: ${stderr}`));
    }, 20_000);
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (options.onReady && stderr.includes('ready\n')) {
        const ready = options.onReady;
        delete options.onReady;
        ready(child.pid!);
      }
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? Buffer.alloc(0));
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(stdout), stderr });
    });
  });
}

beforeAll(async () => {
  assertBuilt();
  dir = mkdtempSync(join(tmpdir(), 'egress-wrap-'));
  for (const [name, text] of Object.entries(SCRIPTS)) {
    scripts[name] = join(dir, `${name}.cjs`);
    writeFileSync(scripts[name]!, text);
  }
  caPem = makeBackendPki(['localhost']).caCert;
  proxy = await startRecordingProxy({ connectStatus: 200 });
  okConfig = writeConfig('ok.yaml', proxy.port);
});
afterAll(async () => {
  await proxy?.close();
});

const node = (script: keyof typeof SCRIPTS, ...args: string[]): string[] => [process.execPath, scripts[script]!, ...args];

describe('wrap: the MCP channel', () => {
  it('passes stdin to the server and its stdout back byte for byte; wrap adds nothing', async () => {
    const input = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(256 * 1024)]);
    const run = await runWrap(okConfig, node('echo'), { input });
    expect(run.code).toBe(0);
    expect(run.stdout.equals(input)).toBe(true);
    expect(run.stderr).not.toContain(SECRET);
  });

  it('preflight sends one CONNECT with the credential and the launch header before the server starts', async () => {
    const before = proxy.seen.length;
    await runWrap(okConfig, node('exit', '0'));
    const seen = proxy.seen.slice(before);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ kind: 'connect', target: 'api.github.com:443' });
    expect(seen[0]!.headers['proxy-authorization']).toBe(`Basic ${Buffer.from(`github:${SECRET}`).toString('base64')}`);
    expect(seen[0]!.headers['proxy-mcp-egress-launch']).toMatch(INTERACTIVE);
  });

  it.each([
    { name: 'interactive', extra: {}, launch: INTERACTIVE },
    { name: 'GitHub Actions', extra: { CI: 'true', GITHUB_ACTIONS: 'true' }, launch: /^context=ci;ci=github_actions(;user=[^;]+)?$/ },
  ])('the server gets the proxy environment and the preload ($name)', async ({ extra, launch }) => {
    const envFile = join(dir, `env-${Object.keys(extra).length}.json`);
    const run = await runWrap(okConfig, node('env', envFile), { env: wrapEnv({ ...extra, NODE_OPTIONS: '--max-old-space-size=256' }) });
    expect(run.code).toBe(0);
    expect(run.stdout.toString()).toBe('{"jsonrpc":"2.0"}\n');
    const env = JSON.parse(readFileSync(envFile, 'utf8')) as Record<string, string>;
    expect(env.HTTPS_PROXY).toBe(`http://github:${SECRET}@127.0.0.1:${proxy.port}`);
    expect(env.NO_PROXY!.split(',')).toEqual(expect.arrayContaining(['localhost', '127.0.0.1', '::1', 'registry.npmjs.org']));
    expect(env.NODE_EXTRA_CA_CERTS).toBe(join(dir, 'state-ok.yaml', 'ca.pem'));
    expect(readFileSync(env.SSL_CERT_FILE!, 'utf8')).toContain(readFileSync(caPem, 'utf8').trim());
    expect(env.NODE_OPTIONS).toMatch(/^--max-old-space-size=256 --require ".*\/bin\/preload\.cjs"$/);
    expect(env.MCP_EGRESS_LAUNCH).toMatch(launch);
  });

  it('--proxy: the server and the preflight use that address instead of the config\'s listen', async () => {
    const envFile = join(dir, 'env-proxy.json');
    const elsewhere = writeConfig('elsewhere.yaml', await freePort());
    const before = proxy.seen.length;
    const run = await runWrap(elsewhere, node('env', envFile), { extraArgs: ['--proxy', `127.0.0.1:${proxy.port}`] });
    expect(run.code).toBe(0);
    expect(proxy.seen.length).toBe(before + 1);
    const env = JSON.parse(readFileSync(envFile, 'utf8')) as Record<string, string>;
    expect(env.HTTPS_PROXY).toBe(`http://github:${SECRET}@127.0.0.1:${proxy.port}`);
  });

  it('--proxy with a URL is refused without echoing it', async () => {
    const run = await runWrap(okConfig, node('exit', '0'), { extraArgs: ['--proxy', `http://github:${SECRET}@127.0.0.1:1`] });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('mcp-egress wrap: --proxy must be host:port or [v6]:port (no scheme, no credentials)\n');
  });
});

describe('wrap: exit codes and signals', () => {
  it.each([
    { name: 'exit 0', server: () => node('exit', '0'), code: 0 },
    { name: 'exit 3', server: () => node('exit', '3'), code: 3 },
    { name: 'killed by SIGKILL', server: () => node('killself'), code: 137 },
    { name: 'command not found', server: () => ['mcp-egress-no-such-command-4711'], code: 127 },
  ])('$name -> $code', async ({ server, code }) => {
    const run = await runWrap(okConfig, server());
    expect(run.code).toBe(code);
    expect(run.stdout.length).toBe(0);
    if (code === 127) expect(run.stderr).toContain('mcp-egress wrap: cannot start "mcp-egress-no-such-command-4711": ENOENT');
  });

  it.each([
    { signal: 'SIGINT' as const, script: 'signals' as const, code: 20 },
    { signal: 'SIGTERM' as const, script: 'signals' as const, code: 21 },
    { signal: 'SIGHUP' as const, script: 'signals' as const, code: 22 },
    { signal: 'SIGTERM' as const, script: 'nohandler' as const, code: 128 + 15 },
    { signal: 'SIGINT' as const, script: 'nohandler' as const, code: 128 + 2 },
  ])('$signal to wrap reaches the server ($script) -> $code', async ({ signal, script, code }) => {
    const run = await runWrap(okConfig, node(script), { onReady: (pid) => process.kill(pid, signal) });
    expect(run.code).toBe(code);
  });
});

describe('wrap: preflight stops the launch', () => {
  it.each([
    { name: 'credentials refused (407)', status: 407, message: /^mcp-egress wrap: proxy credentials for tool "github" were not accepted by mcp-egress at 127\.0\.0\.1:\d+/ },
    { name: 'proxy refusing (503)', status: 503, message: /^mcp-egress wrap: mcp-egress at 127\.0\.0\.1:\d+ is not accepting requests/ },
  ])('$name: exit 1, the server never runs', async ({ status, message }) => {
    const refusing = await startRecordingProxy({ connectStatus: status });
    try {
      const marker = join(dir, `marker-${status}`);
      const run = await runWrap(writeConfig(`refusing-${status}.yaml`, refusing.port), node('marker', marker));
      expect(run.code).toBe(1);
      expect(run.stdout.length).toBe(0);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).not.toContain(SECRET);
      expect(existsSync(marker)).toBe(false);
    } finally {
      await refusing.close();
    }
  });

  it('no proxy CA in the dataDir: exit 1, no CA is made up', async () => {
    const config = writeConfig('no-ca.yaml', proxy.port, false);
    const run = await runWrap(config, node('exit', '0'));
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`mcp-egress wrap: cannot read the proxy CA at ${join(dir, 'state-no-ca.yaml', 'ca.pem')} (ENOENT); wrap must see the proxy's dataDir\n`);
    expect(existsSync(join(dir, 'state-no-ca.yaml', 'ca.key'))).toBe(false);
  });

  it('nothing listening: "mcp-egress is not running at …"', async () => {
    const port = await freePort();
    const run = await runWrap(writeConfig('down.yaml', port), node('exit', '0'));
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`mcp-egress wrap: mcp-egress is not running at 127.0.0.1:${port} (connection refused); start it with \`mcp-egress start -c <config>\`\n`);
  });

  it.each([
    { name: 'unknown tool', args: ['--tool', 'slack'], code: 2, message: /no tool named "slack"/ },
    { name: 'no server command', args: ['--tool', 'github', '--'], code: 1, message: /missing required argument 'command'/ },
  ])('$name: exit $code', async ({ args, code, message }) => {
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [BIN, 'wrap', ...args.slice(0, 2), '-c', okConfig, ...args.slice(2), ...(args.includes('--') ? [] : ['--', 'true'])], { env: wrapEnv() });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.once('close', (c) => resolve({ code: c, stdout, stderr }));
    });
    expect(result.code).toBe(code);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
  });
});
