/**
 * Defects 4 and 5 of http-mitm-proxy 1.1.0: no backpressure (its response filter's write() always said
 * "go on", so a slow client made the proxy buffer the whole upstream body in memory) and no keep-alive
 * upstream (a new connection per request). Here a client that stops reading stops the upstream, an
 * upstream that stops reading stops the client's upload, and connections are pooled on both sides.
 */
import http from 'node:http';
import net from 'node:net';
import { Readable } from 'node:stream';
import { readFileSync } from 'node:fs';
import { ProxyAgent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackend, type Backend } from '../../helpers/backend.js';
import { makeBackendPki } from '../../helpers/pki.js';
import { startTestProxy, type TestProxy } from '../../helpers/proxy.js';
import { AGENT_AUTH, AGENT_ENV, AGENT_SECRET, agentConfig, auditEventsWhere, bounded, delay, expectNoSecretsIn, settledValue } from './harness.js';
import { useControlRig } from './unfixed-library.js';

const MB = 1024 * 1024;
const TOTAL = 64 * MB;
/**
 * Far below 64 MB, above what the socket buffers along the path hold once full (7-12 MB on loopback
 * here: kernel send and receive buffers on two TCP connections, plus stream high-water marks).
 */
const BUFFER_BOUND = 16 * MB;
/** How long the client or the upstream sits idle before the test looks (a sampling delay, not a pass/fail timing). */
const IDLE_MS = 1_500;

let tlsBackend: Backend;
let poolBackend: Backend;
let plainBackend: Backend;
let absoluteFormBackend: Backend;
let tunnelledHttpBackend: Backend;
let proxy: TestProxy;
let agent: ProxyAgent;

beforeAll(async () => {
  const pki = makeBackendPki(['api.example.test', 'pool.example.test']);
  tlsBackend = await startBackend({ pki });
  poolBackend = await startBackend({ pki });
  plainBackend = await startBackend();
  absoluteFormBackend = await startBackend();
  tunnelledHttpBackend = await startBackend();
  const resolve = {
    'api.example.test:443': `127.0.0.1:${tlsBackend.port}`,
    'pool.example.test:443': `127.0.0.1:${poolBackend.port}`,
    'plain.example.test:80': `127.0.0.1:${plainBackend.port}`,
    'absolute.example.test:80': `127.0.0.1:${absoluteFormBackend.port}`,
    'tunnelled.example.test:80': `127.0.0.1:${tunnelledHttpBackend.port}`,
  };
  // Transport behaviour alone: a 64 MB upload cannot be held for the exfiltration scan (that refusal,
  // request_body_too_large, is specified in test/integration/exfiltration.test.ts).
  const scrubOff = ['scrub:', '  requests: "off"', '  responses: "off"'];
  proxy = await startTestProxy(agentConfig({ resolve, ca: [pki.caCert], extraLines: scrubOff }), { env: AGENT_ENV });
  agent = new ProxyAgent({ uri: proxy.url('agent', AGENT_SECRET), requestTls: { ca: readFileSync(proxy.caCert, 'utf8') }, connections: 1 });
});

afterAll(async () => {
  await agent?.close();
  await proxy?.stop();
  for (const backend of [tlsBackend, poolBackend, plainBackend, absoluteFormBackend, tunnelledHttpBackend]) await backend?.close();
});

/** The probe shared with the control: an absolute-form download whose client never reads. */
function unreadDownload(proxyPort: number, url: string, auth?: string): net.Socket {
  const socket = net.connect({ host: '127.0.0.1', port: proxyPort });
  socket.on('error', () => socket.destroy());
  socket.pause();
  const headers = [`GET ${url} HTTP/1.1`, `Host: ${new URL(url).host}`, ...(auth ? [`Proxy-Authorization: ${auth}`] : [])];
  socket.write(`${headers.join('\r\n')}\r\n\r\n`);
  return socket;
}

/** The probe shared with the control: `count` absolute-form GETs, one after another, on a keep-alive client. */
async function sequentialGets(proxyPort: number, url: string, count: number, auth?: string) {
  const client = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const clientSockets = new Set<net.Socket>();
  const statuses: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const status = await bounded(new Promise<number>((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port: proxyPort, path: `${url}?i=${i}`, agent: client, headers: auth ? { 'proxy-authorization': auth } : {} });
        req.on('socket', (socket) => clientSockets.add(socket));
        req.on('response', (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.end();
      }), `request ${i} to ${url}`);
      statuses.push(status);
    }
  } finally {
    client.destroy();
  }
  return { statuses, clientConnections: clientSockets.size };
}

async function countBody(body: AsyncIterable<Buffer>): Promise<{ bytes: number; intact: boolean }> {
  let bytes = 0;
  let intact = true;
  for await (const chunk of body) {
    bytes += chunk.length;
    if (!chunk.equals(Buffer.alloc(chunk.length, 'x'))) intact = false;
  }
  return { bytes, intact };
}

describe('4. backpressure both ways', () => {
  it('stops reading the upstream while the client does not read, then delivers all 64 MB intact', async () => {
    tlsBackend.streamedBytes = 0;
    const res = await request('https://api.example.test/stream?mb=64', { dispatcher: agent });
    try {
      expect(res.statusCode).toBe(200);
      await delay(IDLE_MS);
      expect(await settledValue(() => tlsBackend.streamedBytes)).toBeLessThan(BUFFER_BOUND);
      expect(await countBody(res.body)).toEqual({ bytes: TOTAL, intact: true });
    } finally {
      res.body.destroy(); // a failed assertion must not leave the shared one-connection agent busy
    }
    expect(tlsBackend.streamedBytes).toBe(TOTAL);
    await auditEventsWhere(proxy, (e) => e.request.path === '/stream' && e.response.bytes === TOTAL);
  });

  it('stops reading the client upload while the upstream does not read, then forwards all 64 MB', async () => {
    let pulled = 0;
    async function* upload(): AsyncGenerator<Buffer> {
      const chunk = Buffer.alloc(64 * 1024, 'u');
      while (pulled < TOTAL) {
        pulled += chunk.length;
        yield chunk;
      }
    }
    const reply = request('https://api.example.test/hold-upload', { dispatcher: agent, method: 'POST', body: Readable.from(upload()) });
    reply.catch(() => undefined);
    try {
      await delay(IDLE_MS);
      expect(pulled).toBeGreaterThan(0);
      expect(await settledValue(() => pulled)).toBeLessThan(BUFFER_BOUND);
      expect(tlsBackend.requests.some((r) => r.url === '/hold-upload')).toBe(false);
    } finally {
      tlsBackend.releaseHeldUploads(); // also on failure: the shared one-connection agent must not stay busy
    }
    const res = await bounded(reply, 'upload response');
    expect(res.statusCode).toBe(200);
    expect(await res.body.json()).toEqual({ bytes: TOTAL });
  });

  it('stops reading the upstream for an absolute-form http:// client that does not read', async () => {
    plainBackend.streamedBytes = 0;
    const socket = unreadDownload(proxy.port, 'http://plain.example.test/stream?mb=64', AGENT_AUTH);
    try {
      await delay(IDLE_MS);
      expect(plainBackend.streamedBytes).toBeGreaterThan(0);
      expect(await settledValue(() => plainBackend.streamedBytes)).toBeLessThan(BUFFER_BOUND);
    } finally {
      socket.destroy();
    }
  });

  describe('unfixed library (control)', () => {
    const rig = useControlRig();

    it('reads the whole 64 MB upstream body into memory for a client that does not read', async () => {
      const { library, backend } = rig();
      const socket = unreadDownload(library.port, `http://127.0.0.1:${backend.port}/stream?mb=64`);
      try {
        await delay(IDLE_MS);
        expect(await settledValue(() => backend.streamedBytes)).toBe(TOTAL);
      } finally {
        socket.destroy();
      }
    });
  });
});

describe('5. keep-alive on both sides', () => {
  it('sends 20 sequential requests through one tunnel over one pooled upstream connection', async () => {
    const tunnelsBefore = new Set(proxy.auditEvents().map((event) => event.tunnel_id));
    for (let i = 0; i < 20; i++) {
      const res = await request(`https://pool.example.test/n/${i}`, { dispatcher: agent });
      expect(res.statusCode).toBe(200);
      await res.body.text();
    }
    expect(poolBackend.requests).toHaveLength(20);
    expect(poolBackend.connections).toBe(1);
    const fresh = await auditEventsWhere(proxy, (event) => event.request.host === 'pool.example.test' && !tunnelsBefore.has(event.tunnel_id), 20);
    expect(new Set(fresh.map((event) => event.tunnel_id)).size).toBe(1);
  });

  it('reuses one client connection and one upstream connection for absolute-form http:// requests', async () => {
    const result = await sequentialGets(proxy.port, 'http://absolute.example.test/n', 20, AGENT_AUTH);
    expect(result.statuses).toEqual(Array.from({ length: 20 }, () => 200));
    expect(result.clientConnections).toBe(1);
    expect(absoluteFormBackend.requests).toHaveLength(20);
    expect(absoluteFormBackend.connections).toBe(1);
    expectNoSecretsIn(proxy);
  });

  it('reuses one upstream connection for http:// URLs that undici tunnels through CONNECT', async () => {
    const tunnelAgent = new ProxyAgent({ uri: proxy.url('agent', AGENT_SECRET), connections: 1 });
    try {
      for (let i = 0; i < 20; i++) {
        const res = await request(`http://tunnelled.example.test/n/${i}`, { dispatcher: tunnelAgent });
        expect(res.statusCode).toBe(200);
        await res.body.text();
      }
    } finally {
      await tunnelAgent.close();
    }
    expect(tunnelledHttpBackend.requests).toHaveLength(20);
    expect(tunnelledHttpBackend.connections).toBe(1);
    const events = await auditEventsWhere(proxy, (event) => event.request.host === 'tunnelled.example.test', 20);
    expect(events.map((event) => [event.request.scheme, event.response.status])).toEqual(events.map(() => ['http', 200]));
    expect(new Set(events.map((event) => event.tunnel_id))).toEqual(new Set([expect.any(String)]));
  });

  describe('unfixed library (control)', () => {
    const rig = useControlRig();

    it('opens a new upstream connection for every request', async () => {
      const { library, backend } = rig();
      const before = backend.connections;
      const result = await sequentialGets(library.port, `http://127.0.0.1:${backend.port}/n`, 20);
      expect(result.statuses.every((status) => status === 200)).toBe(true);
      expect(backend.connections - before).toBe(20);
    });
  });
});
