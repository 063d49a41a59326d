/**
 * Holding a request body for the exfiltration guard, against a real loopback server and real clients:
 * a body under the limit is read whole; past the limit the read stops, the request is left paused, and
 * the rest is still there for the forwarder (prefix + rest = what the client sent); a client that hangs
 * up mid-body is an error of its own kind. Content-Encoding is undone within a bound (a decompression
 * bomb is refused quickly, unknown codings and corrupt data are `ok: false`), and redone after a redaction.
 */
import { randomBytes } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { brotliCompressSync, constants as zlibConstants, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { BodyReadAbortedError, decodeBody, encodeBody, hasRequestBody, readBodyUpTo } from '../../../src/pipeline/stages/request-body.js';

// --- A loopback server whose handler each test supplies. ---

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
const servers: Server[] = [];

async function serve(handler: Handler): Promise<number> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** The first value the server's handler reports, or a failure after `ms`. */
function firstReport<T>(ms = 5_000): { report: (value: T) => void; received: Promise<T> } {
  let report!: (value: T) => void;
  const received = new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no report within ${ms} ms`)), ms);
    report = (value) => {
      clearTimeout(timer);
      resolve(value);
    };
  });
  return { report, received };
}

/** POSTs `chunks` (Content-Length, or chunked when `chunked`) and resolves with the response body. */
function post(port: number, chunks: readonly Buffer[], chunked = false): Promise<string> {
  const total = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/', headers: chunked ? {} : { 'content-length': total } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (chunk: Buffer) => parts.push(chunk));
      res.on('end', () => resolve(Buffer.concat(parts).toString()));
    });
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of req) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('readBodyUpTo', () => {
  it.each([
    ['a small body, Content-Length', [Buffer.from('{"note":"hello"}')], false, 1024],
    ['a body of exactly the limit', [randomBytes(4096)], false, 4096],
    ['a chunked body in several writes', [randomBytes(3000), randomBytes(3000), randomBytes(3000)], true, 16_384],
    ['a 1 MB body under a 2 MB limit', [randomBytes(1 << 20)], false, 2 << 20],
  ])('%s: held whole, complete', async (_what, chunks, chunked, limit) => {
    const { report, received } = firstReport<{ bytes: Buffer; complete: boolean }>();
    const port = await serve((req, res) => {
      void readBodyUpTo(req, limit).then((held) => {
        report(held);
        res.end('ok');
      });
    });
    expect(await post(port, chunks, chunked)).toBe('ok');
    const held = await received;
    expect(held.complete).toBe(true);
    expect(held.bytes.equals(Buffer.concat(chunks))).toBe(true);
  });

  it.each([
    ['a 1 MB body, 64 KB limit', 1 << 20, 64 * 1024, false],
    ['a 1 MB chunked body, 64 KB limit', 1 << 20, 64 * 1024, true],
    ['a body one byte over the limit', 4097, 4096, false],
  ])('%s: stops past the limit, leaves the request paused, the rest still readable', async (_what, size, limit, chunked) => {
    const original = randomBytes(size);
    const { report, received } = firstReport<{ held: Buffer; complete: boolean; paused: boolean; rest: Buffer }>();
    const port = await serve((req, res) => {
      void (async () => {
        const held = await readBodyUpTo(req, limit);
        const paused = req.isPaused();
        await delay(50); // nothing may flow away while the guard judges the prefix
        const rest = await readAll(req);
        report({ held: held.bytes, complete: held.complete, paused, rest });
        res.end('ok');
      })();
    });
    const chunks = chunked ? Array.from({ length: 16 }, (_, i) => original.subarray((i * size) / 16, ((i + 1) * size) / 16)) : [original];
    expect(await post(port, chunks, chunked)).toBe('ok');
    const { held, complete, paused, rest } = await received;
    expect(complete).toBe(false);
    expect(paused).toBe(true);
    expect(held.length).toBeGreaterThan(limit);
    expect(held.length).toBeLessThan(size === 4097 ? size + 1 : limit + 128 * 1024); // the limit plus the chunk that crossed it
    expect(Buffer.concat([held, rest]).equals(original)).toBe(true);
  });

  it.each([
    ['after part of the body', Buffer.from('x'.repeat(1000))],
    ['before any body byte', Buffer.alloc(0)],
  ])('a client that hangs up %s: rejects with BodyReadAbortedError', async (_what, sent) => {
    const { report, received } = firstReport<unknown>();
    const handlerStarted = firstReport<void>();
    const port = await serve((req) => {
      handlerStarted.report();
      readBodyUpTo(req, 1 << 20).then(report, report);
    });
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined); // the reset is the point of the test
    socket.write(`POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n\r\n`);
    socket.write(sent);
    await handlerStarted.received;
    await delay(20);
    socket.destroy();
    const outcome = await received;
    expect(outcome).toBeInstanceOf(BodyReadAbortedError);
    expect((outcome as Error).message).not.toContain('x'.repeat(8));
  });
});

describe('hasRequestBody', () => {
  it.each([
    ['GET without a body', false, 'GET / HTTP/1.1\r\nHost: h\r\n\r\n'],
    ['POST with Content-Length: 0', false, 'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n'],
    ['POST with Content-Length: 5', true, 'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello'],
    ['PUT, chunked', true, 'PUT / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n'],
    // The length of a chunked body is unknown until it ends: an empty one is still a body to read.
    ['an empty chunked body', true, 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
  ])('%s → %s', async (_what, expected, head) => {
    const { report, received } = firstReport<boolean>();
    const port = await serve((req, res) => {
      report(hasRequestBody(req));
      req.resume();
      req.on('end', () => res.end());
    });
    const socket = connect(port, '127.0.0.1', () => socket.end(head));
    socket.on('error', () => undefined);
    socket.resume();
    expect(await received).toBe(expected);
  });
});

// --- Content-Encoding ---

const TEXT = Buffer.from(`{"note":"${'hello world '.repeat(200)}"}`);
const LIMIT = 1 << 20;

describe('decodeBody', () => {
  it.each<[string, string | undefined, Buffer, readonly string[]]>([
    ['no Content-Encoding', undefined, TEXT, []],
    ['an empty header', '', TEXT, []],
    ['identity', 'identity', TEXT, []],
    ['gzip', 'gzip', gzipSync(TEXT), ['gzip']],
    ['x-gzip, as gzip', 'x-gzip', gzipSync(TEXT), ['gzip']],
    ['GZIP in capitals', 'GZIP', gzipSync(TEXT), ['gzip']],
    ['deflate (zlib-wrapped)', 'deflate', deflateSync(TEXT), ['deflate']],
    ['deflate sent raw (no zlib wrapper), as some clients do', 'deflate', deflateRawSync(TEXT), ['deflate']],
    ['br', 'br', brotliCompressSync(TEXT), ['br']],
    // `gzip, br`: gzip was applied first, so br is undone first.
    ['stacked gzip, br', 'gzip, br', brotliCompressSync(gzipSync(TEXT)), ['gzip', 'br']],
    ['stacked with spaces and identity', ' deflate ,identity, gzip ', gzipSync(deflateSync(TEXT)), ['deflate', 'gzip']],
  ])('%s: decoded, codings reported', (_what, header, encoded, codings) => {
    const decoded = decodeBody(encoded, header, LIMIT);
    expect(decoded).toEqual({ ok: true, bytes: TEXT, codings });
  });

  it.each<[string, string, Buffer]>([
    ['an unknown coding (zstd)', 'zstd', TEXT],
    ['compress', 'compress', TEXT],
    ['a known coding stacked on an unknown one', 'gzip, zstd', gzipSync(TEXT)],
    ['plain text labelled gzip', 'gzip', TEXT],
    // Fixed bytes: a random buffer is now and then a valid (empty) brotli stream.
    ['plain text labelled br', 'br', Buffer.from('this is plain text, not a brotli stream at all; it is refused')],
    ['truncated gzip', 'gzip', gzipSync(TEXT).subarray(0, 40)],
    ['corrupt deflate', 'deflate', Buffer.concat([deflateSync(TEXT).subarray(0, 20), randomBytes(40)])],
    ['stacked codings in the wrong order', 'br, gzip', brotliCompressSync(gzipSync(TEXT))],
  ])('%s: ok false', (_what, header, encoded) => {
    expect(decodeBody(encoded, header, LIMIT)).toEqual({ ok: false });
  });

  it('decodes up to exactly the limit, and refuses one byte more', () => {
    const encoded = gzipSync(TEXT);
    expect(decodeBody(encoded, 'gzip', TEXT.length).ok).toBe(true);
    expect(decodeBody(encoded, 'gzip', TEXT.length - 1)).toEqual({ ok: false });
  });

  const zeros = Buffer.alloc(50 * 1024 * 1024);
  it.each([
    ['gzip', () => gzipSync(zeros)],
    ['deflate', () => deflateSync(zeros)],
    // Quality 1 only to keep building the bomb fast.
    ['br', () => brotliCompressSync(zeros, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 1 } })],
    ['gzip, gzip', () => gzipSync(gzipSync(zeros))],
  ])('a decompression bomb (50 MB of zeros, %s) under a 1 MB limit: ok false (inflating stops at the limit)', (coding, make) => {
    const bomb = make();
    expect(bomb.length).toBeLessThan(200 * 1024);
    expect(decodeBody(bomb, coding, LIMIT)).toEqual({ ok: false });
  });
});

describe('encodeBody', () => {
  const codingLists = fc.array(fc.constantFrom('gzip' as const, 'deflate' as const, 'br' as const), { maxLength: 3 });

  it('encodeBody(decodeBody(x)) decodes back to the same bytes, for any stack of codings', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), codingLists, (raw, codings) => {
        const bytes = Buffer.from(raw);
        const header = codings.join(', ');
        const decoded = decodeBody(encodeBody(bytes, codings), header, LIMIT);
        expect(decoded).toEqual({ ok: true, bytes, codings });
        if (!decoded.ok) return;
        const again = decodeBody(encodeBody(decoded.bytes, decoded.codings), header, LIMIT);
        expect(again.ok && again.bytes.equals(bytes)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('re-encodes a redacted body under the codings it came in', () => {
    const original = Buffer.from('{"k":"AKIAZ7QX3MPL4RT2VW6Y","n":1}');
    const decoded = decodeBody(brotliCompressSync(gzipSync(original)), 'gzip, br', LIMIT);
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    const redacted = Buffer.from(decoded.bytes.toString().replace('AKIAZ7QX3MPL4RT2VW6Y', '[REDACTED:aws_access_key_id]'));
    const reencoded = encodeBody(redacted, decoded.codings);
    expect(decodeBody(reencoded, 'gzip, br', LIMIT)).toEqual({ ok: true, bytes: redacted, codings: ['gzip', 'br'] });
    expect(encodeBody(redacted, [])).toBe(redacted);
  });
});
