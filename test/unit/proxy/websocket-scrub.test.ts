/**
 * WebSocket scrubbing, one direction at a time: frames in, frames out. The oracle is what a receiver
 * decodes from the output: text messages equal the whole-message redaction (however the message was
 * fragmented and the bytes chunked), no token survives, binary and control frames arrive byte for byte
 * and in order, client-bound output is unmasked and server-bound output masked. Then the same over real
 * sockets: a `ws` server and client with a loopback relay between them that pipes the raw sockets
 * through two scrubbers after the upgrade.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Transform } from 'node:stream';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { OPCODE, readFrames, serializeFrame, type Frame, type ReadFrame } from '../../../src/proxy/websocket-frames.js';
import {
  closeFrame,
  createFrameScrubber,
  stripExtensionsOffer,
  type FrameScrubber,
  type FrameScrubOptions,
} from '../../../src/proxy/websocket-scrub.js';
import { StreamRedactor, type Finding } from '../../../src/scanning/index.js';
import { testScanner } from '../../helpers/proxy.js';
import { githubToken } from '../scanning/helpers.js';
import { splitAt } from '../../helpers/chunks.js';

const TOKEN = githubToken('ghp', 'aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1');
const REDACTED = '[REDACTED:github_classic_pat]';
const scanner = testScanner();
const redacted = (text: string): string => scanner.redactString(text).output;

type Direction = FrameScrubOptions['direction'];
const DIRECTIONS: readonly Direction[] = ['server-to-client', 'client-to-server'];
const isMasked = (direction: Direction): boolean => direction === 'client-to-server';

interface Run {
  readonly output: Buffer;
  readonly error: (Error & { code?: string }) | null;
  readonly findings: Finding[];
}

interface RunOptions {
  readonly direction: Direction;
  readonly mode?: 'redact' | 'scan';
  readonly maxFrameBytes?: number;
  /** Called with the scrubber on each finding (a blocking caller aborts). */
  readonly onFinding?: (scrubber: FrameScrubber) => void;
}

function scrubberFor(options: RunOptions, findings: Finding[]): FrameScrubber {
  const scrubber: FrameScrubber = createFrameScrubber({
    direction: options.direction,
    mode: options.mode ?? 'redact',
    ...(options.maxFrameBytes !== undefined ? { maxFrameBytes: options.maxFrameBytes } : {}),
    createRedactor: () =>
      new StreamRedactor(scanner, {
        onFinding: (finding) => {
          findings.push(finding);
          options.onFinding?.(scrubber);
        },
      }),
  });
  return scrubber;
}

async function run(options: RunOptions, chunks: readonly Buffer[]): Promise<Run> {
  const findings: Finding[] = [];
  const scrubber = scrubberFor(options, findings);
  const out: Buffer[] = [];
  scrubber.on('data', (chunk: Buffer) => out.push(chunk));
  let error: Run['error'] = null;
  const done = new Promise<void>((resolve) => {
    scrubber.on('error', (e: Error) => {
      error ??= e;
      resolve();
    });
    scrubber.once('end', resolve);
  });
  for (const chunk of chunks) if (!scrubber.destroyed) scrubber.write(chunk);
  if (!scrubber.destroyed) scrubber.end();
  await done;
  return { output: Buffer.concat(out), error, findings };
}

function wireOf(frames: readonly Frame[], direction: Direction): Buffer {
  return Buffer.concat(frames.map((frame) => serializeFrame(frame, isMasked(direction))));
}


/** A text message cut into fragments at `cuts` (positions in the UTF-8 bytes), `between` after each non-final one. */
function fragmented(text: string, cuts: readonly number[], between: (index: number) => Frame[] = () => []): Frame[] {
  const pieces = splitAt(Buffer.from(text), cuts);
  if (pieces.length === 0) return [{ fin: true, opcode: OPCODE.text, payload: Buffer.alloc(0) }];
  return pieces.flatMap((payload, i) => {
    const last = i === pieces.length - 1;
    const frame: Frame = { fin: last, opcode: i === 0 ? OPCODE.text : OPCODE.continuation, payload };
    return last ? [frame] : [frame, ...between(i)];
  });
}

/** Decoded output: whole text messages, and every other frame as it came (in order). */
function received(output: Buffer, direction: Direction): { texts: string[]; others: ReadFrame[]; frames: ReadFrame[] } {
  const frames = readFrames([output], { masked: isMasked(direction) });
  const texts: string[] = [];
  const others: ReadFrame[] = [];
  let text: Buffer[] | null = null;
  for (const frame of frames) {
    if (frame.opcode === OPCODE.text || (frame.opcode === OPCODE.continuation && text !== null)) {
      text = [...(text ?? []), frame.payload];
      if (frame.fin) {
        texts.push(Buffer.concat(text).toString('utf8'));
        text = null;
      }
    } else others.push(frame);
  }
  return { texts, others, frames };
}

const ping = (data: string): Frame => ({ fin: true, opcode: OPCODE.ping, payload: Buffer.from(data) });
const pong = (data: string): Frame => ({ fin: true, opcode: OPCODE.pong, payload: Buffer.from(data) });
const binary = (payload: Buffer, fin = true, opcode: number = OPCODE.binary): Frame => ({ fin, opcode, payload });
const binaryless = (fin: boolean): Frame => ({ fin, opcode: OPCODE.continuation, payload: Buffer.alloc(0) });
const textFrame = (text: string): Frame => ({ fin: true, opcode: OPCODE.text, payload: Buffer.from(text) });
const withoutMask = (frame: ReadFrame): Omit<ReadFrame, 'masked'> => ({ fin: frame.fin, rsv1: frame.rsv1, rsv2: frame.rsv2, rsv3: frame.rsv3, opcode: frame.opcode, payload: frame.payload });
const asRead = (frame: Frame, masked: boolean): ReadFrame => ({ fin: frame.fin, rsv1: false, rsv2: false, rsv3: false, opcode: frame.opcode, masked, payload: frame.payload });

// ---- text messages ---------------------------------------------------------------------------------

const wordsArb = fc.array(fc.constantFrom('alpha', 'beta', 'gamma', '{"k":1}', '\n', 'é', '→', ' '), { maxLength: 40 }).map((w) => w.join(' '));

describe('text messages', () => {
  it.each(DIRECTIONS)('%s: a token split across frames and TCP chunks never survives; the text equals whole-message redaction', async (direction) => {
    await fc.assert(
      fc.asyncProperty(wordsArb, wordsArb, fc.array(fc.nat(), { maxLength: 6 }), fc.array(fc.nat(), { maxLength: 12 }), async (before, after, fragmentCuts, tcpCuts) => {
        const text = `${before} token=${TOKEN} ${after}`;
        const wire = wireOf(fragmented(text, fragmentCuts), direction);
        const { output, error, findings } = await run({ direction }, splitAt(wire, tcpCuts));
        expect(error).toBeNull();
        expect(output.includes(TOKEN)).toBe(false);
        const { texts, others } = received(output, direction);
        expect(texts).toEqual([redacted(text)]);
        expect(texts[0]).toContain(REDACTED);
        expect(others).toEqual([]);
        expect(findings.map((f) => f.kind)).toContain('github_classic_pat');
      }),
      { numRuns: 60 },
    );
  });

  it.each(DIRECTIONS)('%s: the token cut at every position inside it, one-byte TCP chunks around the cut', async (direction) => {
    for (let cut = 1; cut < TOKEN.length; cut++) {
      const text = `export GITHUB_TOKEN=${TOKEN}\n`;
      const at = text.indexOf(TOKEN) + cut;
      const wire = wireOf(fragmented(text, [at]), direction);
      const { output, error } = await run({ direction }, [...wire].map((b) => Buffer.from([b])));
      expect(error).toBeNull();
      expect(received(output, direction).texts).toEqual([redacted(text)]);
    }
  });

  it('client-to-server output frames are masked, each with its own key, and decode to the redacted text', async () => {
    const text = `${'x'.repeat(200_000)} ${TOKEN} ${'y'.repeat(100_000)}`;
    const wire = wireOf(fragmented(text, [70_000, 140_000, 210_000]), 'client-to-server');
    const { output } = await run({ direction: 'client-to-server' }, splitAt(wire, [1000, 50_000, 90_000, 150_000, 260_000]));
    const { texts, frames } = received(output, 'client-to-server'); // readFrames refuses an unmasked frame here
    expect(frames.length).toBeGreaterThan(2);
    expect(frames.every((frame) => frame.masked)).toBe(true);
    expect(texts).toEqual([redacted(text)]);
    expect(output.includes(Buffer.from('x'.repeat(64)))).toBe(false); // the wire shows masked bytes only
  });

  it('server-to-client output frames are unmasked', async () => {
    const { output } = await run({ direction: 'server-to-client' }, [wireOf([textFrame(`token ${TOKEN}`)], 'server-to-client')]);
    expect(received(output, 'server-to-client').frames.every((frame) => !frame.masked)).toBe(true);
  });

  it.each([
    { name: 'an empty message', frames: [textFrame('')], texts: [''] },
    {
      name: 'an empty message in empty fragments',
      frames: [{ fin: false, opcode: OPCODE.text, payload: Buffer.alloc(0) }, binaryless(false), binaryless(true)],
      texts: [''],
    },
    { name: 'messages back to back in one chunk', frames: [textFrame('one'), textFrame(TOKEN), textFrame('three')], texts: ['one', REDACTED, 'three'] },
  ])('$name', async ({ frames, texts }) => {
    const { output } = await run({ direction: 'server-to-client' }, [wireOf(frames, 'server-to-client')]);
    expect(received(output, 'server-to-client').texts).toEqual(texts);
  });

  it('streams: a 16 MiB text frame goes out while it arrives, holding a bounded amount', async () => {
    const size = 16 * 1024 * 1024 - 1024;
    const text = Buffer.alloc(size, 'lorem ipsum dolor sit amet ');
    const wire = serializeFrame({ fin: true, opcode: OPCODE.text, payload: text }, false);
    const scrubber = scrubberFor({ direction: 'server-to-client' }, []);
    let outBytes = 0;
    scrubber.on('data', (chunk: Buffer) => (outBytes += chunk.length));
    let inBytes = 0;
    let mostHeld = 0;
    for (const chunk of splitAt(wire, Array.from({ length: 256 }, (_, i) => i * 65536))) {
      scrubber.write(chunk);
      inBytes += chunk.length;
      await new Promise(setImmediate);
      mostHeld = Math.max(mostHeld, inBytes - outBytes);
    }
    scrubber.end();
    await once(scrubber, 'end');
    expect(outBytes).toBeGreaterThanOrEqual(size);
    expect(mostHeld).toBeLessThan(512 * 1024);
  });
});

// ---- everything else passes ------------------------------------------------------------------------

describe('binary and control frames', () => {
  it.each(DIRECTIONS)('%s: a stream without text frames comes out byte for byte, tokens in binary included', async (direction) => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(), { maxLength: 12 }), fc.nat(3), async (cuts, fragments) => {
        const payload = Buffer.concat([randomBytes(3000), Buffer.from(TOKEN), randomBytes(3000)]);
        const parts = splitAt(payload, Array.from({ length: fragments }, (_, i) => (i + 1) * 1500));
        const frames = [ping('p1'), ...parts.map((part, i) => binary(part, i === parts.length - 1, i === 0 ? OPCODE.binary : OPCODE.continuation)), pong('p2')];
        const wire = wireOf(frames, direction);
        const { output, error } = await run({ direction }, splitAt(wire, cuts));
        expect(error).toBeNull();
        expect(output.equals(wire)).toBe(true);
      }),
      { numRuns: 40 },
    );
  });

  const controlCases = DIRECTIONS.flatMap((direction) => [
    { direction, chunking: 'one chunk', cuts: [] },
    { direction, chunking: 'chunks cut around the control frames', cuts: [4096, 99_000, 100_020, 100_030] },
  ]);
  it.each(controlCases)('$direction, $chunking: control frames inside a fragmented text message keep their order and place', async ({ direction, cuts }) => {
    // 100 KB before the first control frame: more than the redactor holds back, so text goes out before it.
    const text = `${'a'.repeat(100_000)} ${TOKEN} ${'b'.repeat(100)}`;
    const controls = [[ping('first')], [pong('second'), ping('third')]];
    const frames = fragmented(text, [100_000, 100_010], (i) => controls[i] ?? []);
    const { output, error } = await run({ direction }, splitAt(wireOf(frames, direction), cuts));
    expect(error).toBeNull();
    const { texts, others, frames: out } = received(output, direction);
    expect(texts).toEqual([redacted(text)]);
    expect(others.map(withoutMask)).toEqual(controls.flat().map((frame) => withoutMask(asRead(frame, false))));
    // The first control frame sits inside the message: after the text settled before it, before the final frame.
    const firstControl = out.findIndex((frame) => frame.opcode === OPCODE.ping);
    expect(out[0]).toMatchObject({ opcode: OPCODE.text, fin: false });
    expect(out.slice(0, firstControl).reduce((sum, frame) => sum + frame.payload.length, 0)).toBeGreaterThan(50_000);
    expect(out.slice(firstControl + 1).some((frame) => frame.opcode === OPCODE.continuation && frame.fin)).toBe(true);
  });
});

// ---- failing closed --------------------------------------------------------------------------------

describe('frames that cannot be scrubbed', () => {
  const compressed = (opcode: number): Frame => ({ fin: true, opcode, payload: Buffer.from([0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]), rsv1: true });
  it.each([
    { name: 'a compressed text frame', frames: [compressed(OPCODE.text)], code: 'WS_COMPRESSED_FRAME' },
    { name: 'a compressed binary frame', frames: [compressed(OPCODE.binary)], code: 'WS_COMPRESSED_FRAME' },
    { name: 'a compressed frame after a good one', frames: [textFrame('fine'), compressed(OPCODE.text)], code: 'WS_COMPRESSED_FRAME' },
    { name: 'RSV2', frames: [{ ...textFrame('x'), rsv2: true }], code: 'WS_PROTOCOL_ERROR' },
    { name: 'a continuation without a message', frames: [binary(Buffer.from('x'), true, OPCODE.continuation)], code: 'WS_PROTOCOL_ERROR' },
    { name: 'a frame above maxFrameBytes', frames: [binary(Buffer.alloc(2000))], maxFrameBytes: 1000, code: 'WS_FRAME_TOO_LARGE' },
  ])('$name: the transform fails with $code', async ({ frames, code, maxFrameBytes }) => {
    for (const direction of DIRECTIONS) {
      const { error } = await run({ direction, ...(maxFrameBytes !== undefined ? { maxFrameBytes } : {}) }, [wireOf(frames, direction)]);
      expect(error?.code).toBe(code);
    }
  });

  it('masking that does not fit the direction is a protocol error', async () => {
    const unmaskedFromClient = serializeFrame(textFrame('hi'), false);
    const maskedFromServer = serializeFrame(textFrame('hi'), true);
    expect((await run({ direction: 'client-to-server' }, [unmaskedFromClient])).error?.code).toBe('WS_PROTOCOL_ERROR');
    expect((await run({ direction: 'server-to-client' }, [maskedFromServer])).error?.code).toBe('WS_PROTOCOL_ERROR');
  });
});

// ---- scan mode -------------------------------------------------------------------------------------

describe('scan mode', () => {
  it.each(DIRECTIONS)('%s: the text passes unchanged and the finding is reported', async (direction) => {
    const text = `${'w '.repeat(30_000)}token=${TOKEN} ${'z'.repeat(50_000)}`;
    const { output, findings } = await run({ direction, mode: 'scan' }, splitAt(wireOf(fragmented(text, [60_010]), direction), [777, 60_020]));
    expect(received(output, direction).texts).toEqual([text]);
    expect(findings.map((f) => f.kind)).toEqual(['github_classic_pat']);
  });

  it('a caller that aborts on the finding lets no byte of the token out, wherever it is cut', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 200_000 }), fc.array(fc.nat(), { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 8 }), async (prefix, fragmentCuts, tcpCuts) => {
        const text = `${'p'.repeat(prefix)} ${TOKEN} tail`;
        const wire = wireOf(fragmented(text, fragmentCuts), 'client-to-server');
        const { output, findings } = await run({ direction: 'client-to-server', mode: 'scan', onFinding: (s) => s.abort() }, splitAt(wire, tcpCuts));
        expect(findings.length).toBe(1);
        const sent = readFrames([output], { masked: true }).map((frame) => frame.payload.toString('latin1')).join('');
        expect(sent.includes('ghp_')).toBe(false);
      }),
      { numRuns: 40 },
    );
  });

  it('holds back only what the redactor has not settled: text in earlier chunks goes out before the token arrives', async () => {
    const prefix = 300_000;
    const wire = wireOf([textFrame(`${'p'.repeat(prefix)} ${TOKEN} tail`)], 'client-to-server');
    const { output } = await run({ direction: 'client-to-server', mode: 'scan', onFinding: (s) => s.abort() }, splitAt(wire, Array.from({ length: 10 }, (_, i) => i * 65536)));
    const sent = readFrames([output], { masked: true }).map((frame) => frame.payload.toString('latin1')).join('');
    expect(sent).toBe('p'.repeat(sent.length));
    expect(sent.length).toBeGreaterThan(prefix - 128 * 1024);
  });

  it('after abort nothing leaves, not even binary frames', async () => {
    const frames = [textFrame(`hello ${TOKEN}`), binary(Buffer.from('later')), ping('later')];
    const { output } = await run({ direction: 'server-to-client', mode: 'scan', onFinding: (s) => s.abort() }, [wireOf(frames, 'server-to-client')]);
    expect(output.length).toBe(0);
  });
});

describe('stripExtensionsOffer', () => {
  it.each([
    { raw: ['Host', 'h', 'Sec-WebSocket-Extensions', 'permessage-deflate; client_max_window_bits', 'Upgrade', 'websocket'], kept: ['Host', 'h', 'Upgrade', 'websocket'] },
    { raw: ['sec-websocket-extensions', 'a', 'SEC-WEBSOCKET-EXTENSIONS', 'b', 'X', '1'], kept: ['X', '1'] },
    { raw: ['Sec-WebSocket-Protocol', 'mcp'], kept: ['Sec-WebSocket-Protocol', 'mcp'] },
  ])('keeps $kept', ({ raw, kept }) => {
    expect(stripExtensionsOffer(raw)).toEqual(kept);
  });
});

// ---- over loopback: ws server ◄─ relay (two scrubbers) ◄─ ws client ---------------------------------

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const waitFor = <T extends unknown[]>(emitter: NodeJS.EventEmitter, event: string): Promise<T> =>
  once(emitter, event, { signal: AbortSignal.timeout(5000) }) as Promise<T>;

async function wsServer(perMessageDeflate: boolean): Promise<{ wss: WebSocketServer; port: number }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: perMessageDeflate ? { threshold: 0 } : false });
  cleanups.push(() => new Promise<void>((resolve) => {
    for (const client of wss.clients) client.terminate();
    wss.close(() => resolve());
  }));
  await waitFor(wss, 'listening');
  return { wss, port: (wss.address() as AddressInfo).port };
}

/** Cuts a stream into pieces of 1-64 bytes, so frames reach the scrubber split everywhere. */
function rechunker(): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      for (let at = 0; at < chunk.length; ) {
        const size = 1 + Math.floor(Math.random() * 64);
        this.push(chunk.subarray(at, at + size));
        at += size;
      }
      callback();
    },
  });
}

interface RelayOptions {
  readonly upstreamPort: number;
  readonly stripOffer: boolean;
  /** Client messages: redacted, or scanned and the connection closed with 1008 on a finding. */
  readonly clientMessages: 'redact' | 'block';
}

interface Relay {
  readonly port: number;
  readonly errors: (Error & { code?: string })[];
}

/** What the transport will do: forward the upgrade, answer the client with the 101, then scrub both ways. */
async function startRelay(options: RelayOptions): Promise<Relay> {
  const errors: Relay['errors'] = [];
  const server = http.createServer((_req, res) => res.writeHead(404).end());
  server.on('upgrade', (req: http.IncomingMessage, client: Socket, head: Buffer) => {
    const headers = options.stripOffer ? stripExtensionsOffer(req.rawHeaders) : req.rawHeaders;
    const upstreamReq = http.request({ host: '127.0.0.1', port: options.upstreamPort, path: req.url, headers });
    upstreamReq.once('upgrade', (res: http.IncomingMessage, upstream: Socket, upstreamHead: Buffer) => {
      const lines = [`HTTP/1.1 101 ${res.statusMessage ?? ''}`];
      for (let i = 0; i < res.rawHeaders.length; i += 2) lines.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
      client.write(`${lines.join('\r\n')}\r\n\r\n`);
      splice(client, head, upstream, upstreamHead, options, errors);
    });
    upstreamReq.once('response', (res: http.IncomingMessage) => client.end(`HTTP/1.1 ${res.statusCode ?? 502} Refused\r\n\r\n`));
    upstreamReq.once('error', () => client.destroy());
    upstreamReq.end();
  });
  server.listen(0, '127.0.0.1');
  cleanups.push(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  await waitFor(server, 'listening');
  return { port: (server.address() as AddressInfo).port, errors };
}

function splice(client: Socket, head: Buffer, upstream: Socket, upstreamHead: Buffer, options: RelayOptions, errors: Relay['errors']): void {
  // Synchronously from onFinding: nothing more leaves either scrubber, then each side gets a 1008 close.
  const block = (): void => {
    toServer.abort();
    toClient.abort();
    toServer.unpipe(upstream);
    toClient.unpipe(client);
    client.end(closeFrame(1008, 'secret blocked', false));
    upstream.end(closeFrame(1008, 'secret blocked', true));
  };
  const toClient = createFrameScrubber({ direction: 'server-to-client', mode: 'redact', createRedactor: () => new StreamRedactor(scanner) });
  const toServer = createFrameScrubber({
    direction: 'client-to-server',
    mode: options.clientMessages === 'block' ? 'scan' : 'redact',
    createRedactor: () => new StreamRedactor(scanner, { onFinding: () => (options.clientMessages === 'block' ? block() : undefined) }),
  });
  const cut = (error: Error): void => {
    errors.push(error);
    client.destroy();
    upstream.destroy();
  };
  for (const stream of [toClient, toServer]) stream.on('error', cut);
  for (const socket of [client, upstream]) socket.on('error', () => socket.destroy());
  client.once('close', () => upstream.destroy());
  upstream.once('close', () => client.destroy());
  toClient.pipe(client);
  toServer.pipe(upstream);
  if (upstreamHead.length > 0) toClient.write(upstreamHead);
  if (head.length > 0) toServer.write(head);
  upstream.pipe(rechunker()).pipe(toClient);
  client.pipe(rechunker()).pipe(toServer);
}

async function connect(relay: Relay, perMessageDeflate: boolean): Promise<WebSocket> {
  const client = new WebSocket(`ws://127.0.0.1:${relay.port}/socket`, { perMessageDeflate: perMessageDeflate ? { threshold: 0 } : false });
  cleanups.push(() => client.terminate());
  await waitFor(client, 'open');
  return client;
}

async function connected(perMessageDeflateOffer: boolean, relayOptions: Omit<RelayOptions, 'upstreamPort'>): Promise<{ client: WebSocket; server: WebSocket; relay: Relay }> {
  const { wss, port } = await wsServer(true);
  const relay = await startRelay({ upstreamPort: port, ...relayOptions });
  const serverSide = waitFor<[WebSocket]>(wss, 'connection');
  const client = await connect(relay, perMessageDeflateOffer);
  const [server] = await serverSide;
  return { client, server, relay };
}

const nextMessage = async (ws: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> => {
  const [data, isBinary] = await waitFor<[RawData, boolean]>(ws, 'message');
  return { data: data as Buffer, isBinary };
};

describe('over loopback with ws', () => {
  it('server text arrives redacted, binary intact, pings answered both ways, client text redacted, close completes', async () => {
    const { client, server, relay } = await connected(true, { stripOffer: true, clientMessages: 'redact' });
    expect(client.extensions).toBe(''); // the server would have deflated: the stripped offer kept frames scannable

    const fragmentedText = `{"env":"GITHUB_TOKEN=${TOKEN}","ok":true}`;
    let message = nextMessage(client);
    server.send(fragmentedText.slice(0, 30), { fin: false });
    server.send(fragmentedText.slice(30), { fin: true });
    expect(await message).toEqual({ data: Buffer.from(redacted(fragmentedText)), isBinary: false });
    expect(redacted(fragmentedText)).toContain(REDACTED);

    const longText = `${'log line\n'.repeat(40_000)}token ${TOKEN}\n${'more\n'.repeat(20_000)}`;
    message = nextMessage(client);
    server.send(longText);
    expect((await message).data.toString()).toBe(redacted(longText));

    const bytes = Buffer.concat([randomBytes(50_000), Buffer.from(TOKEN), randomBytes(50_000)]);
    message = nextMessage(client);
    server.send(bytes);
    const got = await message;
    expect(got.isBinary).toBe(true);
    expect(got.data.equals(bytes)).toBe(true);

    const clientPong = waitFor<[Buffer]>(client, 'pong');
    client.ping(Buffer.from('from client'));
    expect((await clientPong)[0].toString()).toBe('from client');
    const serverPong = waitFor<[Buffer]>(server, 'pong');
    server.ping(Buffer.from('from server'));
    expect((await serverPong)[0].toString()).toBe('from server');

    message = nextMessage(server);
    client.send(`curl -H "Authorization: token ${TOKEN}" https://api.github.com/user`);
    expect((await message).data.toString()).toBe(`curl -H "Authorization: token ${REDACTED}" https://api.github.com/user`);
    message = nextMessage(server);
    client.send(bytes);
    expect((await message).data.equals(bytes)).toBe(true);

    const serverClosed = waitFor<[number, Buffer]>(server, 'close');
    const clientClosed = waitFor<[number, Buffer]>(client, 'close');
    client.close(1000, 'done');
    expect((await serverClosed).map(String)).toEqual(['1000', 'done']);
    expect((await clientClosed).map(String)).toEqual(['1000', 'done']);
    expect(relay.errors).toEqual([]);
  });

  it('block: a client message with a token closes both sides with 1008 and never reaches the server', async () => {
    const { client, server, relay } = await connected(false, { stripOffer: true, clientMessages: 'block' });
    const serverGot: string[] = [];
    server.on('message', (data: RawData) => serverGot.push(String(data)));
    const serverClosed = waitFor<[number, Buffer]>(server, 'close');
    const clientClosed = waitFor<[number, Buffer]>(client, 'close');
    const first = nextMessage(server);
    client.send('harmless');
    await first; // abort drops what the chunk with the token produced: keep the harmless message out of it
    client.send(`exfiltrate ${TOKEN} now`);
    expect((await clientClosed)[0]).toBe(1008);
    expect((await serverClosed)[0]).toBe(1008);
    expect(serverGot).toEqual(['harmless']);
    expect(relay.errors).toEqual([]);
  });

  it('compressed frames fail closed when the extension offer is passed on', async () => {
    const { client, server, relay } = await connected(true, { stripOffer: false, clientMessages: 'redact' });
    expect(client.extensions).toContain('permessage-deflate');
    const serverGot: string[] = [];
    server.on('message', (data: RawData) => serverGot.push(String(data)));
    const clientClosed = waitFor<[number, Buffer]>(client, 'close');
    client.send(`token ${TOKEN}`);
    expect((await clientClosed)[0]).toBe(1006);
    expect(relay.errors.map((e) => e.code)).toEqual(['WS_COMPRESSED_FRAME']);
    expect(serverGot).toEqual([]);
  });
});
