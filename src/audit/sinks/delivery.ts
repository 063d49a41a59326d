/**
 * What the syslog transports share: the spool as the source of what to send, the connection to the
 * receiver (TCP, or TLS verified against the system roots plus the configured CA files), and the loop that
 * reconnects with bounded backoff (100 ms doubling to 5 s) and starts one session per connection. A session
 * sends from the head of the spool and acknowledges what the receiver has (RELP: `rsp 200`; TCP/TLS: the
 * kernel took the bytes); what it did not acknowledge is still at the head for the next session.
 */
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { createTrustContext } from '../../tls/trust-context.js';
import type { SinkLog } from '../sinks.js';
import type { Spool } from '../spool.js';

export type DeliverySource = Pick<Spool, 'peek' | 'ack' | 'depth'>;

export interface SessionEnd {
  readonly reason: string;
  /** The session got as far as sending (RELP: the open handshake succeeded). */
  readonly established: boolean;
}

export interface Session {
  readonly done: Promise<SessionEnd>;
  established(): boolean;
  /** Sends what the source holds, as far as the session's window allows. */
  pump(): void;
  /** Closes politely (RELP `close`) when nothing is in flight; destroys the socket after `timeoutMs`. */
  end(timeoutMs: number): Promise<void>;
}

/** Shared across the sessions of one client: how many events went out a second time. */
export interface DeliveryCounters {
  resent: number;
  highestSent: number | null;
}

export interface DeliveryClient {
  /** New entries in the source. */
  notify(): void;
  connected(): boolean;
  stats(): { readonly resent: number; readonly sessions: number };
  /** Waits up to `graceMs` for the receiver to acknowledge everything (when connected), then disconnects. */
  close(graceMs: number): Promise<void>;
}

export interface Backoff {
  next(): number;
  reset(): void;
}

export function createBackoff(minMs = 100, maxMs = 5000): Backoff {
  let current = minMs;
  return {
    next() {
      const delay = current;
      current = Math.min(maxMs, current * 2);
      return delay;
    },
    reset() {
      current = minMs;
    },
  };
}

export interface ConnectTarget {
  readonly tls: boolean;
  readonly host: string;
  readonly port: number;
  /** CA bundle paths, read once here (at start: a missing file fails the sink's opening, not a reconnect). */
  readonly ca: readonly string[];
  readonly serverName: string | null;
}

export function createConnector(target: ConnectTarget, timeoutMs = 5000): () => Promise<Socket> {
  const secureContext = target.tls ? createTrustContext(target.ca) : undefined;
  // SNI carries names only; for an IP literal the certificate is checked against the address itself.
  const servername = target.serverName ?? (isIP(target.host) === 0 ? target.host : undefined);
  return () =>
    new Promise((resolve, reject) => {
      const socket = target.tls
        ? tlsConnect({ host: target.host, port: target.port, secureContext, rejectUnauthorized: true, ...(servername === undefined ? {} : { servername }) })
        : netConnect({ host: target.host, port: target.port });
      const fail = (error: Error): void => {
        socket.destroy();
        reject(error);
      };
      socket.setTimeout(timeoutMs, () => fail(new Error(`connect timed out after ${timeoutMs} ms`)));
      socket.once('error', fail);
      socket.once(target.tls ? 'secureConnect' : 'connect', () => {
        socket.setTimeout(0);
        socket.removeListener('error', fail);
        socket.setNoDelay(true);
        socket.setKeepAlive(true, 30_000);
        resolve(socket);
      });
    });
}

export interface LoopOptions {
  readonly name: string;
  readonly connect: () => Promise<Socket>;
  readonly startSession: (socket: Socket, counters: DeliveryCounters) => Session;
  readonly source: DeliverySource;
  readonly log: SinkLog;
  readonly backoff?: Backoff;
}

export function runDeliveryLoop(options: LoopOptions): DeliveryClient {
  const { name, log, source } = options;
  const backoff = options.backoff ?? createBackoff();
  const counters: DeliveryCounters = { resent: 0, highestSent: null };
  let session: Session | null = null;
  let sessions = 0;
  let stopped = false;
  let wake: (() => void) | null = null;
  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        wake = null;
        resolve();
      }, ms);
      wake = () => {
        clearTimeout(timer);
        wake = null;
        resolve();
      };
    });

  const loop = async (): Promise<void> => {
    let failures = 0;
    while (!stopped) {
      let socket: Socket;
      try {
        socket = await options.connect();
      } catch (error) {
        if (failures++ === 0) log('warn', 'audit sink: cannot reach the receiver; events are spooled', { sink: name, error: describe(error) });
        await sleep(backoff.next());
        continue;
      }
      if (stopped) {
        socket.destroy();
        break;
      }
      const resentBefore = counters.resent;
      session = options.startSession(socket, counters);
      sessions += 1;
      const end = await session.done;
      session = null;
      if (end.established) {
        backoff.reset();
        failures = 0;
      }
      const fields = { sink: name, reason: end.reason, resent: counters.resent - resentBefore, resentTotal: counters.resent, spooled: source.depth().events };
      if (stopped) log('info', 'audit sink: disconnected from the receiver (closing)', fields);
      else {
        log('warn', 'audit sink: connection to the receiver ended; unacknowledged events stay spooled', fields);
        await sleep(backoff.next());
      }
    }
  };
  const running = loop();

  return {
    notify: () => session?.pump(),
    connected: () => session?.established() ?? false,
    stats: () => ({ resent: counters.resent, sessions }),
    async close(graceMs) {
      const deadline = Date.now() + graceMs;
      // Bounded by the deadline: the receiver gets a short grace to acknowledge what is in flight.
      while (session?.established() === true && source.depth().events > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      stopped = true;
      wake?.();
      await session?.end(Math.max(100, Math.min(1000, deadline - Date.now())));
      await running;
    },
  };
}

/** An error's code or message: addresses and errno names, never a secret (the syslog sink holds none). */
export function describe(error: unknown): string {
  if (error instanceof Error) return (error as NodeJS.ErrnoException).code ?? error.message;
  return String(error);
}
