/**
 * The benchmark's HTTPS origin, run as its own process so its CPU does not compete with the load
 * generator's event loop. Prints `ready <port>` on stdout once listening on 127.0.0.1.
 *   GET  /small          ~200-byte JSON-RPC-like body
 *   GET  /large?mb=N     N MiB (default 10) streamed in 64 KiB chunks, honouring backpressure
 *   POST /echo           the request body streamed back
 *   GET  /json?kb=N      a GitHub issue-list-like JSON of ~N KiB (default 16), generated once per size;
 *                        gzip-encoded (Content-Encoding: gzip) when the request accepts gzip
 *   POST /ingest         reads the request body, answers a small JSON {ok, received}
 *   GET  /stats          {largeBytesSent, tlsConnections} so far: how far upstream ran ahead of slow readers,
 *                        and how many upstream connections the proxy opened (its pooling)
 * Usage: node --import tsx bench/backend.ts --cert backend.pem --key backend.key [--port 0]
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { issueListJson } from './scenarios/scrub-payloads.js';

const CHUNK = Buffer.alloc(64 * 1024, 0x61);
const MIB = 1024 * 1024;
const MAX_LARGE_MB = 1024;
/** The harness asks for /stats under this name, so asking does not count as a connection. */
const UNCOUNTED_SERVERNAME = 'stats.bench.test';
const SMALL_BODY = Buffer.from(
  JSON.stringify({ jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: 'x'.repeat(120) }], isError: false } }),
);

const MAX_JSON_KB = 1024;
/** Sizes of /json generated so far; a few at most, so the cache is bounded. */
const MAX_JSON_SIZES = 8;
const DEFAULT_JSON_KB = 16;

interface JsonBody {
  readonly identity: Buffer;
  readonly gzip: Buffer;
}

const jsonBodies = new Map<number, JsonBody>();

function jsonBody(kb: number): JsonBody | null {
  const cached = jsonBodies.get(kb);
  if (cached !== undefined) return cached;
  if (jsonBodies.size >= MAX_JSON_SIZES) return null;
  const identity = issueListJson(kb * 1024);
  const made = { identity, gzip: gzipSync(identity) };
  jsonBodies.set(kb, made);
  return made;
}

interface Counters {
  largeBytesSent: number;
  tlsConnections: number;
}

function main(): void {
  const { values } = parseArgs({ options: { cert: { type: 'string' }, key: { type: 'string' }, port: { type: 'string', default: '0' } } });
  if (values.cert === undefined || values.key === undefined) throw new Error('usage: backend.ts --cert FILE --key FILE [--port N]');
  const counters: Counters = { largeBytesSent: 0, tlsConnections: 0 };
  jsonBody(DEFAULT_JSON_KB); // generated before `ready`, so no measured request pays for it
  const server = createServer({ cert: readFileSync(values.cert), key: readFileSync(values.key) }, (req, res) => route(req, res, counters));
  server.on('secureConnection', (socket: TLSSocket) => {
    if (socket.servername !== UNCOUNTED_SERVERNAME) counters.tlsConnections += 1;
  });
  // Keep the proxy's pooled upstream connections alive across a whole scenario.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 125_000;
  server.requestTimeout = 0;
  server.listen(Number(values.port), '127.0.0.1', () => {
    process.stdout.write(`ready ${(server.address() as AddressInfo).port}\n`);
  });
  const stop = (): void => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

function route(req: IncomingMessage, res: ServerResponse, counters: Counters): void {
  const url = new URL(req.url ?? '/', 'https://backend.bench.test');
  if (req.method === 'GET' && url.pathname === '/small') {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': SMALL_BODY.length });
    res.end(SMALL_BODY);
  } else if (req.method === 'GET' && url.pathname === '/large') {
    const mb = Math.min(MAX_LARGE_MB, Math.max(1, Number(url.searchParams.get('mb') ?? 10) || 10));
    streamLarge(res, mb * MIB, counters);
  } else if (req.method === 'POST' && url.pathname === '/echo') {
    const headers: Record<string, string> = { 'content-type': req.headers['content-type'] ?? 'application/octet-stream' };
    if (req.headers['content-length'] !== undefined) headers['content-length'] = req.headers['content-length'];
    res.writeHead(200, headers);
    req.pipe(res);
  } else if (req.method === 'GET' && url.pathname === '/json') {
    sendJson(req, res, Math.min(MAX_JSON_KB, Math.max(1, Math.round(Number(url.searchParams.get('kb') ?? DEFAULT_JSON_KB) || DEFAULT_JSON_KB))));
  } else if (req.method === 'POST' && url.pathname === '/ingest') {
    ingest(req, res);
  } else if (req.method === 'GET' && url.pathname === '/stats') {
    const body = Buffer.from(JSON.stringify(counters));
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
  } else {
    res.writeHead(404, { 'content-length': 0 });
    res.end();
  }
}

function sendJson(req: IncomingMessage, res: ServerResponse, kb: number): void {
  const body = jsonBody(kb);
  if (body === null) {
    res.writeHead(400, { 'content-length': 0 });
    res.end();
    return;
  }
  const gzip = /\bgzip\b/i.test(req.headers['accept-encoding'] ?? '');
  const bytes = gzip ? body.gzip : body.identity;
  const headers: Record<string, string | number> = { 'content-type': 'application/json; charset=utf-8', 'content-length': bytes.length, vary: 'Accept-Encoding' };
  if (gzip) headers['content-encoding'] = 'gzip';
  res.writeHead(200, headers);
  res.end(bytes);
}

/** Like an API that accepts a document: the body is read to the end, the answer is small. */
function ingest(req: IncomingMessage, res: ServerResponse): void {
  let received = 0;
  req.on('data', (chunk: Buffer) => {
    received += chunk.length;
  });
  req.on('end', () => {
    const body = Buffer.from(JSON.stringify({ ok: true, received }));
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
  });
}

/** Writes until the socket says stop, then waits for 'drain': a slow reader holds the backend back. */
function streamLarge(res: ServerResponse, total: number, counters: Counters): void {
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': total });
  let left = total;
  const pump = (): void => {
    while (left > 0 && !res.destroyed) {
      const size = Math.min(left, CHUNK.length);
      left -= size;
      counters.largeBytesSent += size;
      if (!res.write(size === CHUNK.length ? CHUNK : CHUNK.subarray(0, size))) {
        res.once('drain', pump);
        return;
      }
    }
    res.end();
  };
  pump();
}

main();
