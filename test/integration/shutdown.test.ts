/**
 * Graceful shutdown: stop accepting, let in-flight exchanges finish within the grace period, cut what is
 * left after it, and have every finished request's audit event on disk when stop() resolves.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestProxy } from '../helpers/proxy.js';

let slowServer: http.Server;
let slowPort: number;
const timers = new Set<NodeJS.Timeout>();
const clients: Client[] = [];

beforeAll(async () => {
  slowServer = http.createServer((req, res) => {
    const ms = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('ms') ?? '0');
    const timer = setTimeout(() => {
      timers.delete(timer);
      res.end('done');
    }, ms);
    timers.add(timer);
  });
  await new Promise<void>((resolve) => slowServer.listen(0, '127.0.0.1', resolve));
  slowPort = (slowServer.address() as AddressInfo).port;
});
afterAll(async () => {
  for (const timer of timers) clearTimeout(timer);
  await Promise.all(clients.map((client) => client.destroy().catch(() => undefined)));
  slowServer.closeAllConnections();
  slowServer.close();
});

function newClient(port: number): Client {
  const client = new Client(`http://127.0.0.1:${port}`);
  clients.push(client);
  return client;
}

function config(graceMs: number): string {
  return `mode: report\nshutdownGraceMs: ${graceMs}\nupstream:\n  resolve:\n    slow.example.test:80: 127.0.0.1:${slowPort}\n`;
}

describe('graceful shutdown', () => {
  it('lets an in-flight request finish, then refuses new connections, with its audit event flushed', async () => {
    const proxy = await startTestProxy(config(5_000));
    const client = newClient(proxy.port);
    const inFlight = absoluteForm(client, 'http://slow.example.test/?ms=600');
    await new Promise((resolve) => setTimeout(resolve, 150));
    const stopped = proxy.stop();
    const res = await inFlight;
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toBe('done');
    await stopped;
    await expect(absoluteForm(newClient(proxy.port), 'http://slow.example.test/?ms=0')).rejects.toThrow();
    expect(proxy.auditEvents().map((e) => e.response.status)).toEqual([200]);
  });

  it('cuts what is still running when the grace period ends', async () => {
    const proxy = await startTestProxy(config(200));
    const inFlight = absoluteForm(newClient(proxy.port), 'http://slow.example.test/?ms=10000').then(
      async (res) => res.body.text(),
      (error: unknown) => error,
    );
    await new Promise((resolve) => setTimeout(resolve, 150));
    const started = Date.now();
    await proxy.stop();
    expect(Date.now() - started).toBeLessThan(5_000); // bounded by the grace period, not by the upstream
    expect(await inFlight).toBeInstanceOf(Error);
  });
});


/** An absolute-form request straight to the proxy, as curl sends http:// URLs to an HTTP proxy. */
function absoluteForm(client: Client, url: string) {
  return client.request({ method: 'GET', path: url, headers: { host: new URL(url).host } });
}
