/**
 * The undici upstream client: pools per dial, our connector (exact address, certificate checked against
 * the requested name, verification always on, connect timeout over TCP + TLS), keep-alive reuse, idle
 * pools swept, and the exchange's body streaming and error reporting. Real loopback backends only.
 */
import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackend, type Backend } from '../../helpers/backend.js';
import { makeBackendPki, type BackendPki } from '../../helpers/pki.js';
import { createUpstreamPools, type UpstreamDial, type UpstreamPools } from '../../../src/proxy/upstream-pools.js';
import { exchange, type UpstreamResponse } from '../../../src/proxy/upstream-exchange.js';
import { UpstreamTimeoutError } from '../../../src/proxy/upstream-errors.js';

let pki: BackendPki;
let backend: Backend;
let silent: net.Server;
const pools: UpstreamPools[] = [];

beforeAll(async () => {
  pki = makeBackendPki();
  backend = await startBackend({ pki });
  // Accepts TCP, reads and never answers: a TLS handshake that hangs.
  silent = net.createServer((socket) => socket.resume());
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.close()));
  await backend.close();
  await new Promise((resolve) => silent.close(resolve));
});

function poolsWith(extraCaFiles: readonly string[], more: { connectTimeoutMs?: number; sweepIntervalMs?: number } = {}): UpstreamPools {
  const created = createUpstreamPools({ extraCaFiles, connectTimeoutMs: () => more.connectTimeoutMs ?? 5_000, ...(more.sweepIntervalMs ? { sweepIntervalMs: more.sweepIntervalMs } : {}) });
  pools.push(created);
  return created;
}

const dialTo = (port: number, servername: string | null): UpstreamDial => ({ scheme: 'https', address: '127.0.0.1', port, servername });

async function get(upstream: UpstreamPools, dial: UpstreamDial, path = '/json', host = 'api.example.test'): Promise<{ response: UpstreamResponse; text: string }> {
  const call = exchange(upstream.dispatcherFor(dial), { method: 'GET', path, headers: ['Host', host], body: null, responseTimeoutMs: 5_000 });
  const response = await call.response;
  const chunks: Buffer[] = [];
  for await (const chunk of response.body) chunks.push(chunk as Buffer);
  return { response, text: Buffer.concat(chunks).toString('utf8') };
}

async function failure(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  return promise.then(
    () => {
      throw new Error('expected the exchange to fail');
    },
    (error: Error & { code?: string }) => error,
  );
}

describe('upstream pools', () => {
  it('dials the approved address, with the Host we set and the certificate checked against the requested name', async () => {
    const { response, text } = await get(poolsWith([pki.caCert]), dialTo(backend.port, 'api.example.test'), '/json?x=1');
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(text)).toMatchObject({ method: 'GET', url: '/json?x=1', host: 'api.example.test' });
    expect(response.rawHeaders.map((h) => h.toLowerCase())).toContain('content-type');
  });

  it.each([
    { name: 'a certificate from a CA nobody added', ca: [] as string[], servername: 'api.example.test', code: /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|UNABLE_TO_GET_ISSUER/ },
    { name: 'a certificate for other names', ca: ['ca'], servername: 'elsewhere.example.test', code: /ERR_TLS_CERT_ALTNAME_INVALID/ },
  ])('keeps verification on: $name fails the exchange with the TLS error', async ({ ca, servername, code }) => {
    const upstream = poolsWith(ca.map(() => pki.caCert));
    const call = exchange(upstream.dispatcherFor(dialTo(backend.port, servername)), { method: 'GET', path: '/', headers: ['Host', servername], body: null, responseTimeoutMs: 5_000 });
    expect((await failure(call.response)).code).toMatch(code);
  });

  it('ends a dial whose TLS handshake hangs with a connect timeout', async () => {
    const upstream = poolsWith([pki.caCert], { connectTimeoutMs: 200 });
    const started = Date.now();
    const call = exchange(upstream.dispatcherFor(dialTo((silent.address() as AddressInfo).port, 'api.example.test')), { method: 'GET', path: '/', headers: ['Host', 'api.example.test'], body: null, responseTimeoutMs: 5_000 });
    const error = await failure(call.response);
    expect(error).toBeInstanceOf(UpstreamTimeoutError);
    expect((error as UpstreamTimeoutError).phase).toBe('connect');
    expect(Date.now() - started).toBeLessThan(3_000);
    // The half-open dial was closed, not left behind.
    const open = async (): Promise<number> => new Promise((resolve) => silent.getConnections((_error, count) => resolve(count)));
    for (let i = 0; i < 50 && (await open()) > 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await open()).toBe(0);
  });

  it('keeps connections alive: sequential requests on one dial share one connection', async () => {
    const upstream = poolsWith([pki.caCert]);
    const own = await startBackend({ pki });
    try {
      for (let i = 0; i < 5; i++) {
        await get(upstream, dialTo(own.port, 'api.example.test'));
        // A client's next request comes a round trip later; by then undici has marked the connection free.
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(own.connections).toBe(1);
    } finally {
      await own.close();
    }
  });

  it('keeps dials apart: another TLS name on the same address gets its own pool', () => {
    const upstream = poolsWith([pki.caCert]);
    const a = upstream.dispatcherFor(dialTo(backend.port, 'api.example.test'));
    expect(upstream.dispatcherFor(dialTo(backend.port, 'api.example.test'))).toBe(a);
    expect(upstream.dispatcherFor(dialTo(backend.port, 'other.example.test'))).not.toBe(a);
  });

  it('closes pools with nothing connected; the next request to that dial opens a new one', async () => {
    const upstream = poolsWith([pki.caCert], { sweepIntervalMs: 50 });
    const dial = dialTo(backend.port, 'other.example.test');
    const first = upstream.dispatcherFor(dial);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(upstream.dispatcherFor(dial)).not.toBe(first);
  });

  it('abort ends an exchange whose response is still streaming, and the body reports it', async () => {
    const upstream = poolsWith([pki.caCert]);
    const call = exchange(upstream.dispatcherFor(dialTo(backend.port, 'api.example.test')), { method: 'GET', path: '/stream?mb=64', headers: ['Host', 'api.example.test'], body: null, responseTimeoutMs: 5_000 });
    const response = await call.response;
    const failed = new Promise<Error>((resolve) => response.body.once('error', resolve));
    call.abort(new Error('stop'));
    response.body.resume();
    expect((await failed).message).toBe('stop');
  });

  it('reads a small body whole without a stream, the same bytes a stream gives', async () => {
    const upstream = poolsWith([pki.caCert]);
    const dial = dialTo(backend.port, 'api.example.test');
    const call = exchange(upstream.dispatcherFor(dial), { method: 'GET', path: '/json?whole=1', headers: ['Host', 'api.example.test'], body: null, responseTimeoutMs: 5_000 });
    const whole = await (await call.response).readWhole!();
    const streamed = await get(upstream, dial, '/json?whole=1');
    expect(whole.toString('utf8')).toBe(streamed.text);
  });

  it('keeps what arrived before the body was asked for: a stream taken after the exchange ended still has it all', async () => {
    const upstream = poolsWith([pki.caCert]);
    const call = exchange(upstream.dispatcherFor(dialTo(backend.port, 'api.example.test')), { method: 'GET', path: '/json?late=1', headers: ['Host', 'api.example.test'], body: null, responseTimeoutMs: 5_000 });
    const response = await call.response;
    await new Promise((resolve) => setTimeout(resolve, 100)); // the whole response has arrived by now
    const chunks: Buffer[] = [];
    for await (const chunk of response.body) chunks.push(chunk as Buffer);
    expect(JSON.parse(Buffer.concat(chunks).toString('utf8'))).toMatchObject({ url: '/json?late=1' });
  });
});
