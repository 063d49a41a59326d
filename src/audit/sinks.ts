/**
 * Audit sinks: where the audit log's lines go. Every sink receives complete lines (already serialized in
 * its format, scrubbed, newline included) with the tamper-evidence chain's sequence number, so a receiver
 * can drop the duplicates a resend may cause. One sink failing never stops the others.
 *
 * `write` returns whether the sink accepted the line (written, or spooled for a receiver that is away);
 * a false is a lost event for that sink. `healthy` says whether it can accept the next one: the
 * fail-closed gate and /readyz refuse when no sink can.
 */
import type { AuditFormat, AuditSinkConfig } from '../config/types.js';
import { openFileSink } from './sinks/file.js';
import { openHecSink } from './sinks/hec.js';
import { openStdoutSink } from './sinks/stdout.js';
import { openSyslogSink } from './sinks/syslog.js';

export interface SinkStatus {
  /** Events accepted but not yet acknowledged by the receiver (network sinks; 0 for file and stdout). */
  readonly spooledEvents: number;
  readonly spooledBytes: number;
  /** The receiver is reachable (always true for file and stdout while healthy). */
  readonly connected: boolean;
}

export interface AuditSink {
  /** For logs: the file path or receiver address, never a token or URL credentials. */
  readonly name: string;
  /** Metric label: the sink type. */
  readonly type: AuditSinkConfig['type'];
  readonly format: AuditFormat;
  /** The file a native file sink appends to (the chain recovers its position from the file's last line). */
  readonly path?: string;
  write(line: string, seq: number): boolean;
  healthy(): boolean;
  /** Pushes buffered lines to the OS (and to disk for files) synchronously, as far as the sink can. */
  flush(): void;
  /** Stops accepting; flushes; for network sinks, gives the receiver a short grace to acknowledge. */
  close(): Promise<void>;
  status(): SinkStatus;
  /** File sinks: true when the next line should go to a fresh file (size limit reached). */
  rotationDue?(): boolean;
  /**
   * File sinks: start a fresh file. `rename` true (size rotation): move the current file aside first;
   * false (SIGHUP): reopen the path, which logrotate or an operator has already moved away.
   */
  reopen?(rename: boolean): void;
}

/** Reports a sink's trouble (connect failures, resends) without a secret; the composition root passes a logger. */
export type SinkLog = (level: 'info' | 'warn' | 'error', message: string, fields?: Readonly<Record<string, unknown>>) => void;

export interface SinkDeps {
  readonly log: SinkLog;
}

export const quietSinkLog: SinkLog = () => undefined;

export function openSink(config: AuditSinkConfig, deps: SinkDeps = { log: quietSinkLog }): AuditSink {
  switch (config.type) {
    case 'file':
      return openFileSink(config);
    case 'stdout':
      return openStdoutSink(config);
    case 'syslog':
      return openSyslogSink(config, deps);
    case 'http':
      return openHecSink(config, deps);
  }
}
