/**
 * Many requests through one CONNECT tunnel (as undici and every keep-alive client sends them): each is
 * judged in full whatever the tunnel's earlier requests were. A secret appearing in a header the earlier
 * requests sent clean is refused; a Host naming another authority is refused even after a match; and a
 * configuration reload mid-tunnel applies at once to the next request: the new policy and the new
 * destination, not what the tunnel worked out under the old runtime.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/load.js';
import { startBackend, type Backend } from '../../helpers/backend.js';
import { makeBackendPki } from '../../helpers/pki.js';
import { startTestProxy, type TestProxy } from '../../helpers/proxy.js';
import { AGENT_AUTH, AGENT_ENV, auditEventWithId, codedBody, exchange, expectNoSecretsIn, openTlsTunnel } from './harness.js';

const AWS_KEY = 'AKIAZ7QX3MPL4RT2VW6Y';

let first: Backend;
let second: Backend;
let proxy: TestProxy;
let proxyCa: string;
let dir: string;
let caCert: string;

/** The whole config, restart-only settings included, so a reload can change just paths and resolve. */
function configText(paths: string, backend: Backend): string {
  return [
    'mode: enforce',
    'listen: 127.0.0.1:0',
    'admin: 127.0.0.1:0',
    `dataDir: ${join(dir, 'state')}`,
    'audit:',
    '  sinks:',
    '    - type: file',
    `      path: ${join(dir, 'audit.jsonl')}`,
    'upstream:',
    `  ca: [${JSON.stringify(caCert)}]`,
    '  resolve:',
    `    "api.example.test:443": "127.0.0.1:${backend.port}"`,
    'tools:',
    '  agent:',
    '    secretEnv: AGENT_PROXY_SECRET',
    '    actor: { principal: transport-specs, type: automation }',
    '    allow:',
    `      - { host: api.example.test, methods: [GET], paths: ${paths} }`,
  ].join('\n');
}

beforeAll(async () => {
  const pki = makeBackendPki();
  caCert = pki.caCert;
  first = await startBackend({ pki });
  second = await startBackend({ pki });
  dir = mkdtempSync(join(tmpdir(), 'egress-tunnel-reuse-'));
  proxy = await startTestProxy(configText('["/repos/**"]', first), { env: AGENT_ENV, dir });
  proxyCa = readFileSync(proxy.caCert, 'utf8');
});

afterAll(async () => {
  await proxy?.stop();
  await first?.close();
  await second?.close();
});

function get(path: string, host = 'api.example.test', extra: readonly string[] = []): string[] {
  return [`GET ${path} HTTP/1.1`, `Host: ${host}`, 'User-Agent: tunnel-reuse/1.0', 'Accept: application/json', ...extra];
}

interface Step {
  readonly lines: readonly string[];
  readonly status: number;
  readonly reason?: string;
  readonly reaches?: Backend;
}

/** Sends each step on the one tunnel, in order; every reply and audit event is checked. */
async function walk(tunnel: TLSSocket, steps: readonly Step[], tunnelIds: Set<string>): Promise<void> {
  for (const step of steps) {
    const before = { first: first.requests.length, second: second.requests.length };
    const reply = await exchange(tunnel, step.lines);
    expect(reply.status, step.lines[0]).toBe(step.status);
    expect(first.requests.length - before.first).toBe(step.reaches === first ? 1 : 0);
    expect(second.requests.length - before.second).toBe(step.reaches === second ? 1 : 0);
    if (step.reason !== undefined) {
      // Refusals carry their request id: the audit shows each came through the one tunnel.
      const body = codedBody(reply.body);
      expect(body.reason).toBe(step.reason);
      const event = await auditEventWithId(proxy, body.request_id);
      tunnelIds.add(String(event.tunnel_id));
    }
  }
}

async function withTunnel(use: (tunnel: TLSSocket) => Promise<void>): Promise<void> {
  const tunnel = await openTlsTunnel(proxy.port, 'api.example.test:443', { ca: proxyCa, host: 'api.example.test' }, AGENT_AUTH);
  try {
    await use(tunnel);
  } finally {
    tunnel.destroy();
  }
}

describe('requests after the first on one tunnel are judged in full', () => {
  it('refuses a header secret the earlier requests did not carry, and a foreign Host after a match', async () => {
    const tunnelIds = new Set<string>();
    await withTunnel((tunnel) =>
      walk(tunnel, [
        { lines: get('/repos/a'), status: 200, reaches: first },
        { lines: get('/repos/b'), status: 200, reaches: first },
        { lines: get('/repos/c', 'api.example.test', [`X-Note: ${AWS_KEY}`]), status: 403, reason: 'exfiltration' },
        { lines: get('/repos/d'), status: 200, reaches: first },
        { lines: get('/repos/e', 'API.Example.Test:443'), status: 200, reaches: first },
        { lines: get('/repos/f', 'other.example.test'), status: 403, reason: 'host_mismatch' },
      ], tunnelIds),
    );
    expect(tunnelIds.size).toBe(1);
    expectNoSecretsIn(proxy, [AWS_KEY]);
  });

  it('applies a reload to the next request: the new destination and the new policy', async () => {
    const tunnelIds = new Set<string>();
    await withTunnel(async (tunnel) => {
      await walk(tunnel, [
        { lines: get('/repos/a'), status: 200, reaches: first },
        { lines: get('/repos/b', 'api.example.test', [`X-Note: ${AWS_KEY}`]), status: 403, reason: 'exfiltration' },
      ], tunnelIds);
      proxy.running.reload(parseConfigText(configText('["/orgs/**"]', second), { baseDir: dir, env: AGENT_ENV, source: join(dir, 'config.yaml') }));
      await walk(tunnel, [
        { lines: get('/orgs/c'), status: 200, reaches: second },
        { lines: get('/orgs/d', 'api.example.test', [`X-Note: ${AWS_KEY}`]), status: 403, reason: 'exfiltration' },
        { lines: get('/orgs/e'), status: 200, reaches: second },
        { lines: get('/repos/f'), status: 403, reason: 'path_not_allowed' },
      ], tunnelIds);
    });
    expect(tunnelIds.size).toBe(1);
  });

  it('keeps the connection after refusing a request that declares no body, and closes it after one that does', async () => {
    const tunnelIds = new Set<string>();
    await withTunnel(async (tunnel) => {
      await walk(tunnel, [
        // After the reload above: GET /orgs/** to the second backend.
        { lines: get('/orgs/a', 'other.example.test'), status: 403, reason: 'host_mismatch' },
        { lines: get('/nothing/b'), status: 403, reason: 'path_not_allowed' },
        { lines: get('/orgs/c'), status: 200, reaches: second },
      ], tunnelIds);
      // A refused request's unread body would be parsed as the next request: this connection must end.
      const refused = await exchange(tunnel, ['POST /orgs/d HTTP/1.1', 'Host: api.example.test', 'Content-Length: 5'], 'hello');
      expect(refused.status).toBe(403);
      expect(refused.headers.get('connection')).toEqual(['close']);
      await new Promise<void>((resolve) => (tunnel.closed ? resolve() : tunnel.once('close', () => resolve())));
    });
    expect(tunnelIds.size).toBe(1);
  });
});
