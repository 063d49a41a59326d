/**
 * Response scrubbing over real loopback HTTP: an upstream node:http server, a tiny relay server that
 * fetches from it with http.request and hands the response (as an UpstreamResponse, the shape the
 * forwarder's undici exchange produces) to setupResponseScrub, and a real client of the relay. What the client receives is the oracle: secrets
 * redacted whatever the coding and chunking, the representation headers fixed up, binary bodies
 * byte-identical, events delivered while the upstream is idle, memory bounded under a slow reader.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { connect, type AddressInfo } from 'node:net';
import v8 from 'node:v8';
import vm from 'node:vm';
import { setTimeout as delay } from 'node:timers/promises';
import zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { endToEndHeaders } from '../../../src/proxy/hop-by-hop.js';
import {
  scrubbableAcceptEncoding,
  setupResponseScrub,
  type ResponseScrubOptions,
  type ResponseScrubSetup,
} from '../../../src/proxy/response-scrub.js';
import type { StreamedResponse } from '../../../src/proxy/upstream-exchange.js';
import { createDecoder, parseCodings, WHOLE_MAX_ENCODED_BYTES } from '../../../src/proxy/content-coding.js';
import { createEncodedStreamRedactor, StreamRedactor, type Finding } from '../../../src/scanning/index.js';
import { testScanner } from '../../helpers/proxy.js';
import { githubToken } from '../scanning/helpers.js';

/** The forwarder's view of an upstream response, made from Node's (the same fields undici's handler fills). */
function asUpstreamResponse(res: http.IncomingMessage): StreamedResponse {
  return {
    statusCode: res.statusCode ?? 502,
    statusMessage: res.statusMessage ?? '',
    rawHeaders: res.rawHeaders,
    contentLength: res.headers['content-length'],
    transferEncoding: res.headers['transfer-encoding'],
    body: res,
  };
}

const TOKEN = githubToken('ghp', 'aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1');
const REDACTED = '[REDACTED:github_classic_pat]';

// ---- loopback harness ------------------------------------------------------------------------------

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void | Promise<void>;
const servers: http.Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function listen(handler: Handler): Promise<number> {
  const server = http.createServer((req, res) => {
    res.sendDate = false;
    void handler(req, res);
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

interface Relayed {
  setup?: ResponseScrubSetup;
  /** Bytes read from the upstream and bytes out of the scrubbed body: their difference is what the chain holds. */
  upstreamBytes: number;
  bodyBytes: number;
  bodyError?: Error & { code?: string };
  readonly findings: Finding[];
}

/** Starts upstream + relay; the relay scrubs with a fresh StreamRedactor per body unless told otherwise. */
async function relayOf(upstream: Handler, options: Partial<ResponseScrubOptions> = {}): Promise<{ port: number; relayed: Relayed }> {
  const upstreamPort = await listen(upstream);
  const relayed: Relayed = { findings: [], upstreamBytes: 0, bodyBytes: 0 };
  const scrubOptions: ResponseScrubOptions = {
    createRedactor: () => new StreamRedactor(testScanner(), { onFinding: (finding) => relayed.findings.push(finding) }),
    undecodable: 'block',
    ...options,
  };
  const port = await listen((req, res) => {
    const upstreamReq = http.request({ host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, agent: false }, (upstreamRes) => {
      const passed = endToEndHeaders(upstreamRes.rawHeaders);
      const setup = setupResponseScrub(req.method ?? 'GET', asUpstreamResponse(upstreamRes), passed, scrubOptions);
      relayed.setup = setup;
      if (setup.kind === 'refuse') {
        upstreamRes.destroy();
        res.writeHead(502, ['X-Refused', setup.reason]).end();
        return;
      }
      const body = setup.kind === 'scrub' ? setup.body : upstreamRes;
      res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.statusMessage, setup.kind === 'scrub' ? setup.rawHeaders : passed);
      // As the forwarder's relay does: a body failure cuts the client, a client that leaves ends the body.
      body.on('error', (error) => {
        relayed.bodyError = error;
        res.destroy();
      });
      res.on('close', () => {
        if (!res.writableFinished) body.destroy();
      });
      if (setup.kind === 'scrub') {
        upstreamRes.on('data', (chunk: Buffer) => (relayed.upstreamBytes += chunk.length));
        body.on('data', (chunk: Buffer) => (relayed.bodyBytes += chunk.length));
      }
      res.flushHeaders();
      body.pipe(res);
    });
    upstreamReq.on('error', () => res.destroy());
    upstreamReq.end();
  });
  return { port, relayed };
}

function request(port: number, method = 'GET'): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    http.request({ host: '127.0.0.1', port, method, path: '/', agent: false }, resolve).on('error', reject).end();
  });
}

interface Received {
  readonly status: number;
  readonly rawHeaders: string[];
  readonly body: Buffer;
  /** The connection was cut before the body was complete. */
  readonly cut: boolean;
}

async function receive(res: http.IncomingMessage): Promise<Received> {
  const chunks: Buffer[] = [];
  res.on('data', (chunk: Buffer) => chunks.push(chunk));
  // A cut connection emits 'error' (aborted) before 'close'; the cut is what is recorded.
  res.on('error', () => undefined);
  await new Promise((resolve) => res.once('close', resolve));
  return { status: res.statusCode ?? 0, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks), cut: !res.complete };
}

async function fetchVia(port: number, method = 'GET'): Promise<Received> {
  return receive(await request(port, method));
}

/** The raw header lines, minus the ones Node adds per connection. */
function endToEnd(rawHeaders: readonly string[]): string[][] {
  const lines: string[][] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) lines.push([rawHeaders[i]!, rawHeaders[i + 1]!]);
  return lines.filter(([name]) => !['connection', 'keep-alive', 'transfer-encoding', 'date'].includes(name!.toLowerCase()));
}

function header(rawHeaders: readonly string[], name: string): string | undefined {
  const at = rawHeaders.findIndex((value, i) => i % 2 === 0 && value.toLowerCase() === name);
  return at < 0 ? undefined : rawHeaders[at + 1];
}

// ---- encoding the upstream's body in pieces --------------------------------------------------------

type TestCoding = 'gzip' | 'deflate' | 'deflate-raw' | 'br';
const ENCODERS: Record<TestCoding, () => zlib.Gzip | zlib.Deflate | zlib.DeflateRaw | zlib.BrotliCompress> = {
  gzip: () => zlib.createGzip(),
  deflate: () => zlib.createDeflate(),
  'deflate-raw': () => zlib.createDeflateRaw(),
  br: () => zlib.createBrotliCompress(),
};

/**
 * The encoded body as one buffer per part, each flushed through every coding (in the order applied), so
 * the decoder's output ends exactly where each part ends: a part boundary inside the token splits it in
 * the decoded stream too, not only in the compressed bytes.
 */
async function encodeInPieces(parts: readonly string[], codings: readonly TestCoding[]): Promise<Buffer[]> {
  if (codings.length === 0) return parts.map((part) => Buffer.from(part));
  const encoders = codings.map((coding) => ENCODERS[coding]());
  let out: Buffer[] = [];
  encoders.forEach((encoder, i) => encoder.on('data', (data: Buffer) => (i + 1 < encoders.length ? encoders[i + 1]!.write(data) : out.push(data))));
  const pieces: Buffer[] = [];
  for (const [index, part] of parts.entries()) {
    encoders[0]!.write(part);
    for (const encoder of encoders) {
      await new Promise(setImmediate);
      if (index === parts.length - 1) {
        encoder.end();
        await once(encoder, 'end');
      } else {
        await new Promise<void>((resolve) => encoder.flush(() => resolve()));
      }
    }
    await new Promise(setImmediate);
    pieces.push(Buffer.concat(out));
    out = [];
  }
  return pieces;
}

/** Writes each piece as its own write, apart in time, so each arrives as its own chunk. */
function sendingPieces(status: number, headers: readonly string[], pieces: readonly Buffer[]): Handler {
  return async (_req, res) => {
    res.writeHead(status, [...headers]);
    for (const [index, piece] of pieces.entries()) {
      if (index > 0) await delay(15);
      res.write(piece);
    }
    res.end();
  };
}

// ---- the cases ---------------------------------------------------------------------------------------

const JSON_DOC = `{"login":"octo","token":"${TOKEN}","scopes":["repo"],"note":"${'n'.repeat(300)}"}`;
const TOKEN_AT = JSON_DOC.indexOf(TOKEN);
// Three chunks: the token is cut after `ghp_` + 13 and again 13 characters later.
const PARTS = [JSON_DOC.slice(0, TOKEN_AT + 17), JSON_DOC.slice(TOKEN_AT + 17, TOKEN_AT + 30), JSON_DOC.slice(TOKEN_AT + 30)];

const BEFORE = ['Content-Type', 'application/json; charset=utf-8', 'ETag', '"v1-abc"', 'X-Before', '1'];
const DIGESTS = [
  'Content-MD5', 'Q2hlY2sgSW50ZWdyaXR5IQ==', 'Digest', 'sha-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=',
  'Repr-Digest', 'sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:', 'Content-Digest', 'sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:',
];
const AFTER = ['x-after', 'two'];
const SCRUBBED_HEADERS = [['Content-Type', 'application/json; charset=utf-8'], ['ETag', 'W/"v1-abc"'], ['X-Before', '1'], ['x-after', 'two']];

interface CodingCase {
  readonly name: string;
  readonly codings: readonly TestCoding[];
  readonly labels: readonly string[];
  readonly contentLength?: boolean;
}

const CODING_CASES: readonly CodingCase[] = [
  { name: 'gzip, chunked', codings: ['gzip'], labels: ['Content-Encoding', 'gzip'] },
  { name: 'gzip with a Content-Length', codings: ['gzip'], labels: ['Content-Encoding', 'gzip'], contentLength: true },
  { name: 'x-gzip', codings: ['gzip'], labels: ['Content-Encoding', 'x-gzip'] },
  { name: 'deflate, zlib-wrapped', codings: ['deflate'], labels: ['Content-Encoding', 'deflate'] },
  { name: 'deflate sent raw', codings: ['deflate-raw'], labels: ['content-encoding', 'Deflate'] },
  { name: 'br', codings: ['br'], labels: ['Content-Encoding', 'br'] },
  { name: 'gzip, br stacked', codings: ['gzip', 'br'], labels: ['Content-Encoding', 'gzip, br'] },
  { name: 'br, gzip stacked', codings: ['br', 'gzip'], labels: ['Content-Encoding', 'br, gzip'] },
  { name: 'gzip then br on two header lines', codings: ['gzip', 'br'], labels: ['Content-Encoding', 'gzip', 'Content-Encoding', 'br'] },
  // A small body of declared length is held and decoded in one call (content-coding.ts): each coding once more.
  { name: 'deflate, zlib-wrapped, with a Content-Length', codings: ['deflate'], labels: ['Content-Encoding', 'deflate'], contentLength: true },
  { name: 'deflate sent raw, with a Content-Length', codings: ['deflate-raw'], labels: ['content-encoding', 'Deflate'], contentLength: true },
  { name: 'br with a Content-Length', codings: ['br'], labels: ['Content-Encoding', 'br'], contentLength: true },
  { name: 'gzip, br stacked, with a Content-Length', codings: ['gzip', 'br'], labels: ['Content-Encoding', 'gzip, br'], contentLength: true },
  { name: 'identity spelled out', codings: [], labels: ['Content-Encoding', 'identity'], contentLength: true },
  { name: 'no coding', codings: [], labels: [] },
  // Node's parser removes only the chunked framing: the body arrives gzipped and the header is hop-by-hop.
  { name: 'Transfer-Encoding: gzip, chunked', codings: ['gzip'], labels: ['Transfer-Encoding', 'gzip, chunked'] },
];

describe('setupResponseScrub: scanned bodies over loopback HTTP', () => {
  it.each(CODING_CASES)('redacts a token split mid-token across chunks: $name', async ({ codings, labels, contentLength }) => {
    const pieces = await encodeInPieces(PARTS, codings);
    const length = contentLength === true ? ['Content-Length', String(pieces.reduce((sum, piece) => sum + piece.length, 0))] : [];
    const { port, relayed } = await relayOf(sendingPieces(200, [...BEFORE, ...labels, ...length, ...DIGESTS, ...AFTER], pieces));
    const received = await fetchVia(port);
    expect(received.body.toString()).toBe(JSON_DOC.replace(TOKEN, REDACTED));
    expect(received.cut).toBe(false);
    expect(relayed.setup).toMatchObject({ kind: 'scrub', handling: 'scanned' });
    expect(relayed.findings.map((finding) => finding.kind)).toEqual(['github_classic_pat']);
    expect(endToEnd(received.rawHeaders)).toEqual(SCRUBBED_HEADERS);
    expect(header(received.rawHeaders, 'transfer-encoding')).toBe('chunked');
  });

  it.each([
    ['with a small Content-Length: held and decoded in one call, so the redactor gets one chunk', true, 1],
    ['chunked: decoded as it streams, so each flushed part reaches the redactor on its own', false, PARTS.length],
  ])('gzip %s', async (_what, declared, chunks) => {
    const pieces = await encodeInPieces(PARTS, ['gzip']);
    const length = declared ? ['Content-Length', String(pieces.reduce((sum, piece) => sum + piece.length, 0))] : [];
    const pushed: number[] = [];
    const { port } = await relayOf(sendingPieces(200, ['Content-Type', 'application/json', 'Content-Encoding', 'gzip', ...length], pieces), {
      createRedactor: () => {
        const redactor = new StreamRedactor(testScanner());
        return { push: (chunk) => (pushed.push(chunk.length), redactor.push(chunk)), end: () => redactor.end() };
      },
    });
    expect((await fetchVia(port)).body.toString()).toBe(JSON_DOC.replace(TOKEN, REDACTED));
    expect(pushed).toHaveLength(chunks);
  });

  it('keeps a weak ETag as it is', async () => {
    const { port } = await relayOf(sendingPieces(200, ['Content-Type', 'text/plain', 'etag', 'W/"w1"'], [Buffer.from('hello')]));
    expect(header((await fetchVia(port)).rawHeaders, 'etag')).toBe('W/"w1"');
  });

  it('frames the identity body close-delimited for an HTTP/1.0 client', async () => {
    const pieces = await encodeInPieces(PARTS, ['gzip']);
    const { port } = await relayOf(sendingPieces(200, [...BEFORE, 'Content-Encoding', 'gzip'], pieces));
    const { rawResponse } = await rawHttp10(port);
    const [head, body] = [rawResponse.slice(0, rawResponse.indexOf('\r\n\r\n')), rawResponse.slice(rawResponse.indexOf('\r\n\r\n') + 4)];
    expect(head).not.toMatch(/content-length|transfer-encoding|content-encoding/i);
    expect(body).toBe(JSON_DOC.replace(TOKEN, REDACTED));
  });

  it('an empty chunked body labelled gzip arrives empty, not as a decoding error', async () => {
    const { port, relayed } = await relayOf(sendingPieces(200, ['Content-Type', 'application/json', 'Content-Encoding', 'gzip'], []));
    const received = await fetchVia(port);
    expect([received.status, received.body.length, received.cut, relayed.setup?.kind]).toEqual([200, 0, false, 'scrub']);
  });

  it('redacts a \\/-escaped Slack webhook URL split across gzip pieces, with the streaming encoded-forms redactor', async () => {
    const webhook = 'https://hooks.slack.com/services/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';
    const doc = JSON.stringify({ channel: 'ops', url: webhook }).replaceAll('/', '\\/');
    const pieces = await encodeInPieces([doc.slice(0, 60), doc.slice(60)], ['gzip']);
    const findings: Finding[] = [];
    const { port } = await relayOf(sendingPieces(200, ['Content-Type', 'application/json', 'Content-Encoding', 'gzip'], pieces), {
      createRedactor: () => createEncodedStreamRedactor(testScanner(), { forms: { json: true, percent: true }, onFinding: (f) => findings.push(f) }),
    });
    const body = (await fetchVia(port)).body.toString();
    expect(body).toContain('[REDACTED:slack_webhook_url]');
    expect(body).not.toContain('0RBmj8gwNkRUGMMb2LGW9TKb');
    expect(() => JSON.parse(body) as unknown).not.toThrow();
    expect(findings.map((finding) => finding.kind)).toEqual(['slack_webhook_url']);
  });
});

/** An HTTP/1.0 GET written by hand; the whole response as text (the relay closes to end the body). */
async function rawHttp10(port: number): Promise<{ rawResponse: string }> {
  const socket = connect(port, '127.0.0.1');
  socket.write('GET / HTTP/1.0\r\nHost: relay.test\r\n\r\n');
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  await once(socket, 'close');
  return { rawResponse: Buffer.concat(chunks).toString() };
}

describe('the piece encoder used above', () => {
  it.each([[['gzip']], [['deflate-raw']], [['gzip', 'br']]] as const)('ends each decoded piece where its part ends (%j)', async (codings) => {
    const pieces = await encodeInPieces(PARTS, codings);
    const decoders = [...codings].reverse().map((coding) => (coding === 'br' ? zlib.createBrotliDecompress() : coding === 'gzip' ? zlib.createGunzip() : zlib.createInflateRaw()));
    decoders.reduce((from, to) => from.pipe(to));
    const decoded: string[] = [];
    decoders.at(-1)!.on('data', (chunk: Buffer) => decoded.push(chunk.toString()));
    for (const [index, piece] of pieces.entries()) {
      decoders[0]!.write(piece);
      await delay(20);
      expect(decoded.join('')).toBe(PARTS.slice(0, index + 1).join(''));
    }
    decoders[0]!.end();
  });
});

describe('setupResponseScrub: bodies relayed or refused as they are', () => {
  it('relays a binary type byte-identical, token included, with its own headers', async () => {
    const png = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.from(`tEXtComment token=${TOKEN}`), randomBytes(4096)]);
    const headers = ['Content-Type', 'image/png', 'Content-Length', String(png.length), 'ETag', '"img-1"'];
    const { port, relayed } = await relayOf(sendingPieces(200, headers, [png.subarray(0, 20), png.subarray(20)]));
    const received = await fetchVia(port);
    expect(relayed.setup).toEqual({ kind: 'relay', handling: 'binary' });
    expect(received.body.equals(png)).toBe(true);
    expect(endToEnd(received.rawHeaders)).toEqual([['Content-Type', 'image/png'], ['Content-Length', String(png.length)], ['ETag', '"img-1"']]);
  });

  const UNDECODABLE = ['zstd', 'compress', 'gzip, zstd', 'x-custom'];

  it.each(UNDECODABLE)('refuses a body coded %s before any header went out (undecodable: block)', async (coding) => {
    const { port, relayed } = await relayOf(sendingPieces(200, ['Content-Type', 'application/json', 'Content-Encoding', coding], [randomBytes(64)]));
    const received = await fetchVia(port);
    expect(relayed.setup).toEqual({ kind: 'refuse', reason: 'response_undecodable' });
    expect([received.status, header(received.rawHeaders, 'x-refused')]).toEqual([502, 'response_undecodable']);
  });

  it.each(UNDECODABLE)('relays a body coded %s unscanned and flagged (undecodable: pass)', async (coding) => {
    const body = Buffer.concat([randomBytes(64), Buffer.from(TOKEN)]);
    const { port, relayed } = await relayOf(sendingPieces(200, ['Content-Type', 'application/json', 'Content-Encoding', coding], [body]), { undecodable: 'pass' });
    const received = await fetchVia(port);
    expect(relayed.setup).toEqual({ kind: 'relay', handling: 'undecodable' });
    expect(received.body.equals(body)).toBe(true);
    expect(header(received.rawHeaders, 'content-encoding')).toBe(coding);
  });

  const NO_BODY = [
    { name: 'a HEAD request', method: 'HEAD', status: 200, length: '1234' },
    { name: '204 No Content', method: 'GET', status: 204, length: null },
    { name: '304 Not Modified', method: 'GET', status: 304, length: null },
    { name: 'Content-Length: 0', method: 'GET', status: 200, length: '0' },
  ];

  it.each(NO_BODY)('relays $name as having no body, headers untouched', async ({ method, status, length }) => {
    const headers = ['Content-Type', 'application/json', 'Content-Encoding', 'gzip', 'ETag', '"e1"', ...(length === null ? [] : ['Content-Length', length])];
    const { port, relayed } = await relayOf((_req, res) => {
      res.writeHead(status, headers).end();
    });
    const received = await fetchVia(port, method);
    expect(relayed.setup).toEqual({ kind: 'relay', handling: 'none' });
    expect([received.status, received.body.length, header(received.rawHeaders, 'content-encoding'), header(received.rawHeaders, 'etag')]).toEqual([status, 0, 'gzip', '"e1"']);
  });
});

describe('setupResponseScrub: failures after the head went out', () => {
  const GZIP_HEAD = ['Content-Type', 'application/json', 'Content-Encoding', 'gzip'];

  it('a gzip body that turns corrupt mid-way errors the body with RESPONSE_UNDECODABLE and cuts the client', async () => {
    const [valid] = await encodeInPieces(['{"items":[1,2,3', '] }'], ['gzip']);
    // 0xff opens a deflate block of the reserved type 3: invalid whatever came before.
    const { port, relayed } = await relayOf(sendingPieces(200, GZIP_HEAD, [valid!, Buffer.alloc(64, 0xff)]));
    const received = await fetchVia(port);
    expect(relayed.bodyError?.code).toBe('RESPONSE_UNDECODABLE');
    expect(received.cut).toBe(true);
  });

  it('a gzip body that ends without its trailer errors with RESPONSE_UNDECODABLE', async () => {
    const [valid] = await encodeInPieces(['{"items":[1,2,3', '] }'], ['gzip']);
    const { port, relayed } = await relayOf(sendingPieces(200, GZIP_HEAD, [valid!]));
    expect((await fetchVia(port)).cut).toBe(true);
    expect(relayed.bodyError?.code).toBe('RESPONSE_UNDECODABLE');
  });

  it.each([
    ['gzip', zlib.gzipSync(Buffer.alloc(16 * 1024 * 1024))],
    ['br', zlib.brotliCompressSync(Buffer.alloc(16 * 1024 * 1024))],
  ] as const)('a %s bomb stops at maxDecodedBytes with RESPONSE_TOO_LARGE', async (coding, bomb) => {
    expect(bomb.length).toBeLessThan(20_000);
    const headers = ['Content-Type', 'application/json', 'Content-Encoding', coding];
    const { port, relayed } = await relayOf(sendingPieces(200, headers, [bomb]), { maxDecodedBytes: 1024 * 1024 });
    expect((await fetchVia(port)).cut).toBe(true);
    expect(relayed.bodyError?.code).toBe('RESPONSE_TOO_LARGE');
  });

  // Small bodies of declared length are decoded in one call: the same failures, the same codes.
  it.each([
    ['corrupt mid-way', async () => Buffer.concat([(await encodeInPieces(['{"items":[1,2,3', '] }'], ['gzip']))[0]!, Buffer.alloc(64, 0xff)])],
    ['without its trailer', async () => (await encodeInPieces(['{"items":[1,2,3', '] }'], ['gzip']))[0]!],
    ['not gzip at all', async () => Buffer.from('{"plain":"json"}')],
  ])('a gzip body with a Content-Length, %s, errors with RESPONSE_UNDECODABLE', async (_what, body) => {
    const bytes = await body();
    const { port, relayed } = await relayOf(sendingPieces(200, [...GZIP_HEAD, 'Content-Length', String(bytes.length)], [bytes]));
    expect((await fetchVia(port)).cut).toBe(true);
    expect(relayed.bodyError?.code).toBe('RESPONSE_UNDECODABLE');
  });

  it.each([
    ['gzip', zlib.gzipSync(Buffer.alloc(16 * 1024 * 1024))],
    ['br', zlib.brotliCompressSync(Buffer.alloc(16 * 1024 * 1024))],
  ] as const)('a %s bomb with a small Content-Length is not decoded whole: it stops at maxDecodedBytes with RESPONSE_TOO_LARGE', async (coding, bomb) => {
    const headers = ['Content-Type', 'application/json', 'Content-Encoding', coding, 'Content-Length', String(bomb.length)];
    const { port, relayed } = await relayOf(sendingPieces(200, headers, [bomb]), { maxDecodedBytes: 4 * 1024 * 1024 });
    const received = await fetchVia(port);
    expect(received.cut).toBe(true);
    expect(relayed.bodyError?.code).toBe('RESPONSE_TOO_LARGE');
  });

  it('an upstream that dies mid-body errors the body and cuts the client', async () => {
    const { port, relayed } = await relayOf(async (_req, res) => {
      res.writeHead(200, ['Content-Type', 'text/plain']);
      res.write('x'.repeat(1000));
      await delay(20);
      res.socket?.destroy();
    });
    expect((await fetchVia(port)).cut).toBe(true);
    expect(relayed.bodyError).toBeInstanceOf(Error);
  });

  it('an upstream response destroyed without an error (a timeout on our side) fails the body instead of hanging', async () => {
    const upstreamRes = await request(
      await listen((_req, res) => {
        res.writeHead(200, ['Content-Type', 'text/plain']);
        res.write('partial');
      }),
    );
    const setup = setupResponseScrub('GET', asUpstreamResponse(upstreamRes), endToEndHeaders(upstreamRes.rawHeaders), {
      createRedactor: () => new StreamRedactor(testScanner()),
      undecodable: 'block',
    });
    if (setup.kind !== 'scrub') throw new Error(`expected a scrub, got ${setup.kind}`);
    const failed = new Promise<Error & { code?: string }>((resolve) => setup.body.once('error', resolve));
    setup.body.resume();
    upstreamRes.destroy();
    expect((await failed).code).toBe('ERR_STREAM_PREMATURE_CLOSE');
  });

  it.each([[[]], [['gzip']]] as const)('a client that leaves destroys the whole chain up to the upstream (%j)', async (codings) => {
    let upstreamClosedEarly!: (early: boolean) => void;
    const closed = new Promise<boolean>((resolve) => (upstreamClosedEarly = resolve));
    const { port } = await relayOf(async (_req, res) => {
      res.on('close', () => upstreamClosedEarly(!res.writableFinished));
      res.writeHead(200, ['Content-Type', 'text/plain', ...(codings.length > 0 ? ['Content-Encoding', 'gzip'] : [])]);
      const sink = codings.length > 0 ? zlib.createGzip() : res;
      if (sink !== res) sink.pipe(res);
      // Endless for the test's purpose (bounded: 64 MB), random so gzip cannot shrink it away.
      for (let i = 0; i < 1024 && !res.destroyed; i++) {
        if (!sink.write(randomBytes(64 * 1024).toString('base64'))) await Promise.race([once(sink, 'drain'), once(res, 'close')]);
      }
      sink.end();
    });
    const res = await request(port);
    await once(res, 'data');
    res.destroy();
    expect(await closed).toBe(true);
  });
});

describe('setupResponseScrub: event streams flush per event', () => {
  interface StreamingCase {
    readonly name: string;
    readonly contentType: string;
    readonly gzip: boolean;
    /** Written (each flushed) before the upstream waits for the client to see them. */
    readonly first: readonly string[];
    readonly second: readonly string[];
  }
  const STREAMING_CASES: readonly StreamingCase[] = [
    {
      name: 'SSE, the token split across two writes',
      contentType: 'text/event-stream',
      gzip: false,
      first: [`: hello\n\nevent: token\ndata: {"token":"${TOKEN.slice(0, 20)}`, `${TOKEN.slice(20)}"}\n\n`],
      second: ['data: second\n\n'],
    },
    {
      name: 'SSE with CRLF line breaks, gzip flushed per write',
      contentType: 'text/event-stream; charset=utf-8',
      gzip: true,
      first: [`event: token\r\ndata: ${TOKEN}\r\n\r`, '\n'],
      second: ['data: second\r\n\r\n'],
    },
    {
      name: 'JSON Lines',
      contentType: 'application/x-ndjson',
      gzip: false,
      first: [`{"n":1,"token":"${TOKEN}"}\n`],
      second: ['{"n":2}\n'],
    },
  ];

  it.each(STREAMING_CASES)('$name: an event reaches the client before the upstream sends the next one', async (tc) => {
    const firstRedacted = tc.first.join('').replace(TOKEN, REDACTED);
    let firstDelivered!: () => void;
    const delivered = new Promise<'delivered'>((resolve) => (firstDelivered = () => resolve('delivered')));
    let upstreamSaw: string | undefined;
    const { port, relayed } = await relayOf(async (_req, res) => {
      res.writeHead(200, ['Content-Type', tc.contentType, ...(tc.gzip ? ['Content-Encoding', 'gzip'] : [])]);
      const gzip = tc.gzip ? zlib.createGzip() : null;
      gzip?.pipe(res);
      const write = async (text: string): Promise<void> => {
        if (gzip === null) res.write(text);
        else await new Promise<void>((resolve) => gzip.write(text, () => gzip.flush(() => resolve())));
      };
      for (const text of tc.first) await write(text);
      upstreamSaw = await Promise.race([delivered, delay(3000).then(() => 'nothing within 3 s')]);
      for (const text of tc.second) await write(text);
      if (gzip === null) res.end();
      else gzip.end();
    });
    const res = await request(port);
    let text = '';
    res.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text === firstRedacted) firstDelivered();
    });
    await new Promise((resolve) => res.once('end', resolve));
    expect(upstreamSaw).toBe('delivered');
    expect(text).toBe(firstRedacted + tc.second.join(''));
    expect(relayed.findings.map((finding) => finding.kind)).toEqual(['github_classic_pat']);
  });
});

describe('setupResponseScrub: a 20 MB body under a slow reader', () => {
  // Hex padding (deterministic, no secret shapes, never repeating) that gzip shrinks only ~2x: the
  // compressed body is far larger than a socket chunk, so a decoder running ahead of its reader shows.
  const LINES_PER_WRITE = 64;
  const PAD_BYTES = 480;
  let seed = 0x9e3779b9;
  const pad = (): string => {
    const bytes = Buffer.alloc(PAD_BYTES);
    for (let i = 0; i < PAD_BYTES; i++) {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      bytes[i] = seed & 0xff;
    }
    return bytes.toString('hex');
  };
  const batch = (): string => Array.from({ length: LINES_PER_WRITE }, () => `{"event":"row","token":"${TOKEN}","pad":"${pad()}"}\n`).join('');
  const BATCH_LENGTH = batch().length;
  const WRITES = Math.ceil((20 * 1024 * 1024) / BATCH_LENGTH);
  const LONG_STALL_MS = 1500;
  // Live memory needs a collection first: garbage from 20 MB of redacted slices would drown it.
  v8.setFlagsFromString('--expose-gc');
  const collectGarbage = vm.runInNewContext('gc') as () => void;
  const memory = (): number => {
    const usage = process.memoryUsage();
    return usage.heapUsed + usage.arrayBuffers;
  };

  it.each([{ gzip: false }, { gzip: true }])('streams with backpressure and bounded memory (gzip: $gzip)', async ({ gzip }) => {
    const { port, relayed } = await relayOf(async (_req, res) => {
      res.writeHead(200, ['Content-Type', 'application/json', ...(gzip ? ['Content-Encoding', 'gzip'] : [])]);
      const sink = gzip ? zlib.createGzip() : res;
      if (sink !== res) sink.pipe(res);
      for (let i = 0; i < WRITES && !res.destroyed; i++) {
        if (!sink.write(batch())) await Promise.race([once(sink, 'drain'), once(res, 'close')]);
      }
      sink.end();
    });
    testScanner(); // compiled before the baseline: the catalogue is not what is measured
    collectGarbage();
    const baseline = memory();
    let peak = baseline;
    let stalled: { readonly live: number; readonly heldInChain: number } | undefined;
    let received = 0;
    let events = 0;
    let redactions = 0;
    let carry = '';
    let nextStallAt = 1024 * 1024;
    const res = await request(port);
    res.on('data', (chunk: Buffer) => {
      received += chunk.length;
      const text = carry + chunk.toString('latin1');
      redactions += text.split(REDACTED).length - 1;
      carry = text.slice(-REDACTED.length + 1);
      if (++events % 16 === 0) peak = Math.max(peak, memory());
      if (received < nextStallAt) return;
      // A slow reader: a long stall after the first MiB, then a short one every further 4 MiB.
      const stall = nextStallAt === 1024 * 1024 ? LONG_STALL_MS : 10;
      nextStallAt += 4 * 1024 * 1024;
      res.pause();
      setTimeout(() => {
        if (stall === LONG_STALL_MS) {
          collectGarbage();
          stalled = { live: memory() - baseline, heldInChain: relayed.upstreamBytes - relayed.bodyBytes };
        }
        res.resume();
      }, stall);
    });
    await new Promise((resolve) => res.once('end', resolve));
    expect(received).toBe(WRITES * (BATCH_LENGTH - LINES_PER_WRITE * (TOKEN.length - REDACTED.length)));
    expect(redactions).toBe(WRITES * LINES_PER_WRITE);
    // While the reader stalls, the chain holds a bounded amount (the redactor's tail and stream buffers;
    // with gzip, compressed bytes in against decoded bytes out)...
    expect(stalled?.heldInChain).toBeLessThan(1024 * 1024);
    expect(stalled?.live).toBeLessThan(16 * 1024 * 1024);
    // ... and the growth over the whole run stays loosely bounded (garbage is collected lazily).
    expect(peak - baseline).toBeLessThan(64 * 1024 * 1024);
  });
});

describe('createDecoder', () => {
  const text = Array.from({ length: 4000 }, (_, i) => `{"row":${i},"token":"${TOKEN}"}\n`).join('');
  const decodedChunks = async (decoder: Duplex, pieces: readonly Buffer[]): Promise<Buffer[]> => {
    const chunks: Buffer[] = [];
    decoder.on('data', (chunk: Buffer) => chunks.push(chunk));
    for (const piece of pieces) decoder.write(piece);
    decoder.end();
    await once(decoder, 'end');
    return chunks;
  };
  const inPieces = (bytes: Buffer): Buffer[] => Array.from({ length: Math.ceil(bytes.length / 1000) }, (_, i) => bytes.subarray(i * 1000, (i + 1) * 1000));

  it.each([
    ['gzip', zlib.gzipSync],
    ['deflate', zlib.deflateSync],
    ['deflate', zlib.deflateRawSync],
    ['br', zlib.brotliCompressSync],
  ] as const)('%s: a whole body is decoded in one piece, a streamed one in many, to the same bytes', async (coding, encode) => {
    const encoded = encode(Buffer.from(text));
    expect(text.length).toBeGreaterThan(64 * 1024);
    expect(encoded.length).toBeLessThan(WHOLE_MAX_ENCODED_BYTES);
    const whole = await decodedChunks(createDecoder(coding, { whole: true }), inPieces(encoded));
    const streamed = await decodedChunks(createDecoder(coding), inPieces(encoded));
    expect(whole).toHaveLength(1);
    expect(streamed.length).toBeGreaterThan(1);
    expect(Buffer.concat(whole).toString()).toBe(text);
    expect(Buffer.concat(streamed).toString()).toBe(text);
  });

  it('a whole decoder whose body turns out larger than declared small streams it instead', async () => {
    const encoded = zlib.gzipSync(randomBytes(3 * WHOLE_MAX_ENCODED_BYTES));
    const decoded = await decodedChunks(createDecoder('gzip', { whole: true }), inPieces(encoded));
    expect(decoded.length).toBeGreaterThan(1);
    expect(Buffer.concat(decoded).equals(zlib.gunzipSync(encoded))).toBe(true);
  });
});

describe('content codings', () => {
  it.each([
    [[], []],
    [['gzip'], ['gzip']],
    [['x-gzip'], ['gzip']],
    [['GZIP, Br'], ['gzip', 'br']],
    [['gzip', 'br'], ['gzip', 'br']],
    [['identity'], []],
    [[' , identity ,'], []],
    [['gzip, chunked'], ['gzip']],
    [['deflate'], ['deflate']],
    [['zstd'], null],
    [['gzip, compress'], null],
    [['gzip', 'x-custom'], null],
  ] as const)('parseCodings(%j) → %j', (values, codings) => {
    expect(parseCodings(values)).toEqual(codings === null ? { ok: false } : { ok: true, codings });
  });

  it.each([
    [undefined, undefined],
    ['gzip, deflate, br', 'gzip, deflate, br'],
    ['gzip, deflate, br, zstd', 'gzip, deflate, br'],
    ['br;q=1.0, zstd;q=0.9, gzip;q=0.8, *;q=0.1', 'br;q=1.0, gzip;q=0.8'],
    ['X-GZIP, Compress', 'X-GZIP'],
    ['identity;q=0, gzip', 'identity;q=0, gzip'],
    [' gzip ,, br ', 'gzip, br'],
    ['zstd', 'identity'],
    ['*', 'identity'],
    ['', 'identity'],
  ] as const)('scrubbableAcceptEncoding(%j) → %j', (value, expected) => {
    expect(scrubbableAcceptEncoding(value)).toBe(expected);
  });
});
