/**
 * A recording HTTPS (or HTTP) backend on loopback. Routes exercise the transport: JSON echo, large and
 * endless streams, a mid-body reset, a response that never comes, an upload the backend does not read
 * until the test releases it.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { BackendPki } from './pki.js';

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly rawHeaders: readonly string[];
  readonly body: string;
}

export interface Backend {
  readonly port: number;
  readonly requests: RecordedRequest[];
  /** TCP connections accepted so far (keep-alive reuse shows as fewer connections than requests). */
  connections: number;
  /** Bytes the /stream route managed to hand to the socket (backpressure shows as a small number). */
  streamedBytes: number;
  /** Starts reading every body held by /hold-upload; each is then answered with `{"bytes": n}`. */
  releaseHeldUploads(): void;
  close(): Promise<void>;
}

export async function startBackend(options: { pki?: BackendPki; host?: string } = {}): Promise<Backend> {
  const sockets = new Set<Socket>();
  const held: http.IncomingMessage[] = [];
  let released = false;
  const state: Backend = {
    port: 0,
    requests: [],
    connections: 0,
    streamedBytes: 0,
    releaseHeldUploads: () => {
      released = true;
      for (const req of held.splice(0)) req.resume();
    },
    close: () => new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    if (req.url?.startsWith('/hold-upload')) {
      countHeldUpload(req, res, state);
      if (!released) {
        req.pause();
        held.push(req);
      }
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      state.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders, body });
      route(req, res, body, state);
    });
  };
  const server = options.pki
    ? https.createServer({ key: readFileSync(options.pki.leafKey), cert: readFileSync(options.pki.leafCert), keepAlive: true }, handler)
    : http.createServer({ keepAlive: true }, handler);
  server.keepAliveTimeout = 30_000;
  server.on(options.pki ? 'secureConnection' : 'connection', (socket: Socket) => {
    state.connections++;
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, options.host ?? '127.0.0.1', resolve));
  (state as { port: number }).port = (server.address() as AddressInfo).port;
  return state;
}

function route(req: http.IncomingMessage, res: http.ServerResponse, body: string, state: Backend): void {
  const url = new URL(req.url ?? '/', 'http://backend');
  switch (url.pathname) {
    case '/stream':
      return streamBytes(res, Number(url.searchParams.get('mb') ?? '64') * 1024 * 1024, state);
    case '/reset':
      res.writeHead(200, { 'content-length': '1000000' });
      res.write(Buffer.alloc(1000, 97));
      setTimeout(() => res.socket?.destroy(), 50);
      return;
    case '/hang':
      return; // never answers: the proxy's response timeout must end the exchange
    case '/hop':
      res.writeHead(200, { connection: 'x-upstream-hop, keep-alive', 'x-upstream-hop': 'secret-hop', 'keep-alive': 'timeout=5', 'x-end': 'kept', 'content-type': 'text/plain' });
      res.end('hop');
      return;
    default:
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ method: req.method, url: req.url, host: req.headers.host, body }));
  }
}

/** Counts the body without keeping it (uploads are large); the caller decides when reading starts. */
function countHeldUpload(req: http.IncomingMessage, res: http.ServerResponse, state: Backend): void {
  let bytes = 0;
  req.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
  });
  req.on('end', () => {
    state.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders, body: '' });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ bytes }));
  });
}

/** Writes as fast as the socket accepts, honouring backpressure itself, and counts what it handed over. */
function streamBytes(res: http.ServerResponse, total: number, state: Backend): void {
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(total) });
  const chunk = Buffer.alloc(64 * 1024, 120);
  let sent = 0;
  const pump = (): void => {
    while (sent < total) {
      sent += chunk.length;
      state.streamedBytes += chunk.length;
      if (!res.write(chunk)) {
        res.once('drain', pump);
        return;
      }
    }
    res.end();
  };
  res.on('close', () => res.removeAllListeners('drain'));
  pump();
}
