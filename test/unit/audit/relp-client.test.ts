/**
 * The RELP client against a tiny fake RELP server on loopback: the open offer, txnr order, the window,
 * partial frames, acknowledgements out of order or out of window, refusals, serverclose, close, and a
 * receiver that is down at first. The source is a real spool: what is acknowledged leaves it.
 */
import { mkdtempSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DeliveryClient } from '../../../src/audit/sinks/delivery.js';
import { createRelpClient } from '../../../src/audit/sinks/relp-client.js';
import { createRelpFrameParser, encodeRelpFrame, type RelpFrame } from '../../../src/audit/sinks/relp-frame.js';
import { openSpool, type Spool } from '../../../src/audit/spool.js';
import { freePort } from '../../helpers/ports.js';

interface Received {
  readonly txnr: number;
  readonly message: string;
}

type Behaviour = (frame: RelpFrame, reply: (txnr: number, command: string, data?: string) => void, connection: number) => void;

interface FakeRelpServer {
  readonly port: number;
  readonly opens: string[];
  readonly received: Received[];
  readonly commands: string[];
  connections: number;
  close(): Promise<void>;
}

const OK_OPEN = '200 OK\nrelp_version=0\nrelp_software=fake\ncommands=syslog';

const acknowledgeAll: Behaviour = (frame, reply) => {
  if (frame.command === 'open') reply(frame.txnr, 'rsp', OK_OPEN);
  else if (frame.command === 'syslog') reply(frame.txnr, 'rsp', '200 OK');
  else if (frame.command === 'close') reply(frame.txnr, 'rsp');
};

async function startFakeRelp(behaviour: Behaviour = acknowledgeAll, options: { port?: number; splitReplies?: boolean } = {}): Promise<FakeRelpServer> {
  const sockets = new Set<Socket>();
  const state: FakeRelpServer = { port: 0, opens: [], received: [], commands: [], connections: 0, close: async () => undefined };
  const server: Server = createServer((socket) => {
    const connection = ++state.connections;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const parser = createRelpFrameParser();
    let outgoing: Buffer = Buffer.alloc(0);
    const drip = (): void => {
      if (outgoing.length === 0 || socket.destroyed) return;
      socket.write(outgoing.subarray(0, 1));
      outgoing = outgoing.subarray(1);
      setImmediate(drip);
    };
    const reply = (txnr: number, command: string, data = ''): void => {
      const bytes = encodeRelpFrame(txnr, command, data);
      if (!options.splitReplies) return void socket.write(bytes);
      // One byte per write (and per turn): the client must reassemble partial frames.
      const idle = outgoing.length === 0;
      outgoing = Buffer.concat([outgoing, bytes]);
      if (idle) setImmediate(drip);
    };
    socket.on('data', (chunk: Buffer) => {
      for (const frame of parser.push(chunk)) {
        state.commands.push(frame.command);
        if (frame.command === 'open') state.opens.push(frame.data.toString());
        if (frame.command === 'syslog') state.received.push({ txnr: frame.txnr, message: frame.data.toString() });
        behaviour(frame, reply, connection);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const address = server.address();
  return Object.assign(state, {
    port: typeof address === 'object' && address ? address.port : 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  });
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

function setup(port: number, window = 8): { spool: Spool; client: DeliveryClient; send(from: number, to: number): void } {
  const spool = openSpool({ dir: join(mkdtempSync(join(tmpdir(), 'egress-relp-')), 'spool'), maxBytes: 4 * 1024 * 1024 });
  const client = createRelpClient({ name: 'test', target: { host: '127.0.0.1', port, ca: [], serverName: null }, source: spool, log: () => undefined, session: { window, ackTimeoutMs: 2000 } });
  cleanups.push(() => spool.close());
  cleanups.push(() => client.close(200));
  return {
    spool,
    client,
    send(from, to) {
      for (let seq = from; seq <= to; seq++) spool.append(`event ${seq}`, seq);
      client.notify();
    },
  };
}

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const seqs = (received: readonly Received[]): number[] => received.map((r) => Number(r.message.split(' ')[1]));
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
/** First arrivals in order, with resends (a seq seen before) removed. */
const firstArrivals = (received: readonly Received[]): number[] => [...new Set(seqs(received))];

describe('RELP client', () => {
  it('opens with relp_version=0, relp_software and commands=syslog, then sends with increasing txnr', async () => {
    const server = await startFakeRelp();
    cleanups.push(() => server.close());
    const { spool, send, client } = setup(server.port);
    send(1, 20);
    await waitFor(() => spool.depth().events === 0);
    expect(server.opens[0]?.split('\n')).toEqual(['relp_version=0', expect.stringMatching(/^relp_software=mcp-egress,/), 'commands=syslog']);
    expect(seqs(server.received)).toEqual(range(1, 20));
    expect(server.received.map((r) => r.txnr)).toEqual(range(2, 21));
    expect(client.connected()).toBe(true);
    expect(client.stats().resent).toBe(0);
  });

  it('keeps at most `window` frames in flight', async () => {
    const held: number[] = [];
    const server = await startFakeRelp((frame, reply) => (frame.command === 'syslog' ? held.push(frame.txnr) : acknowledgeAll(frame, reply, 1)));
    cleanups.push(() => server.close());
    const { spool, send } = setup(server.port, 5);
    send(1, 12);
    await waitFor(() => held.length === 5);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(held.length).toBe(5);
    expect(spool.depth().events).toBe(12);
  });

  it('reassembles acknowledgements that arrive one byte at a time', async () => {
    const server = await startFakeRelp(acknowledgeAll, { splitReplies: true });
    cleanups.push(() => server.close());
    const { spool, send, client } = setup(server.port);
    send(1, 10);
    await waitFor(() => spool.depth().events === 0);
    expect(seqs(server.received)).toEqual(range(1, 10));
    expect(client.stats()).toEqual({ resent: 0, sessions: 1 });
  });

  it('acknowledges the spool only up to the longest acknowledged prefix when rsp arrive out of order', async () => {
    const held: number[] = [];
    let release: ((txnr: number) => void) | null = null;
    const server = await startFakeRelp((frame, reply) => {
      if (frame.command !== 'syslog') return acknowledgeAll(frame, reply, 1);
      held.push(frame.txnr);
      release = (txnr) => reply(txnr, 'rsp', '200 OK');
    });
    cleanups.push(() => server.close());
    const { spool, send } = setup(server.port, 4);
    send(1, 4);
    await waitFor(() => held.length === 4);
    for (const txnr of [5, 4, 3]) release!(txnr); // frames for seq 4, 3, 2: seq 1 still open
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(spool.depth().events).toBe(4);
    release!(2);
    await waitFor(() => spool.depth().events === 0);
  });

  it.each([
    { name: 'an acknowledgement for a txnr not in flight', misbehave: (txnr: number, reply: (t: number, c: string, d?: string) => void) => reply(txnr + 1000, 'rsp', '200 OK') },
    { name: 'a refusal (code 500)', misbehave: (txnr: number, reply: (t: number, c: string, d?: string) => void) => reply(txnr, 'rsp', '500 busy') },
    { name: 'serverclose', misbehave: (_txnr: number, reply: (t: number, c: string, d?: string) => void) => reply(0, 'serverclose') },
  ])('after $name, reconnects and resends what was not acknowledged', async ({ misbehave }) => {
    const server = await startFakeRelp((frame, reply, connection) => {
      if (frame.command === 'syslog' && connection === 1 && frame.txnr === 6) return misbehave(frame.txnr, reply);
      if (frame.command === 'syslog' && connection === 1 && frame.txnr > 6) return; // in flight when the session ends
      acknowledgeAll(frame, reply, connection);
    });
    cleanups.push(() => server.close());
    const { spool, send, client } = setup(server.port);
    send(1, 10);
    await waitFor(() => spool.depth().events === 0);
    expect(server.connections).toBe(2);
    expect(firstArrivals(server.received)).toEqual(range(1, 10));
    const resent = seqs(server.received).length - 10;
    expect(resent).toBeGreaterThanOrEqual(1);
    expect(client.stats().resent).toBe(resent);
    // The resend starts at the first unacknowledged event and keeps the original order.
    expect(seqs(server.received).slice(10)).toEqual(range(10 - resent + 1, 10));
  });

  it('delivers what was spooled while the receiver was down, in order, once it starts', async () => {
    const port = await freePort();
    const { spool, send, client } = setup(port);
    send(1, 30);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(client.connected()).toBe(false);
    expect(spool.depth().events).toBe(30);
    const server = await startFakeRelp(acknowledgeAll, { port });
    cleanups.push(() => server.close());
    await waitFor(() => spool.depth().events === 0, 8000);
    expect(seqs(server.received)).toEqual(range(1, 30));
  });

  it('closes the session with the close command once everything is acknowledged', async () => {
    const server = await startFakeRelp();
    cleanups.push(() => server.close());
    const { spool, send, client } = setup(server.port);
    send(1, 3);
    await waitFor(() => spool.depth().events === 0);
    await client.close(500);
    expect(server.commands).toEqual(['open', 'syslog', 'syslog', 'syslog', 'close']);
  });
});
