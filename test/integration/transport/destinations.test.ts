/**
 * Defects 7(g) and 10 of http-mitm-proxy 1.1.0: IPv6 literal targets were split at the first colon, and
 * any name was dialled wherever it resolved, loopback included (SSRF against the proxy's own host).
 * Here a bracketed IPv6 target works end to end, and in the default report-mode anonymous setup a name
 * or literal resolving to loopback is refused as ssrf_loopback before any dial, unless the operator
 * mapped it in upstream.resolve.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { ProxyAgent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackend, type Backend } from '../../helpers/backend.js';
import { makeBackendPki } from '../../helpers/pki.js';
import { startTestProxy, type TestProxy } from '../../helpers/proxy.js';
import { auditEventWithId, auditEventsWhere, codedBody, exchange, openTlsTunnel } from './harness.js';
import { muteConsole, startUnfixedLibrary, unmuteConsole } from './unfixed-library.js';

let tlsBackend: Backend;
let plainBackend: Backend;
let v6Backend: Backend;
let proxy: TestProxy;
let proxyCa: string;
let agent: ProxyAgent;

beforeAll(async () => {
  const pki = makeBackendPki();
  tlsBackend = await startBackend({ pki });
  plainBackend = await startBackend();
  v6Backend = await startBackend({ pki, host: '::1' });
  // The default deployment shape: report mode, no tools (anonymous), only the operator's resolve map.
  const yaml = [
    'mode: report',
    'upstream:',
    `  ca: ${JSON.stringify(pki.caCert)}`,
    '  resolve:',
    `    "[::1]:443": "[::1]:${v6Backend.port}"`,
    `    "api.example.test:443": "127.0.0.1:${tlsBackend.port}"`,
    `    "api.example.test:80": "127.0.0.1:${plainBackend.port}"`,
  ].join('\n');
  proxy = await startTestProxy(yaml);
  proxyCa = readFileSync(proxy.caCert, 'utf8');
  agent = new ProxyAgent({ uri: proxy.url(), requestTls: { ca: proxyCa } });
});

afterAll(async () => {
  await agent?.close();
  await proxy?.stop();
  for (const backend of [tlsBackend, plainBackend, v6Backend]) await backend?.close();
});

/** An absolute-form request written by hand, as an HTTP client configured with HTTP_PROXY sends it. */
async function absoluteForm(url: string): Promise<{ status: number; body: string }> {
  const socket = net.connect({ host: '127.0.0.1', port: proxy.port });
  try {
    const reply = await exchange(socket, [`GET ${url} HTTP/1.1`, `Host: ${new URL(url).host}`, 'Connection: close']);
    return { status: reply.status, body: reply.body.toString() };
  } finally {
    socket.destroy();
  }
}

async function throughTunnel(url: string): Promise<{ status: number; body: string }> {
  const res = await request(url, { dispatcher: agent });
  return { status: res.statusCode, body: await res.body.text() };
}

function requestsSeen(): number {
  return tlsBackend.requests.length + plainBackend.requests.length + v6Backend.requests.length;
}

describe('10. names and literals that reach loopback are refused, unless mapped by the operator', () => {
  const loopbackTargets = [
    { via: 'absolute-form', url: () => `http://localhost:${plainBackend.port}/admin`, send: absoluteForm },
    { via: 'CONNECT tunnel', url: () => `https://localhost:${tlsBackend.port}/admin`, send: throughTunnel },
    { via: 'absolute-form', url: () => `http://127.0.0.1:${plainBackend.port}/admin`, send: absoluteForm },
    { via: 'absolute-form', url: () => `http://127.9.9.9:${plainBackend.port}/admin`, send: absoluteForm },
    { via: 'CONNECT tunnel', url: () => `https://[::1]:${v6Backend.port}/admin`, send: throughTunnel },
  ];

  it.each(loopbackTargets)('refuses $via to a loopback destination with 403 ssrf_loopback, dialling nothing', async ({ url, send }) => {
    const before = requestsSeen();
    const connectionsBefore = tlsBackend.connections + plainBackend.connections + v6Backend.connections;
    const reply = await send(url());
    expect(reply.status).toBe(403);
    const body = codedBody(reply.body);
    expect(body).toMatchObject({ error: 'denied', reason: 'ssrf_loopback' });
    expect(requestsSeen()).toBe(before);
    expect(tlsBackend.connections + plainBackend.connections + v6Backend.connections).toBe(connectionsBefore);
    expect(await auditEventWithId(proxy, body.request_id)).toMatchObject({ decision: { action: 'deny', reason: 'ssrf_loopback' }, destination: null });
  });

  it.each([
    { via: 'CONNECT tunnel', path: '/mapped-tls', url: 'https://api.example.test/mapped-tls', send: throughTunnel },
    { via: 'absolute-form', path: '/mapped-plain', url: 'http://api.example.test/mapped-plain', send: absoluteForm },
  ])('forwards $via to a name the operator mapped to loopback in upstream.resolve', async ({ path, url, send }) => {
    const reply = await send(url);
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toMatchObject({ url: path, host: 'api.example.test' });
    const [event] = await auditEventsWhere(proxy, (e) => e.request.path === path);
    expect(event).toMatchObject({ destination: { address: '127.0.0.1', via: 'resolve_map' } });
  });
});

describe('10. unfixed library (control)', () => {
  it('dials a name that resolves to loopback and returns what the local service said', async () => {
    muteConsole();
    const library = await startUnfixedLibrary();
    const before = plainBackend.requests.length;
    try {
      const socket = net.connect({ host: '127.0.0.1', port: library.port });
      const url = `http://localhost:${plainBackend.port}/admin`;
      const reply = await exchange(socket, [`GET ${url} HTTP/1.1`, `Host: localhost:${plainBackend.port}`, 'Connection: close']);
      socket.destroy();
      expect(reply.status).toBe(200);
      expect(plainBackend.requests.length).toBe(before + 1);
    } finally {
      library.close();
      await unmuteConsole();
    }
  });
});

describe('7(g). IPv6 literal targets', () => {
  it('forwards https://[::1]/ through a CONNECT tunnel to the mapped [::1] backend', async () => {
    const reply = await throughTunnel('https://[::1]/v6?q=1');
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toMatchObject({ url: '/v6?q=1', host: '[::1]' });
    expect(v6Backend.requests.at(-1)?.url).toBe('/v6?q=1');
    const [event] = await auditEventsWhere(proxy, (e) => e.request.path === '/v6');
    expect(event).toMatchObject({
      request: { scheme: 'https', host: '::1', port: 443, path: '/v6' },
      destination: { address: '::1', via: 'resolve_map' },
    });
  });

  it('presents a leaf for [::1] carrying an IP SAN and no DNS name', async () => {
    const tunnel = await openTlsTunnel(proxy.port, '[::1]:443', { ca: proxyCa, host: '::1' });
    try {
      expect(tunnel.getPeerX509Certificate()?.subjectAltName).toBe('IP Address:0:0:0:0:0:0:0:1');
      const reply = await exchange(tunnel, ['GET /raw HTTP/1.1', 'Host: [::1]']);
      expect(reply.status).toBe(200);
    } finally {
      tunnel.destroy();
    }
  });
});
