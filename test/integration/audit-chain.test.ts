/**
 * Tamper evidence end to end: the real proxy (bin/mcp-egress.js) killed with SIGKILL under load leaves a
 * file that verifies up to its last whole line; a restart continues the chain and the whole file
 * verifies. `audit fingerprint` prints the fingerprint the audit event carries for a token.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackend, type Backend } from '../helpers/backend.js';
import { BIN, spawnCli, type CliProcess } from '../helpers/cli.js';
import { cleanEnv, curl, run } from '../helpers/clients.js';
import { EXAMPLE_ENV, exampleConfig, READER_SECRET } from '../helpers/configs.js';
import { makeBackendPki, type BackendPki } from '../helpers/pki.js';
import { freePort } from '../helpers/ports.js';
import { startTestProxy } from '../helpers/proxy.js';

type Line = { seq: number; kind: string; reason?: string; continues?: { seq: number; source: string } };

let pki: BackendPki;
let backend: Backend;
beforeAll(async () => {
  pki = makeBackendPki();
  backend = await startBackend({ pki });
});
afterAll(async () => {
  await backend?.close();
});

async function proxyDir(): Promise<{ dir: string; port: number; audit: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'egress-chain-it-'));
  const port = await freePort();
  const admin = await freePort();
  const yaml = `${exampleConfig(backend.port, pki.caCert)}
listen: 127.0.0.1:${port}
admin: 127.0.0.1:${admin}
dataDir: ./state
audit:
  sinks:
    - type: file
      path: ./audit.jsonl
`;
  writeFileSync(join(dir, 'config.yaml'), yaml);
  return { dir, port, audit: join(dir, 'audit.jsonl') };
}

async function startProxy(dir: string): Promise<CliProcess> {
  const proc = spawnCli(['start', '-c', 'config.yaml'], { cwd: dir, env: EXAMPLE_ENV });
  await proc.waitForOutput('"msg":"listening"');
  return proc;
}

const wholeLines = (file: string): Line[] => {
  const text = readFileSync(file, 'utf8');
  return text.slice(0, text.lastIndexOf('\n') + 1).split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Line);
};

async function verify(...args: string[]): Promise<{ code: number | null; stdout: string }> {
  const result = await run(process.execPath, [BIN, 'audit', 'verify', ...args]);
  return { code: result.code, stdout: result.stdout };
}

/** `workers` clients each sending requests back to back until `stop()` or `perWorker` requests. */
function load(url: string, options: { proxy: string; cacert: string }, workers: number, perWorker: number): { stop(): void; done: Promise<void> } {
  let stopped = false;
  const worker = async (): Promise<void> => {
    for (let i = 0; i < perWorker && !stopped; i += 1) await curl(url, { ...options, args: ['--max-time', '5'] });
  };
  return { stop: () => { stopped = true; }, done: Promise.all(Array.from({ length: workers }, worker)).then(() => undefined) };
}

async function waitForLines(file: string, count: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const text = (() => { try { return readFileSync(file, 'utf8'); } catch { return ''; } })();
    if (text.split('\n').length > count) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`fewer than ${count} audit lines after ${timeoutMs} ms`);
}

describe('SIGKILL under load, then restart', () => {
  it('the file verifies up to its last whole line; after a restart the whole file verifies', async () => {
    const { dir, port, audit } = await proxyDir();
    const first = await startProxy(dir);
    const client = { proxy: `http://reader:${READER_SECRET}@127.0.0.1:${port}`, cacert: join(dir, 'state', 'ca.pem') };
    const traffic = load('https://api.example.test/repos/a/b', client, 6, 200);
    try {
      await waitForLines(audit, 30, 20_000);
      first.child.kill('SIGKILL');
      expect(await first.exited).toBeNull();
    } finally {
      traffic.stop();
      await traffic.done;
    }
    const text = readFileSync(audit, 'utf8');
    const beforeRestart = wholeLines(audit);
    expect(beforeRestart.at(-1)?.reason).not.toBe('shutdown'); // no orderly close: the last line is an event
    const crashed = await verify('--allow-partial-tail', audit);
    expect(crashed.code).toBe(0);
    expect(crashed.stdout).toContain(`intact: ${beforeRestart.length} lines (seq 1..${beforeRestart.at(-1)!.seq})`);
    if (!text.endsWith('\n')) expect(crashed.stdout).toContain('partial tail');

    const second = await startProxy(dir);
    expect((await curl('https://api.example.test/repos/a/b', client)).status).toBe(200);
    expect(await second.stop('SIGTERM')).toBe(0);
    const after = wholeLines(audit);
    const header = after[beforeRestart.length]!;
    expect(header).toMatchObject({ kind: 'header', seq: beforeRestart.at(-1)!.seq + 1, continues: { seq: beforeRestart.at(-1)!.seq, source: 'file' } });
    expect(after.slice(-2).map((l) => [l.kind, l.reason])).toEqual([['request', undefined], ['checkpoint', 'shutdown']]);
    const whole = await verify(audit);
    expect(whole).toEqual({ code: 0, stdout: `intact: ${after.length} lines (seq 1..${after.at(-1)!.seq}) in 1 file\n` });
  }, 60_000);
});

describe('audit fingerprint', () => {
  it('prints the fingerprint the audit event carries for the token; the token appears nowhere in its output', async () => {
    const proxy = await startTestProxy(exampleConfig(backend.port, pki.caCert), { env: EXAMPLE_ENV });
    try {
      const token = 'ghp_0123456789abcdefghijABCDEFGHIJ0123wxyz';
      await curl('https://api.example.test/repos/a/b', {
        proxy: proxy.url('reader', READER_SECRET),
        cacert: proxy.caCert,
        args: ['-H', `Authorization: Bearer ${token}`],
      });
      const event = proxy.auditEvents().filter((e) => e.kind === 'request').at(-1)!;
      const config = join(proxy.dir, 'fingerprint.yaml');
      writeFileSync(config, `dataDir: ${join(proxy.dir, 'state')}\ntools: {}\n`);
      const result = await run(process.execPath, [BIN, 'audit', 'fingerprint', '-c', config], cleanEnv(), `${token}\n`);
      const carried = event.credentials.find((credential) => credential.source === 'authorization')!;
      expect([result.code, result.stdout, result.stderr]).toEqual([0, `${carried.fingerprint}\n`, '']);
      expect(result.stdout).not.toContain(token);
    } finally {
      await proxy.stop();
    }
  }, 30_000);
});
