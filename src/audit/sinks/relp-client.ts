/**
 * A RELP client session (rsyslog's acknowledged transport). `open` offers relp_version=0 and
 * commands=syslog; each event is a `syslog` frame with an increasing txnr; the receiver answers every frame
 * with `rsp` and a code (200: it has the event). Up to `window` frames are in flight; acknowledgements may
 * come in any order, and the spool is acknowledged up to the longest acknowledged prefix, so nothing past
 * a gap is dropped. Anything unexpected (an `rsp` for a txnr not in flight, a code other than 200, broken
 * framing, `serverclose`, silence past the ack timeout) ends the session: the next one, after a reconnect,
 * sends again everything not acknowledged, from the head of the spool. A receiver may therefore see an
 * event twice, always with the same seq, never miss one.
 */
import type { Socket } from 'node:net';
import type { SinkLog } from '../sinks.js';
import { createConnector, runDeliveryLoop, type ConnectTarget, type DeliveryClient, type DeliveryCounters, type DeliverySource, type Session, type SessionEnd } from './delivery.js';
import { createRelpFrameParser, encodeRelpFrame, nextTxnr, parseRsp, type RelpFrame } from './relp-frame.js';
import { VERSION } from '../../version.js';

export interface RelpSessionOptions {
  /** Frames in flight without an acknowledgement (librelp's default window is 128). */
  readonly window: number;
  readonly openTimeoutMs: number;
  /** With frames in flight, the longest wait for any acknowledgement before the connection is dropped. */
  readonly ackTimeoutMs: number;
}

export const RELP_DEFAULTS: RelpSessionOptions = { window: 128, openTimeoutMs: 5000, ackTimeoutMs: 30_000 };

const OFFER = `relp_version=0\nrelp_software=mcp-egress,${VERSION}\ncommands=syslog`;
const BATCH_BYTES = 1024 * 1024;
const OPEN_TXNR = 1;

interface InFlight {
  readonly txnr: number;
  readonly seq: number;
  acked: boolean;
}

export function startRelpSession(socket: Socket, source: DeliverySource, counters: DeliveryCounters, options: RelpSessionOptions = RELP_DEFAULTS): Session {
  const parser = createRelpFrameParser();
  const inflight: InFlight[] = [];
  const byTxnr = new Map<number, InFlight>();
  let txnr = OPEN_TXNR;
  let closeTxnr: number | null = null;
  let state: 'opening' | 'ready' | 'closing' | 'ended' = 'opening';
  let established = false;
  let reason: string | null = null;
  let lastProgress = Date.now();
  let finish: (end: SessionEnd) => void = () => undefined;
  const done = new Promise<SessionEnd>((resolve) => {
    finish = resolve;
  });

  const fail = (why: string): void => {
    reason ??= why;
    state = 'ended'; // nothing more is sent on this connection (a pump after a failed frame would count sends that never left)
    socket.destroy();
  };

  // Called once per chunk of acknowledgements (not per rsp): one write refills the window. Refilling at
  // once matters: our data carries the TCP ACK the receiver's Nagle-delayed rsp packets wait for.
  const pump = (): void => {
    const free = options.window - inflight.length;
    if (state !== 'ready' || free <= 0) return;
    const entries = source.peek(free, BATCH_BYTES, inflight.length);
    if (entries.length === 0) return;
    const frames: Buffer[] = [];
    for (const entry of entries) {
      txnr = nextTxnr(txnr);
      const frame = encodeRelpFrame(txnr, 'syslog', entry.line);
      const sent: InFlight = { txnr, seq: entry.seq, acked: false };
      inflight.push(sent);
      byTxnr.set(txnr, sent);
      frames.push(frame);
      if (counters.highestSent !== null && entry.seq <= counters.highestSent) counters.resent += 1;
      else counters.highestSent = entry.seq;
    }
    if (inflight.length === frames.length) lastProgress = Date.now(); // the clock starts with the first frame in flight
    socket.write(frames.length === 1 ? frames[0]! : Buffer.concat(frames));
  };

  const acknowledge = (frame: RelpFrame): void => {
    const sent = byTxnr.get(frame.txnr);
    if (sent === undefined) return fail(`acknowledgement for txnr ${frame.txnr}, which is not in flight`);
    const { code } = parseRsp(frame.data);
    if (code !== 200) return fail(`the receiver refused an event (code ${code})`);
    byTxnr.delete(frame.txnr);
    sent.acked = true;
    lastProgress = Date.now();
    let upto: number | null = null;
    while (inflight[0]?.acked === true) {
      upto = inflight.shift()!.seq;
    }
    if (upto !== null) source.ack(upto);
  };

  const handle = (frame: RelpFrame): void => {
    if (frame.command === 'serverclose') return fail('the receiver closed the session (serverclose)');
    if (frame.command !== 'rsp') return fail(`unexpected RELP command "${frame.command}"`);
    if (state === 'opening') return opened(frame);
    if (closeTxnr !== null && frame.txnr === closeTxnr) {
      socket.end();
      return;
    }
    acknowledge(frame);
  };

  const opened = (frame: RelpFrame): void => {
    const rsp = parseRsp(frame.data);
    if (frame.txnr !== OPEN_TXNR || rsp.code !== 200) return fail(`the receiver refused the session (code ${rsp.code})`);
    const commands = (rsp.offers.get('commands') ?? '').split(',');
    if (!commands.includes('syslog')) return fail('the receiver does not offer the syslog command');
    state = 'ready';
    established = true;
    pump();
  };

  const opening = Date.now();
  const watchdog = setInterval(() => {
    if (state === 'opening' && Date.now() - opening > options.openTimeoutMs) fail('no answer to open');
    if (state === 'ready' && inflight.length > 0 && Date.now() - lastProgress > options.ackTimeoutMs) fail('acknowledgements timed out');
  }, Math.min(1000, options.openTimeoutMs, options.ackTimeoutMs));
  watchdog.unref();

  socket.on('data', (chunk: Buffer) => {
    try {
      for (const frame of parser.push(chunk)) {
        if (state === 'ended') return;
        handle(frame);
      }
      pump();
    } catch (error) {
      fail(`protocol error: ${(error as Error).message}`);
    }
  });
  socket.on('error', (error: NodeJS.ErrnoException) => {
    reason ??= `socket error: ${error.code ?? error.message}`;
  });
  socket.on('end', () => {
    reason ??= 'the receiver closed the connection';
    socket.destroy();
  });
  socket.on('close', () => {
    state = 'ended';
    clearInterval(watchdog);
    finish({ reason: reason ?? 'closed', established });
  });
  socket.write(encodeRelpFrame(OPEN_TXNR, 'open', OFFER));

  return {
    done,
    established: () => established && state === 'ready',
    pump,
    async end(timeoutMs) {
      if (state === 'ready' && inflight.length === 0) {
        state = 'closing';
        closeTxnr = nextTxnr(txnr);
        reason ??= 'closed by us';
        socket.write(encodeRelpFrame(closeTxnr, 'close'));
      } else {
        reason ??= 'closed by us';
        socket.destroy();
      }
      const timer = setTimeout(() => socket.destroy(), timeoutMs);
      await done;
      clearTimeout(timer);
    },
  };
}

export interface RelpClientOptions {
  readonly name: string;
  readonly target: Omit<ConnectTarget, 'tls'>;
  readonly source: DeliverySource;
  readonly log: SinkLog;
  readonly session?: Partial<RelpSessionOptions>;
}

/** Connects (and reconnects) to a RELP receiver and delivers the source's events until closed. */
export function createRelpClient(options: RelpClientOptions): DeliveryClient {
  const session = { ...RELP_DEFAULTS, ...options.session };
  return runDeliveryLoop({
    name: options.name,
    connect: createConnector({ ...options.target, tls: false }),
    startSession: (socket, counters) => startRelpSession(socket, options.source, counters, session),
    source: options.source,
    log: options.log,
  });
}
