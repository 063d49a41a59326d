/**
 * Defects 6 and 8 of http-mitm-proxy 1.1.0: the CONNECT reply went out in several writes (clients that
 * read the status line and headers in one read broke), and hop-by-hop headers were forwarded both ways
 * (only Proxy-* was dropped). Here every CONNECT reply is one write, and Connection, the headers it
 * names, Keep-Alive, TE, Upgrade and every Proxy-* header stop at the proxy in both directions.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startBackend, type Backend } from '../../helpers/backend.js';
import { makeBackendPki } from '../../helpers/pki.js';
import { startTestProxy, type TestProxy } from '../../helpers/proxy.js';
import { AGENT_AUTH, AGENT_ENV, agentConfig, codedBody, exchange, expectNoSecretsIn, openTlsTunnel, rawConnect, type RawResponse } from './harness.js';
import { muteConsole, startUnfixedLibrary, unmuteConsole, useControlRig, type UnfixedLibrary } from './unfixed-library.js';

let tlsBackend: Backend;
let plainBackend: Backend;
let proxy: TestProxy;
let proxyCa: string;

beforeAll(async () => {
  const pki = makeBackendPki();
  tlsBackend = await startBackend({ pki });
  plainBackend = await startBackend();
  const resolve = { 'api.example.test:443': `127.0.0.1:${tlsBackend.port}`, 'api.example.test:80': `127.0.0.1:${plainBackend.port}` };
  proxy = await startTestProxy(agentConfig({ resolve, ca: [pki.caCert] }), { env: AGENT_ENV });
  proxyCa = readFileSync(proxy.caCert, 'utf8');
});

afterAll(async () => {
  await proxy?.stop();
  await tlsBackend?.close();
  await plainBackend?.close();
});

/** A complete response head (status line, header lines, blank line) and not a byte more. */
const COMPLETE_HEAD_ONLY = /^HTTP\/1\.1 200 [^\r\n]*\r\n(?:[^\r\n]+\r\n)*\r\n$/;

/**
 * The CONNECT exchange, recording every write the server side makes on the accepted socket until the
 * client's first read. In one process on loopback, separate writes made in one tick usually arrive
 * coalesced, so the first chunk alone could not show a split reply; the recorded writes can.
 */
async function connectWithRecordedWrites(serverPort: number, authority: string, auth?: string) {
  const writes: string[] = [];
  const write = net.Socket.prototype.write;
  const spy = vi.spyOn(net.Socket.prototype, 'write').mockImplementation(function (this: net.Socket, ...args: unknown[]) {
    if (this.localPort === serverPort) writes.push(String(args[0]));
    return (write as (...a: unknown[]) => boolean).apply(this, args);
  });
  try {
    const { socket, firstChunk } = await rawConnect(serverPort, authority, auth);
    socket.destroy();
    return { writes, firstChunk: firstChunk.toString('latin1') };
  } finally {
    spy.mockRestore();
  }
}

describe('6. the CONNECT reply is written in one piece', () => {
  it('writes the whole 200 head in one write, which the client reads in one chunk', async () => {
    const { writes, firstChunk } = await connectWithRecordedWrites(proxy.port, 'api.example.test:443', AGENT_AUTH);
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatch(COMPLETE_HEAD_ONLY);
    expect(firstChunk).toMatch(COMPLETE_HEAD_ONLY);
  });

  it.each([
    { name: 'a missing credential (407)', auth: undefined, status: 407, reason: 'proxy_auth_missing' },
    { name: 'a host no rule names (403)', auth: AGENT_AUTH, status: 403, reason: 'no_rule_for_host', authority: 'elsewhere.test:443' },
  ])('puts the whole refusal for $name in the first chunk', async ({ auth, status, reason, authority }) => {
    const { socket, firstChunk } = await rawConnect(proxy.port, authority ?? 'api.example.test:443', auth);
    socket.destroy();
    const text = firstChunk.toString('latin1');
    expect(text.startsWith(`HTTP/1.1 ${status} `)).toBe(true);
    const body = text.slice(text.indexOf('\r\n\r\n') + 4);
    expect(codedBody(body).reason).toBe(reason);
  });

  describe('unfixed library (control)', () => {
    let library: UnfixedLibrary;
    const writes: string[] = [];

    beforeAll(async () => {
      muteConsole();
      library = await startUnfixedLibrary();
      // Records the library's writes on the client socket and delivers each in its own event-loop turn,
      // as a real network may deliver separate segments: on loopback in one process they would coalesce.
      library.library.onConnect((_req, socket, _head, callback) => {
        const write = socket.write.bind(socket) as (chunk: Buffer | string) => boolean;
        let delivered = Promise.resolve();
        socket.write = ((chunk: Buffer | string) => {
          writes.push(chunk.toString());
          delivered = delivered.then(() => new Promise((resolve) => setTimeout(() => resolve(void write(chunk)), 20)));
          return true;
        }) as typeof socket.write;
        callback(null);
      });
    });

    afterAll(async () => {
      library?.close();
      await unmuteConsole();
    });

    it('writes the 200 head in pieces, so the first read holds an incomplete head', async () => {
      const { socket, firstChunk } = await rawConnect(library.port, 'api.example.test:443');
      socket.destroy();
      expect(writes.length).toBeGreaterThan(1);
      expect(firstChunk.toString('latin1')).not.toMatch(COMPLETE_HEAD_ONLY);
    });
  });
});

const HOP_BY_HOP_REQUEST_HEADERS = [
  'Connection: x-custom, keep-alive',
  'X-Custom: v',
  'Keep-Alive: timeout=5, max=10',
  'TE: trailers',
  'Proxy-Connection: keep-alive',
  'Upgrade: h2c',
  'X-End-To-End: kept',
];
const STRIPPED_REQUEST_HEADERS = ['x-custom', 'keep-alive', 'te', 'proxy-authorization', 'proxy-connection', 'upgrade'];

/** The probe shared with the control: one /hop request carrying every kind of hop-by-hop header. */
function hopProbe(socket: Duplex, requestLine: string, host: string, auth: string): Promise<RawResponse> {
  return exchange(socket, [requestLine, `Host: ${host}`, `Proxy-Authorization: ${auth}`, ...HOP_BY_HOP_REQUEST_HEADERS]);
}

function headerNames(rawHeaders: readonly string[]): string[] {
  return rawHeaders.filter((_, i) => i % 2 === 0).map((name) => name.toLowerCase());
}

function expectOnlyEndToEndArrived(backend: Backend): void {
  const received = backend.requests.at(-1)!;
  const names = headerNames(received.rawHeaders);
  for (const name of STRIPPED_REQUEST_HEADERS) expect(names).not.toContain(name);
  // The proxy's own upstream connection may say keep-alive; it must not repeat what the client listed.
  expect(received.headers.connection ?? '').not.toContain('x-custom');
  expect(received.headers['x-end-to-end']).toBe('kept');
}

function expectOnlyEndToEndReturned(reply: RawResponse): void {
  expect(reply.status).toBe(200);
  expect(reply.headers.has('x-upstream-hop')).toBe(false);
  expect(reply.headers.get('connection')?.join() ?? '').not.toContain('x-upstream-hop');
  // Node may describe its own client connection with Keep-Alive; the upstream's value must not pass.
  expect(reply.headers.get('keep-alive')?.join() ?? '').not.toContain('timeout=5');
  expect(reply.headers.get('x-end')).toEqual(['kept']);
}

describe('8. hop-by-hop headers stop at the proxy', () => {
  it('inside a TLS tunnel: forwards only end-to-end headers both ways', async () => {
    const tunnel = await openTlsTunnel(proxy.port, 'api.example.test:443', { ca: proxyCa, host: 'api.example.test' }, AGENT_AUTH);
    try {
      const reply = await hopProbe(tunnel, 'GET /hop HTTP/1.1', 'api.example.test', 'Basic bm90LXRoZS1zZWNyZXQ=');
      expectOnlyEndToEndReturned(reply);
      expectOnlyEndToEndArrived(tlsBackend);
    } finally {
      tunnel.destroy();
    }
  });

  it('for absolute-form http://: forwards only end-to-end headers both ways, the proxy credential included', async () => {
    const socket = net.connect({ host: '127.0.0.1', port: proxy.port });
    try {
      const reply = await hopProbe(socket, 'GET http://api.example.test/hop HTTP/1.1', 'api.example.test', AGENT_AUTH);
      expectOnlyEndToEndReturned(reply);
      expectOnlyEndToEndArrived(plainBackend);
    } finally {
      socket.destroy();
    }
    expectNoSecretsIn(proxy);
  });

  it('refuses an upgrade the client asks for by Connection: Upgrade (h2c) with a coded 400; nothing is forwarded', async () => {
    const before = tlsBackend.requests.length;
    const tunnel = await openTlsTunnel(proxy.port, 'api.example.test:443', { ca: proxyCa, host: 'api.example.test' }, AGENT_AUTH);
    try {
      const reply = await exchange(tunnel, ['GET /hop HTTP/1.1', 'Host: api.example.test', 'Connection: Upgrade, HTTP2-Settings', 'Upgrade: h2c', 'HTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA']);
      expect(reply.status).toBe(400);
      expect(codedBody(reply.body).reason).toBe('unsupported_protocol');
    } finally {
      tunnel.destroy();
    }
    expect(tlsBackend.requests.length).toBe(before);
  });

  // Transfer-Encoding is hop-by-hop too: the proxy drops the client's and must frame the body again.
  it.each(['GET', 'DELETE', 'OPTIONS', 'POST'])('re-frames a chunked %s body, so no byte of it is parsed upstream as a request', async (method) => {
    const smuggled = 'GET /smuggled HTTP/1.1\r\nHost: api.example.test\r\n\r\n';
    const chunked = `${smuggled.length.toString(16)}\r\n${smuggled}\r\n0\r\n\r\n`;
    const before = tlsBackend.requests.length;
    const tunnel = await openTlsTunnel(proxy.port, 'api.example.test:443', { ca: proxyCa, host: 'api.example.test' }, AGENT_AUTH);
    try {
      const reply = await exchange(tunnel, [`${method} /first HTTP/1.1`, 'Host: api.example.test', 'Transfer-Encoding: chunked'], chunked);
      expect(reply.status).toBe(200);
    } finally {
      tunnel.destroy();
    }
    const received = tlsBackend.requests.slice(before);
    expect(received.map((r) => [r.method, r.url, r.body])).toEqual([[method, '/first', smuggled]]);
  });

  describe('unfixed library (control)', () => {
    const rig = useControlRig();

    it('forwards Connection-listed, TE, Keep-Alive and Upgrade headers and returns the upstream hop headers', async () => {
      const { library, backend } = rig();
      const socket = net.connect({ host: '127.0.0.1', port: library.port });
      try {
        const reply = await hopProbe(socket, `GET http://127.0.0.1:${backend.port}/hop HTTP/1.1`, `127.0.0.1:${backend.port}`, 'Basic eDp5');
        expect(() => expectOnlyEndToEndReturned(reply)).toThrow();
        expect(() => expectOnlyEndToEndArrived(backend)).toThrow();
        expect(headerNames(backend.requests.at(-1)!.rawHeaders)).toEqual(expect.arrayContaining(['x-custom', 'te', 'upgrade']));
        expect(reply.headers.get('x-upstream-hop')).toEqual(['secret-hop']);
      } finally {
        socket.destroy();
      }
    });
  });
});
