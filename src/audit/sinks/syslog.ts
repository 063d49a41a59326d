/**
 * The syslog sink: RFC 5424 messages to a receiver over TCP or TLS (octet counting, RFC 6587) or RELP
 * (rsyslog's acknowledged transport). Every accepted event is formatted once, written ahead to the disk
 * spool (spool.ts) and sent from there, so the bytes a receiver gets on a resend are the bytes it got the
 * first time (same timestamp, same seq in the structured data `[mcp-egress@32473 seq="…"]`).
 *
 * Guarantees: relp — an event leaves the spool only when the receiver acknowledged it; after a receiver
 * crash or a proxy restart the unacknowledged ones are sent again (duplicates possible, same seq; none
 * lost). tcp/tls — events spooled while the receiver is away arrive in order when it returns; the ones in
 * flight when it dies may be lost.
 *
 * Health: the sink reports unhealthy while less than a quarter of its spool (at most 1 MiB) is free, so
 * the fail-closed gate refuses new requests before the spool is actually full and the requests already
 * admitted still find room for their events.
 */
import { hostname } from 'node:os';
import type { SyslogSinkConfig } from '../../config/types.js';
import type { AuditSink, SinkDeps } from '../sinks.js';
import { openSpool, type SpoolOptions } from '../spool.js';
import type { DeliveryClient } from './delivery.js';
import { createRelpClient, type RelpSessionOptions } from './relp-client.js';
import { formatRfc5424, SD_ID, SEVERITY, type Severity } from './rfc5424.js';
import { createStreamClient } from './stream-client.js';

export interface SyslogSinkOptions {
  readonly now?: () => Date;
  readonly hostname?: string;
  readonly relp?: Partial<RelpSessionOptions>;
  readonly spool?: Omit<SpoolOptions, 'log'>;
  /** How long close() waits for the receiver to acknowledge what is in flight. */
  readonly closeGraceMs?: number;
}

const HEADROOM_CAP = 1024 * 1024;

export function openSyslogSink(config: SyslogSinkConfig, deps: SinkDeps, options: SyslogSinkOptions = {}): AuditSink {
  const now = options.now ?? (() => new Date());
  const host = options.hostname ?? hostname();
  const procId = String(process.pid);
  const { address } = config;
  const name = `syslog+${config.transport}://${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
  const spool = openSpool(config.spool, { ...options.spool, log: deps.log });
  let client: DeliveryClient;
  try {
    client = openClient(config, name, spool, deps, options);
  } catch (error) {
    spool.close(); // a CA file that cannot be read fails start-up
    throw error;
  }
  const headroom = Math.min(Math.floor(config.spool.maxBytes / 4), HEADROOM_CAP);
  let closed = false;
  let full = false;
  let notifyScheduled = false;
  // One send attempt per event-loop turn: the events of one turn go out as one batch of frames.
  const notify = (): void => {
    notifyScheduled = false;
    client.notify();
  };

  return {
    name,
    type: 'syslog',
    format: config.format,
    write(line, seq) {
      if (closed) return false;
      const { msgId, severity } = classify(line);
      const message = formatRfc5424({
        facility: config.facility,
        severity,
        time: now(),
        hostname: host,
        appName: config.appName,
        procId,
        msgId,
        structuredData: [{ id: SD_ID, params: [['seq', String(seq)]] }],
        message: line,
      });
      if (!spool.append(message, seq)) {
        if (!full) deps.log('error', 'audit sink: spool full; events for this sink are refused until the receiver catches up', { sink: name, spooled: spool.depth().events });
        full = true;
        return false;
      }
      full = false;
      if (!notifyScheduled) {
        notifyScheduled = true;
        setImmediate(notify);
      }
      return true;
    },
    healthy: () => !closed && spool.room() >= headroom,
    flush: () => spool.flush(),
    async close() {
      if (closed) return;
      closed = true;
      try {
        await client.close(options.closeGraceMs ?? 2000);
      } finally {
        spool.close(); // what was not acknowledged is sent after the next start
      }
    },
    status: () => {
      const depth = spool.depth();
      return { spooledEvents: depth.events, spooledBytes: depth.bytes, connected: !closed && client.connected() };
    },
  };
}

function openClient(config: SyslogSinkConfig, name: string, spool: ReturnType<typeof openSpool>, deps: SinkDeps, options: SyslogSinkOptions): DeliveryClient {
  const target = { host: config.address.host, port: config.address.port, ca: config.ca, serverName: config.serverName };
  if (config.transport === 'relp') return createRelpClient({ name, target, source: spool, log: deps.log, ...(options.relp ? { session: options.relp } : {}) });
  return createStreamClient({ name, target: { ...target, tls: config.transport === 'tls' }, source: spool, log: deps.log });
}

const KIND = /"kind":"([a-z_]{1,32})"/;

/**
 * MSGID is the record kind (request, connect, alert, header, checkpoint), read from the line's first bytes
 * where the native envelope puts it; severity is warning for alerts and denied requests, info otherwise.
 */
export function classify(line: string): { readonly msgId: string; readonly severity: Severity } {
  const kind = KIND.exec(line.slice(0, 320))?.[1] ?? '-';
  const warning = kind === 'alert' || line.includes('"decision":{"action":"deny"');
  return { msgId: kind, severity: warning ? SEVERITY.warning : SEVERITY.info };
}
