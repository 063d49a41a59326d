/**
 * The container image, built from the real Dockerfile and run as the README says: read-only root
 * filesystem, state on a /data volume, a config file mounted read-only. Host networking keeps every
 * connection on loopback: curl -> the proxy in the container -> a loopback HTTPS backend on the host.
 * Also run with no config file at all. Needs a container engine (Docker, or podman through
 * scripts/container-runtime.sh); without one the suite is skipped, unless CI is set, where it fails.
 */
import { chownSync, copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Wait, type StartedTestContainer } from 'testcontainers';
import { verifyChain } from '../../src/audit/verify.js';
import { startBackend, type Backend } from '../helpers/backend.js';
import { curl } from '../helpers/clients.js';
import { makeBackendPki, type BackendPki } from '../helpers/pki.js';
import { freePort } from '../helpers/ports.js';
import { findContainerEngine } from './engine.js';
import { buildImage, containerConfig, HardenedContainer, runHealthcheck, stopGracefully } from './image.js';

// A cold build (apt, npm ci, re2 compiled from source) takes minutes; a cached one seconds.
const BUILD_TIMEOUT_MS = 20 * 60_000;
const CONTAINER_TIMEOUT_MS = 90_000;
const READER_SECRET = 'container-reader-S3cret-4c5d6e7f8a';
/** The image's user (`node` in the official base image): it must own the data volume. */
const IMAGE_UID = 1000;

// Host-side temp dirs (config, data volume) hold files the container's user created: removed at the end.
const tempDirs: string[] = [];
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

const engine = await findContainerEngine();
const skip = !engine.found && !process.env.CI;
if (!engine.found) console.warn(`[test/container] ${skip ? 'skipped' : 'FAILING (CI is set)'}: ${engine.reason}`);

describe.skipIf(skip)(`the container image${engine.found ? '' : ` (${engine.reason})`}`, () => {
  beforeAll(async () => {
    if (!engine.found) throw new Error(`CI is set and ${engine.reason}`);
    const { seconds } = await buildImage();
    console.info(`[test/container] image built in ${seconds}s on ${engine.description}`);
  }, BUILD_TIMEOUT_MS);

  describe('with a mounted config, a read-only root filesystem and /data on the host', mountedConfigSuite);
  describe('with no config file', noConfigSuite);
});

function mountedConfigSuite(): void {
  let pki: BackendPki;
  let backend: Backend;
  let container: StartedTestContainer | undefined;
  let dataDir: string;
  let proxyPort: number;
  let adminPort: number;
  let runsAs: string;

  beforeAll(async () => {
    pki = makeBackendPki();
    backend = await startBackend({ pki });
    [proxyPort, adminPort] = [await freePort(), await freePort()];
    const configDir = tempDir('egress-container-config-');
    writeFileSync(join(configDir, 'config.yaml'), mountedConfig(proxyPort, adminPort, backend.port));
    copyFileSync(pki.caCert, join(configDir, 'backend-ca.pem'));
    const volume = dataVolume();
    dataDir = volume.dir;
    runsAs = volume.user ?? 'node';
    const image = new HardenedContainer()
      .withNetworkMode('host')
      .withBindMounts([
        { source: join(configDir, 'config.yaml'), target: '/etc/mcp-egress/config.yaml', mode: 'ro' },
        { source: join(configDir, 'backend-ca.pem'), target: '/etc/mcp-egress/backend-ca.pem', mode: 'ro' },
        { source: dataDir, target: '/data', mode: 'rw' },
      ])
      .withEnvironment({
        READER_PROXY_SECRET: READER_SECRET,
        MCP_EGRESS_HEALTHCHECK_URL: `http://127.0.0.1:${adminPort}/healthz`,
      })
      .withWaitStrategy(Wait.forLogMessage('"msg":"listening"'))
      .withStartupTimeout(30_000);
    if (volume.user !== undefined) image.withUser(volume.user);
    container = await image.start();
  }, CONTAINER_TIMEOUT_MS);

  afterAll(async () => {
    await container?.stop({ timeout: 0 });
    await backend?.close();
  }, CONTAINER_TIMEOUT_MS);

  const proxy = (): string => `http://reader:${READER_SECRET}@127.0.0.1:${proxyPort}`;
  const cacert = (): string => join(dataDir, 'ca.pem');

  it('answers /healthz, /readyz and /metrics on the admin port, and passes its HEALTHCHECK', async () => {
    const admin = (path: string): Promise<Response> => fetch(`http://127.0.0.1:${adminPort}${path}`, { signal: AbortSignal.timeout(5_000) });
    const healthz = await admin('/healthz');
    expect([healthz.status, await healthz.json()]).toEqual([200, { status: 'ok' }]);
    expect((await admin('/readyz')).status).toBe(200);
    const metrics = await admin('/metrics');
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('mcp_egress_requests_total');
    expect((await runHealthcheck(container!)).exitCode).toBe(0);
  });

  it('forwards an allowed request, trusted through the CA it wrote to the volume', async () => {
    const reply = await curl('https://api.example.test/repos/o/r', { proxy: proxy(), cacert: cacert() });
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toMatchObject({ method: 'GET', url: '/repos/o/r', host: 'api.example.test' });
  });

  it('refuses a request outside the allowlist with 403', async () => {
    const reply = await curl('https://api.example.test/repos/o/r', { proxy: proxy(), cacert: cacert(), args: ['-X', 'DELETE'] });
    expect(reply.status).toBe(403);
    expect(JSON.parse(reply.body)).toMatchObject({ error: 'denied', reason: 'method_not_allowed' });
  });

  it('has `mcp-egress` on the PATH for `docker exec` (env prints what a tool needs)', async () => {
    const result = await container!.exec(['mcp-egress', 'env', '--tool', 'reader', '-c', '/etc/mcp-egress/config.yaml', '--json']);
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ HTTPS_PROXY: proxy(), NODE_EXTRA_CA_CERTS: '/etc/mcp-egress/.mcp-egress/ca.pem' });
  });

  it("runs as the image's non-root user, without the build's CA variable in its environment", async () => {
    const config = await containerConfig(container!);
    expect(config.User).toBe(runsAs);
    expect(config.Env.filter((entry) => entry.startsWith('NODE_EXTRA_CA_CERTS='))).toEqual([]);
  });

  it('keeps its state on the volume, key files private, and nothing in the temp dirs', async () => {
    // audit-chain.json (the audit chain's saved position) appears once the first save is due.
    const state = readdirSync(dataDir).filter((name) => name !== 'audit-chain.json').sort();
    expect(state).toEqual(['audit.jsonl', 'ca-bundle.pem', 'ca.key', 'ca.pem', 'hmac.key']);
    // podman mounts writable tmpfs on /tmp and /var/tmp even with --read-only (Docker does not): look.
    const temp = await container!.exec(['find', '/tmp', '/var/tmp', '-mindepth', '1']);
    expect([temp.exitCode, temp.stdout]).toEqual([0, '']);
    expect(statSync(join(dataDir, 'ca.key')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataDir, 'hmac.key')).mode & 0o777).toBe(0o600);
  });

  it('stops gracefully on `docker stop`: exit code 0, both requests audited, the file ends on a whole line', async () => {
    const stopped = await stopGracefully(container!);
    container = undefined;
    expect(stopped.exitCode).toBe(0);
    expect(stopped.output).toContain('"msg":"shutting down"');
    const audit = readFileSync(join(dataDir, 'audit.jsonl'), 'utf8');
    expect(audit.endsWith('\n')).toBe(true);
    const lines = audit.trimEnd().split('\n').map((line) => JSON.parse(line) as AuditLine);
    expect(lines.map((line) => line.kind)).toEqual(['header', 'request', 'request', 'checkpoint']);
    expect((await verifyChain([join(dataDir, 'audit.jsonl')])).break).toBeNull();
    const events = lines.filter((line) => line.kind === 'request');
    expect(events).toMatchObject([
      { tool: 'reader', decision: { action: 'allow' } },
      { tool: 'reader', decision: { action: 'deny', reason: 'method_not_allowed' } },
    ]);
    expect(audit + stopped.output).not.toContain(READER_SECRET);
  }, CONTAINER_TIMEOUT_MS);
}

interface AuditLine {
  readonly kind: string;
  readonly tool: string | null;
  readonly decision: { readonly action: string; readonly reason?: string };
}

/**
 * A user's config as the README shows it, mounted over the image's. It leaves `dataDir` out on purpose:
 * relative to the file that is /etc/mcp-egress/.mcp-egress, which the image points at the /data volume.
 */
function mountedConfig(proxyPort: number, adminPort: number, backendPort: number): string {
  return `listen: 127.0.0.1:${proxyPort}
admin: 127.0.0.1:${adminPort}
mode: enforce
upstream:
  ca: ./backend-ca.pem
  resolve:
    api.example.test:443: 127.0.0.1:${backendPort}
tools:
  reader:
    secretEnv: READER_PROXY_SECRET
    allow:
      - host: api.example.test
        methods: [GET]
        paths: ["/repos/**"]
`;
}

/**
 * A host directory for /data that the container's user owns (the proxy makes its data dir private, so
 * it must own it): chowned to the image's user when the tests run as root, else the container runs as
 * the test's own user.
 */
function dataVolume(): { dir: string; user?: string } {
  const dir = tempDir('egress-container-data-');
  const uid = process.getuid?.() ?? IMAGE_UID;
  if (uid === 0) {
    chownSync(dir, IMAGE_UID, IMAGE_UID);
    return { dir };
  }
  return uid === IMAGE_UID ? { dir } : { dir, user: `${uid}:${process.getgid?.() ?? uid}` };
}

interface NoConfigCase {
  readonly name: string;
  readonly command?: readonly string[];
  readonly caPath: string;
}

function noConfigSuite(): void {
  // No mount at all: /data is the image's anonymous volume. Network "none" leaves the container only
  // its own loopback, where the HEALTHCHECK asks the admin port (9090 in both defaults).
  const cases: readonly NoConfigCase[] = [
    { name: "the image's default config", caPath: '/data/ca.pem' },
    { name: 'the embedded default (`start` without -c)', command: ['start'], caPath: '/data/.mcp-egress/ca.pem' },
  ];
  const started: StartedTestContainer[] = [];
  afterAll(async () => {
    await Promise.all(started.map((container) => container.stop({ timeout: 0 })));
  }, CONTAINER_TIMEOUT_MS);

  it.each(cases)('$name: starts healthy with its state on /data, and stops with exit code 0', async ({ command, caPath }) => {
    const image = new HardenedContainer()
      .withNetworkMode('none')
      .withWaitStrategy(Wait.forLogMessage('"msg":"listening"'))
      .withStartupTimeout(30_000);
    if (command !== undefined) image.withCommand([...command]);
    const container = await image.start();
    started.push(container);
    expect((await runHealthcheck(container)).exitCode).toBe(0);
    const stopped = await stopGracefully(container);
    started.splice(started.indexOf(container), 1);
    expect(stopped.exitCode).toBe(0);
    expect(stopped.output).toContain(`interception CA: ${caPath}`);
  }, CONTAINER_TIMEOUT_MS);
}
