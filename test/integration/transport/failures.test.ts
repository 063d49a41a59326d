/**
 * Defect 7 of http-mitm-proxy 1.1.0, failure handling: garbage left sockets open, upstream failures left
 * clients hanging or got `${kind}: ${err}` (library error text, addresses) written into the response,
 * and every error was printed with console.error. Here each failure ends in a coded reply or a cut
 * connection, promptly, with the detail in the audit event only and nothing on the console.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { ProxyAgent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startBackend, type Backend } from '../../helpers/backend.js';
import { makeBackendPki } from '../../helpers/pki.js';
import { startTestProxy, type TestProxy } from '../../helpers/proxy.js';
import {
  AGENT_AUTH, AGENT_ENV, AGENT_SECRET, agentConfig, auditEventsWhere, bodyOfText, bounded, codedBody, exchange, expectNoSecretsIn, openTlsTunnel, rawConnect, readUntilClose,
} from './harness.js';
import { muteConsole, startUnfixedLibrary, unmuteConsole } from './unfixed-library.js';

let backend: Backend;
let untrustedBackend: Backend;
let closedPort: number;
let proxy: TestProxy;
let proxyCa: string;
let agent: ProxyAgent;

beforeAll(async () => {
  const pki = makeBackendPki();
  const otherPki = makeBackendPki(['untrusted.example.test']);
  backend = await startBackend({ pki });
  untrustedBackend = await startBackend({ pki: otherPki });
  closedPort = await freeLoopbackPort();
  const resolve = {
    'api.example.test:443': `127.0.0.1:${backend.port}`,
    'untrusted.example.test:443': `127.0.0.1:${untrustedBackend.port}`,
    'closed.example.test:443': `127.0.0.1:${closedPort}`,
  };
  proxy = await startTestProxy(agentConfig({ resolve, ca: [pki.caCert], upstreamLines: ['  responseTimeoutMs: 500'] }), { env: AGENT_ENV });
  proxyCa = readFileSync(proxy.caCert, 'utf8');
  agent = new ProxyAgent({ uri: proxy.url('agent', AGENT_SECRET), requestTls: { ca: proxyCa } });
});

afterAll(async () => {
  await agent?.close();
  await proxy?.stop();
  await backend?.close();
  await untrustedBackend?.close();
});

/** A loopback port nothing listens on (bound once, then released). */
function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function eventFor(path: string, reason: string) {
  return (await auditEventsWhere(proxy, (e) => e.request.path === path && e.error?.reason === reason)).at(-1)!;
}

/** Text a client must never see: library messages, errno codes, stack frames, addresses and ports. */
function expectNothingInternal(body: string, ports: readonly number[]): void {
  expect(body).not.toMatch(/certificate|CERT_|ECONN|EHOST|ENOTFOUND|Error:|socket|\n\s+at |127\.0\.0\.1|::1/);
  for (const port of ports) expect(body).not.toContain(String(port));
}

const scenarios = {
  /** (a) Garbage after a good TLS handshake: a coded 400, then the connection is closed. */
  async garbageInTlsTunnel() {
    const tunnel = await openTlsTunnel(proxy.port, 'api.example.test:443', { ca: proxyCa, host: 'api.example.test' }, AGENT_AUTH);
    tunnel.write('NOT HTTP\r\n\r\n');
    return readUntilClose(tunnel);
  },
  /** The same garbage in a plain-HTTP tunnel (first byte an upper-case letter, so served as HTTP). */
  async garbageInPlainTunnel() {
    const { socket } = await rawConnect(proxy.port, 'api.example.test:80', AGENT_AUTH);
    socket.write('NOT HTTP\r\n\r\n');
    return readUntilClose(socket);
  },
  /** Bytes that are neither TLS nor HTTP as a tunnel's first flight: the tunnel is closed. */
  async binaryInTunnel() {
    const { socket } = await rawConnect(proxy.port, 'api.example.test:443', AGENT_AUTH);
    socket.write(Buffer.from([0x00, 0x01, 0x02, 0x03]));
    return readUntilClose(socket);
  },
  /** (b) The upstream resets mid-body: the client's body read fails. */
  async upstreamReset() {
    const res = await request('https://api.example.test/reset', { dispatcher: agent });
    return bounded(res.body.arrayBuffer().then(() => null, (error: unknown) => error), 'body of /reset');
  },
  /** (c) The upstream never answers: 504 after upstream.responseTimeoutMs. */
  async upstreamHangs() {
    const res = await bounded(request('https://api.example.test/hang', { dispatcher: agent }), 'reply to /hang');
    return { status: res.statusCode, body: await res.body.text() };
  },
  /** (f) The upstream's certificate is signed by a CA not in upstream.ca. */
  async untrustedUpstream() {
    const res = await request('https://untrusted.example.test/secret-path', { dispatcher: agent });
    return { status: res.statusCode, body: await res.body.text() };
  },
  async refusedUpstream() {
    const res = await request('https://closed.example.test/nobody-home', { dispatcher: agent });
    return { status: res.statusCode, body: await res.body.text() };
  },
  /** A TLS record that is not a ClientHello: the handshake fails, the tunnel is closed. */
  async malformedClientHello() {
    const { socket } = await rawConnect(proxy.port, 'api.example.test:443', AGENT_AUTH);
    socket.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x05, 0x0f, 0x00, 0x00, 0x01, 0x00]));
    return readUntilClose(socket);
  },
  /** The client does not trust the proxy CA (Node checks after the handshake, then just closes). */
  async clientDistrustsProxy() {
    const { socket } = await rawConnect(proxy.port, 'api.example.test:443', AGENT_AUTH);
    const distrusting = tls.connect({ socket, servername: 'api.example.test' });
    distrusting.on('error', () => distrusting.destroy());
    return readUntilClose(distrusting);
  },
  /** The client hangs up in the middle of a large response. */
  async clientAbortsMidBody() {
    const res = await request('https://api.example.test/stream?mb=8', { dispatcher: agent });
    for await (const _chunk of res.body) {
      res.body.destroy();
      break;
    }
    return null;
  },
};

describe('7. failures end promptly, coded, and quietly', () => {
  it.each([
    { tunnel: 'TLS', run: () => scenarios.garbageInTlsTunnel() },
    { tunnel: 'plain-HTTP', run: () => scenarios.garbageInPlainTunnel() },
  ])('(a) answers garbage inside a $tunnel tunnel with a coded 400 and closes the connection', async ({ run }) => {
    const reply = await run();
    expect(reply.closed).toBe(true);
    expect(reply.text).toMatch(/^HTTP\/1\.1 400 /);
    expect(codedBody(bodyOfText(reply.text))).toMatchObject({ error: 'bad_request', reason: 'bad_request' });
  });

  it('(a) closes a tunnel whose first bytes are neither TLS nor HTTP', async () => {
    const reply = await scenarios.binaryInTunnel();
    expect(reply.closed).toBe(true);
  });

  it('(a) closes a tunnel whose TLS handshake fails, audited as client_tls_failed', async () => {
    const reply = await scenarios.malformedClientHello();
    expect(reply.closed).toBe(true);
    expect(reply.text).not.toContain('HTTP/'); // at most a TLS alert: nothing in clear text
    await auditEventsWhere(proxy, (e) => e.error?.reason === 'client_tls_failed');
  });

  it('(b) fails the client promptly when the upstream resets mid-body, audited as upstream_reset', async () => {
    const error = await scenarios.upstreamReset();
    expect(error).toBeInstanceOf(Error);
    expect(await eventFor('/reset', 'upstream_reset')).toMatchObject({ result: 'failed', response: { status: 200 } });
  });

  it('(c) answers 504 upstream_timeout when the upstream does not answer within responseTimeoutMs', async () => {
    const reply = await scenarios.upstreamHangs();
    expect(reply.status).toBe(504);
    expect(codedBody(reply.body)).toMatchObject({ error: 'upstream_error', reason: 'upstream_timeout' });
    await eventFor('/hang', 'upstream_timeout');
  });

  it.each([
    { name: 'an untrusted upstream certificate', run: () => scenarios.untrustedUpstream(), reason: 'upstream_tls_failed', path: '/secret-path' },
    { name: 'a refused upstream connection', run: () => scenarios.refusedUpstream(), reason: 'upstream_connect_failed', path: '/nobody-home' },
  ])('(f) keeps internal error text out of the 502 for $name; the audit keeps the detail', async ({ run, reason, path }) => {
    const reply = await run();
    expect(reply.status).toBe(502);
    expect(codedBody(reply.body)).toMatchObject({ error: 'upstream_error', reason });
    expectNothingInternal(reply.body, [untrustedBackend.port, closedPort, proxy.port]);
    expect((await eventFor(path, reason)).error?.detail).toEqual(expect.stringMatching(/\S/));
  });

  it('(e) prints nothing with console.error or on stderr while failing in all these ways', async () => {
    const consoleError = vi.spyOn(console, 'error');
    const stderrWrite = vi.spyOn(process.stderr, 'write');
    try {
      for (const scenario of Object.values(scenarios)) await scenario();
    } finally {
      vi.restoreAllMocks();
    }
    expect(consoleError).not.toHaveBeenCalled();
    expect(stderrWrite).not.toHaveBeenCalled();
    expectNoSecretsIn(proxy);
  });

  describe('unfixed library (control)', () => {
    it('writes the library error, errno and address into the response and prints it with console.error', async () => {
      const spies = muteConsole();
      const library = await startUnfixedLibrary();
      try {
        const socket = net.connect({ host: '127.0.0.1', port: library.port });
        const reply = await exchange(socket, [`GET http://127.0.0.1:${closedPort}/ HTTP/1.1`, `Host: 127.0.0.1:${closedPort}`, 'Connection: close']);
        socket.destroy();
        expect(() => expectNothingInternal(reply.body.toString(), [closedPort])).toThrow();
        expect(reply.body.toString()).toContain('ECONNREFUSED');
        expect(spies.error).toHaveBeenCalled();
      } finally {
        library.close();
        await unmuteConsole();
      }
    });
  });
});
