/**
 * WebSocket upgrades through the proxy (undici's WebSocket over a CONNECT tunnel, a `ws` echo server
 * behind TLS): the upgrade is judged like any request (GET + path), spliced after the 101, and audited.
 */
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { ProxyAgent, WebSocket } from 'undici';
import { WebSocketServer } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeBackendPki } from '../helpers/pki.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';

const SECRET = 'ws-tool-Secr3t-77aa88bb99cc';
let server: https.Server;
let upgradeHeaders: Record<string, string | string[] | undefined>[] = [];
let proxy: TestProxy;
let agent: ProxyAgent;

beforeAll(async () => {
  const pki = makeBackendPki();
  server = https.createServer({ key: readFileSync(pki.leafKey), cert: readFileSync(pki.leafCert) });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (socket, req) => {
    upgradeHeaders.push(req.headers);
    socket.on('message', (data) => socket.send(`echo:${String(data)}`));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  proxy = await startTestProxy(
    `mode: enforce
upstream:
  ca: ${pki.caCert}
  resolve:
    api.example.test:443: 127.0.0.1:${port}
tools:
  socket:
    secretEnv: WS_SECRET
    actor: { principal: bot, type: automation }
    allow:
      - host: api.example.test
        methods: [GET]
        paths: ["/socket/**"]
`,
    { env: { WS_SECRET: SECRET } },
  );
  agent = new ProxyAgent({ uri: proxy.url('socket', SECRET), requestTls: { ca: readFileSync(proxy.caCert, 'utf8') } });
});

afterAll(async () => {
  await agent?.close();
  await proxy?.stop();
  server?.closeAllConnections();
  server?.close();
});

function open(url: string): Promise<{ ws: WebSocket; opened: boolean }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { dispatcher: agent });
    ws.addEventListener('open', () => resolve({ ws, opened: true }));
    ws.addEventListener('error', () => resolve({ ws, opened: false }));
  });
}

describe('WebSocket upgrades', () => {
  it('are allowed by a GET rule, spliced both ways after the 101, and audited with status 101', async () => {
    upgradeHeaders = [];
    const { ws, opened } = await open('wss://api.example.test/socket/v1');
    expect(opened).toBe(true);
    const reply = new Promise<string>((resolve) => ws.addEventListener('message', (event) => resolve(String(event.data))));
    ws.send('hello');
    expect(await reply).toBe('echo:hello');
    const closed = new Promise((resolve) => ws.addEventListener('close', resolve));
    ws.close();
    await closed;
    expect(upgradeHeaders).toHaveLength(1);
    expect(upgradeHeaders[0]?.['proxy-authorization']).toBeUndefined();
    await expect.poll(() => proxy.auditEvents().find((e) => e.request.path === '/socket/v1')?.response.status).toBe(101);
    const event = proxy.auditEvents().find((e) => e.request.path === '/socket/v1')!;
    expect(event).toMatchObject({ tool: 'socket', decision: { action: 'allow', rule_id: 'socket#0' }, result: 'forwarded' });
    expect(event.response.bytes).toBeGreaterThan(0);
    expect(proxy.auditText() + proxy.logs.join('')).not.toContain(SECRET);
  });

  it('are refused with 403 outside the rule, and the backend never sees the upgrade', async () => {
    upgradeHeaders = [];
    const { opened } = await open('wss://api.example.test/admin/socket');
    expect(opened).toBe(false);
    expect(upgradeHeaders).toHaveLength(0);
    await expect.poll(() => proxy.auditEvents().find((e) => e.request.path === '/admin/socket')?.decision.reason).toBe('path_not_allowed');
  });
});
