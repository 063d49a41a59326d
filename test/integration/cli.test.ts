/**
 * The command line as a user runs it: the product issue's example config verbatim (relative paths,
 * secretEnv and secretFile), the embedded default, check-config, env, SIGHUP reload and SIGTERM.
 * Every run asserts that the secrets it used appear nowhere in stdout, stderr or the audit file.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackend, type Backend } from '../helpers/backend.js';
import { spawnCli, type CliProcess } from '../helpers/cli.js';
import { curl, run, cleanEnv } from '../helpers/clients.js';
import { makeBackendPki, type BackendPki } from '../helpers/pki.js';
import { freePort } from '../helpers/ports.js';
import { BIN } from '../helpers/cli.js';

const READER_SECRET = 'cli-reader-S3cret-5a6b7c8d9e';
const CI_BOT_SECRET = 'cli-cibot-S3cret-1f2e3d4c5b';

let pki: BackendPki;
let backend: Backend;

beforeAll(async () => {
  pki = makeBackendPki();
  backend = await startBackend({ pki });
});
afterAll(async () => {
  await backend?.close();
});

async function exampleDir(): Promise<{ dir: string; port: number; admin: number; yaml: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'egress-cli-'));
  mkdirSync(join(dir, 'certs'));
  copyFileSync(pki.caCert, join(dir, 'certs', 'backend-ca.pem'));
  writeFileSync(join(dir, 'ci-bot.secret'), `${CI_BOT_SECRET}\n`, { mode: 0o600 });
  const port = await freePort();
  const admin = await freePort();
  const yaml = `listen: 127.0.0.1:${port}
admin: 127.0.0.1:${admin}
dataDir: ./state
mode: enforce
upstream:
  ca: ./certs/backend-ca.pem          # added to the system roots for upstream TLS verification
  resolve:                            # host:port -> address:port, like curl --resolve
    api.example.test:443: 127.0.0.1:${backend.port}
tools:
  reader:
    secretEnv: READER_PROXY_SECRET    # the tool's proxy password comes from this env var...
    actor: { principal: alice@example.com, type: human }
    allow:
      - host: api.example.test
        methods: [GET]
        paths: ["/repos/**"]
  ci-bot:
    secretFile: ./ci-bot.secret       # ...or from a file
    actor: { principal: ci, type: automation }
    mode: report
    allow:
      - host: api.example.test
        methods: [GET, POST]
        paths: ["/repos/*/*/issues"]
audit:
  sinks:
    - type: file
      path: ./audit.jsonl
`;
  writeFileSync(join(dir, 'config.yaml'), yaml);
  return { dir, port, admin, yaml };
}

function expectNoSecrets(texts: readonly string[]): void {
  for (const text of texts) {
    expect(text).not.toContain(READER_SECRET);
    expect(text).not.toContain(CI_BOT_SECRET);
  }
}

describe('start with the example configuration, verbatim', () => {
  let proc: CliProcess;
  let setup: Awaited<ReturnType<typeof exampleDir>>;

  beforeAll(async () => {
    setup = await exampleDir();
    // Started from another directory: relative paths resolve against the config file, not the CWD.
    proc = spawnCli(['start', '-c', join(setup.dir, 'config.yaml')], { cwd: tmpdir(), env: { READER_PROXY_SECRET: READER_SECRET } });
    await proc.waitForOutput('"msg":"listening"');
  });
  afterAll(async () => {
    await proc?.stop();
  });

  const ca = (): string => join(setup.dir, 'state', 'ca.pem');
  const proxyUrl = (user: string, secret: string): string => `http://${user}:${secret}@127.0.0.1:${setup.port}`;

  it('prints where the CA is and the env lines to use', () => {
    expect(proc.stdout).toContain(`interception CA: ${ca()}`);
    expect(proc.stdout).toContain(`export HTTPS_PROXY='http://127.0.0.1:${setup.port}'`);
    expect(proc.stdout).toContain(`export SSL_CERT_FILE='${join(setup.dir, 'state', 'ca-bundle.pem')}'`);
  });

  it('keeps key material private in the data dir', () => {
    expect(statSync(join(setup.dir, 'state', 'ca.key')).mode & 0o777).toBe(0o600);
    expect(statSync(join(setup.dir, 'state', 'hmac.key')).mode & 0o777).toBe(0o600);
  });

  it('serves the env-secret tool and the file-secret tool', async () => {
    const reader = await curl('https://api.example.test/repos/o/r', { proxy: proxyUrl('reader', READER_SECRET), cacert: ca() });
    expect(reader.status).toBe(200);
    const bot = await curl('https://api.example.test/repos/o/r/issues', { proxy: proxyUrl('ci-bot', CI_BOT_SECRET), cacert: ca() });
    expect(bot.status).toBe(200);
    const denied = await curl('https://api.example.test/repos/o/r', { proxy: proxyUrl('reader', READER_SECRET), cacert: ca(), args: ['-X', 'DELETE'] });
    expect(denied.status).toBe(403);
    expect(JSON.parse(denied.body)).toMatchObject({ error: 'denied', reason: 'method_not_allowed' });
  });

  it('reloads on SIGHUP all-or-nothing', async () => {
    const widened = setup.yaml.replace('paths: ["/repos/**"]', 'paths: ["/repos/**", "/orgs/**"]');
    writeFileSync(join(setup.dir, 'config.yaml'), widened);
    proc.child.kill('SIGHUP');
    await proc.waitForOutput('configuration reloaded');
    const widenedReply = await curl('https://api.example.test/orgs/acme', { proxy: proxyUrl('reader', READER_SECRET), cacert: ca() });
    expect(widenedReply.status).toBe(200);

    writeFileSync(join(setup.dir, 'config.yaml'), widened.replace('methods: [GET]', 'methods: [GET]\n        bogus: true'));
    proc.child.kill('SIGHUP');
    await proc.waitForOutput('reload refused');
    const still = await curl('https://api.example.test/orgs/acme', { proxy: proxyUrl('reader', READER_SECRET), cacert: ca() });
    expect(still.status).toBe(200);
  });

  it('stops on SIGTERM with exit code 0, the audit flushed, and no secret printed anywhere', async () => {
    const code = await proc.stop('SIGTERM');
    expect(code).toBe(0);
    const audit = readFileSync(join(setup.dir, 'audit.jsonl'), 'utf8');
    const events = audit.trim().split('\n').map((line) => JSON.parse(line) as { tool: string; decision: { action: string } });
    expect(events.length).toBeGreaterThanOrEqual(5);
    expect(events.map((e) => e.tool)).toContain('ci-bot');
    expectNoSecrets([proc.stdout, proc.stderr, audit]);
  });
});

describe('the embedded default (no config file)', () => {
  it('runs in report mode with no tools, generates its CA once, and audits anonymous requests', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'egress-default-'));
    const proc = spawnCli(['start'], { cwd });
    try {
      await proc.waitForOutput('"msg":"listening"');
      expect(proc.stdout).toContain('mode: report; tools: none');
      expect(proc.stdout).toContain('proxy http://127.0.0.1:8080');
      expect(statSync(join(cwd, '.mcp-egress', 'ca.key')).mode & 0o777).toBe(0o600);
      // A name that resolves to loopback is refused by the SSRF guard even in report mode.
      const reply = await curl(`http://localhost:${backend.port}/`, { proxy: 'http://127.0.0.1:8080', cacert: join(cwd, '.mcp-egress', 'ca.pem') });
      expect(reply.status).toBe(403);
      expect(JSON.parse(reply.body)).toMatchObject({ reason: 'ssrf_loopback' });
    } finally {
      expect(await proc.stop()).toBe(0);
    }
    const lines = readFileSync(join(cwd, '.mcp-egress', 'audit.jsonl'), 'utf8').trim().split('\n');
    // The file opens with the audit chain's header line; the first request event follows.
    const event = lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((line) => line['kind'] === 'request');
    expect(event).toMatchObject({ tool: null, decision: { action: 'deny', reason: 'ssrf_loopback', policy_reason: 'anonymous_report_only' } });
  });
});

describe('check-config', () => {
  it('lists every problem with its key path and exits non-zero, without printing the secret', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'egress-check-'));
    writeFileSync(join(dir, 'bad.yaml'), `listen: nowhere
mode: sometimes
tools:
  reader:
    secretEnv: READER_PROXY_SECRET
    allow:
      - host: api.example.test
        methods: [GET, "NOT A METHOD"]
        colour: blue
`);
    const result = await run(process.execPath, [BIN, 'check-config', '-c', join(dir, 'bad.yaml')], cleanEnv({ READER_PROXY_SECRET: 'Zq9-shrt' }));
    expect(result.code).toBe(1);
    for (const path of ['listen', 'mode', 'tools.reader.allow[0].methods[1]', 'tools.reader.allow[0]']) {
      expect(result.stderr).toContain(path);
    }
    expect(result.stderr + result.stdout).not.toContain('Zq9-shrt');
    expect(result.stderr).toContain('READER_PROXY_SECRET');
  });

  it('accepts the example and summarizes it', async () => {
    const setup = await exampleDir();
    const result = await run(process.execPath, [BIN, 'check-config', '-c', join(setup.dir, 'config.yaml')], cleanEnv({ READER_PROXY_SECRET: READER_SECRET }));
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Configuration OK');
    expectNoSecrets([result.stdout, result.stderr]);
  });
});

describe('env', () => {
  it("prints the tool's proxy URL with credentials and CA trust for every client", async () => {
    const setup = await exampleDir();
    const args = [BIN, 'env', '--tool', 'reader', '-c', join(setup.dir, 'config.yaml'), '--json'];
    const result = await run(process.execPath, args, cleanEnv({ READER_PROXY_SECRET: READER_SECRET }));
    expect(result.code).toBe(0);
    const env = JSON.parse(result.stdout) as Record<string, string>;
    expect(env['HTTPS_PROXY']).toBe(`http://reader:${READER_SECRET}@127.0.0.1:${setup.port}`);
    expect(env['https_proxy']).toBe(env['HTTPS_PROXY']);
    expect(env['NODE_EXTRA_CA_CERTS']).toBe(join(setup.dir, 'state', 'ca.pem'));
    const bundle = readFileSync(env['SSL_CERT_FILE']!, 'utf8');
    expect(bundle).toContain(readFileSync(env['NODE_EXTRA_CA_CERTS']!, 'utf8').trim());
    for (const name of ['REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE', 'GIT_SSL_CAINFO']) expect(env[name]).toBe(env['SSL_CERT_FILE']);

    const shell = await run(process.execPath, args.slice(0, -1), cleanEnv({ READER_PROXY_SECRET: READER_SECRET }));
    expect(shell.stdout).toContain(`export HTTPS_PROXY='http://reader:${READER_SECRET}@127.0.0.1:${setup.port}'`);
  });

  it('refuses an unknown tool', async () => {
    const setup = await exampleDir();
    const result = await run(process.execPath, [BIN, 'env', '--tool', 'nobody', '-c', join(setup.dir, 'config.yaml')], cleanEnv({ READER_PROXY_SECRET: READER_SECRET }));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no tool named "nobody"');
  });
});
