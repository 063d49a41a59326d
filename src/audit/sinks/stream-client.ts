/**
 * Syslog over TCP or TLS (RFC 5425/6587) with octet counting. There is no acknowledgement in these
 * protocols: an event leaves the spool once the kernel has taken its bytes (the write callback), which is
 * not delivery. Events spooled while the receiver is away are delivered in order when it returns; the
 * ones in the socket buffers when a receiver dies are lost, and nothing tells us which (use RELP when that
 * matters). One batch is written at a time, so the spool's head is always exactly what is unsent.
 */
import type { Socket } from 'node:net';
import type { SinkLog } from '../sinks.js';
import { createConnector, runDeliveryLoop, type ConnectTarget, type DeliveryClient, type DeliveryCounters, type DeliverySource, type Session, type SessionEnd } from './delivery.js';
import { frameOctetCounted } from './octet-framing.js';

const BATCH_EVENTS = 512;
const BATCH_BYTES = 1024 * 1024;

export function startStreamSession(socket: Socket, source: DeliverySource, counters: DeliveryCounters): Session {
  let writing = false;
  let ended = false;
  let reason: string | null = null;
  let finish: (end: SessionEnd) => void = () => undefined;
  const done = new Promise<SessionEnd>((resolve) => {
    finish = resolve;
  });
  const fail = (why: string): void => {
    reason ??= why;
    socket.destroy();
  };

  const pump = (): void => {
    if (writing || ended) return;
    const entries = source.peek(BATCH_EVENTS, BATCH_BYTES);
    const last = entries.at(-1);
    if (last === undefined) return;
    for (const entry of entries) {
      if (counters.highestSent !== null && entry.seq <= counters.highestSent) counters.resent += 1;
      else counters.highestSent = entry.seq;
    }
    writing = true;
    socket.write(Buffer.concat(entries.map((entry) => frameOctetCounted(entry.line))), (error) => {
      writing = false;
      if (error) return fail(`write failed: ${(error as NodeJS.ErrnoException).code ?? error.message}`);
      source.ack(last.seq);
      pump();
    });
  };

  socket.on('data', () => undefined); // a syslog receiver sends nothing; reading lets us see its FIN
  socket.on('error', (error: NodeJS.ErrnoException) => {
    reason ??= `socket error: ${error.code ?? error.message}`;
  });
  socket.on('end', () => fail('the receiver closed the connection'));
  socket.on('close', () => {
    ended = true;
    finish({ reason: reason ?? 'closed', established: true });
  });
  queueMicrotask(pump);

  return {
    done,
    established: () => !ended,
    pump,
    async end(timeoutMs) {
      reason ??= 'closed by us';
      socket.end();
      const timer = setTimeout(() => socket.destroy(), timeoutMs);
      await done;
      clearTimeout(timer);
    },
  };
}

export interface StreamClientOptions {
  readonly name: string;
  readonly target: ConnectTarget;
  readonly source: DeliverySource;
  readonly log: SinkLog;
}

export function createStreamClient(options: StreamClientOptions): DeliveryClient {
  return runDeliveryLoop({
    name: options.name,
    connect: createConnector(options.target),
    startSession: (socket, counters) => startStreamSession(socket, options.source, counters),
    source: options.source,
    log: options.log,
  });
}
