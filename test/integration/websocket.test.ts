/**
 * WebSocket upgrades through the proxy (undici's WebSocket over a CONNECT tunnel, a `ws` echo server
 * behind TLS): the upgrade is judged like any request (GET + path), spliced after the 101, and audited;
 * text frames are scrubbed both ways — the server's redacted, the client's judged for exfiltration.
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
const REDACTING_SECRET = 'ws-redact-Secr3t-11dd22ee33ff';
const GITHUB_TOKEN = 'ghp_R7c2Lq9XvB4nT8mK1pZs6YwH3dF0aJ5eGu2N';
let received: string[] = [];
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
    socket.on('message', (data) => {
      received.push(String(data));
      socket.send(String(data) === 'leak' ? `your token is ${GITHUB_TOKEN}, keep it safe` : `echo:${String(data)}`);
    });
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
  redacting:
    secretEnv: WS_REDACT_SECRET
    allow: [{ host: api.example.test }]
    scrub: { requests: redact, markers: plain }
`,
    { env: { WS_SECRET: SECRET, WS_REDACT_SECRET: REDACTING_SECRET } },
  );
  agent = new ProxyAgent({ uri: proxy.url('socket', SECRET), requestTls: { ca: readFileSync(proxy.caCert, 'utf8') } });
});

afterAll(async () => {
  await agent?.close();
  await proxy?.stop();
  server?.closeAllConnections();
  server?.close();
});

function open(url: string, dispatcher: ProxyAgent = agent): Promise<{ ws: WebSocket; opened: boolean }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { dispatcher });
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

describe('WebSocket scrubbing', () => {
  function nextMessage(ws: WebSocket): Promise<string> {
    return new Promise((resolve) => ws.addEventListener('message', (event) => resolve(String(event.data)), { once: true }));
  }

  it('negotiates no compression (frames must stay readable) and redacts a token the server sends', async () => {
    upgradeHeaders = [];
    const { ws, opened } = await open('wss://api.example.test/socket/leak');
    expect(opened).toBe(true);
    const reply = nextMessage(ws);
    ws.send('leak');
    expect(await reply).toMatch(/^your token is \[REDACTED:github_classic_pat:[0-9a-f]{8}\], keep it safe$/);
    ws.close();
    expect(upgradeHeaders[0]?.['sec-websocket-extensions']).toBeUndefined();
    await expect.poll(() => proxy.auditEvents().find((e) => e.request.path === '/socket/leak')?.scrub?.findings).toEqual([
      { action: 'redacted', kind: 'github_classic_pat', rule_id: 'github-classic-pat', location: 'response.websocket', count: 1 },
    ]);
    expect(proxy.auditText()).not.toContain(GITHUB_TOKEN);
  });

  it('stops a client message carrying a token before any of it leaves, closing both sides with 1008 (enforce, block)', async () => {
    received = [];
    const { ws, opened } = await open('wss://api.example.test/socket/exfil');
    expect(opened).toBe(true);
    const closed = new Promise<number>((resolve) => ws.addEventListener('close', (event) => resolve(event.code)));
    ws.send(`here: ${GITHUB_TOKEN}`);
    expect(await closed).toBe(1008);
    expect(received.join('')).not.toContain('ghp_');
    await expect.poll(() => proxy.auditEvents().find((e) => e.request.path === '/socket/exfil')?.scrub?.findings).toEqual([
      { action: 'blocked', kind: 'github_classic_pat', rule_id: 'github-classic-pat', location: 'request.websocket', count: 1 },
    ]);
  });

  it('redacts a client message carrying a token under requests: redact, and the exchange goes on', async () => {
    received = [];
    const redacting = new ProxyAgent({ uri: proxy.url('redacting', REDACTING_SECRET), requestTls: { ca: readFileSync(proxy.caCert, 'utf8') } });
    try {
      const { ws, opened } = await open('wss://api.example.test/socket/redact', redacting);
      expect(opened).toBe(true);
      const reply = nextMessage(ws);
      ws.send(`here: ${GITHUB_TOKEN}`);
      expect(await reply).toBe('echo:here: [REDACTED:github_classic_pat]');
      expect(received).toEqual(['here: [REDACTED:github_classic_pat]']);
      ws.close();
    } finally {
      await redacting.close();
    }
  });
});
