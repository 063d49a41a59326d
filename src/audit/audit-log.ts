/**
 * The audit observer: one event per Outcome to every sink. It never throws into the request path; a
 * sink's failure is visible through `healthy()`, which the fail-closed gate and /readyz consult.
 */
import type { Outcome } from '../pipeline/context.js';
import { buildAuditEvent, type AuditEvent } from './event.js';
import type { AuditSink } from './sinks.js';

export interface AuditLog {
  observe(outcome: Outcome): void;
  /** True while at least one sink can record. */
  healthy(): boolean;
  flush(): void;
  close(): void;
}

export interface AuditLogOptions {
  /** Scrubs the serialized line with the secret scanner: no secret reaches a sink, whatever field held it. */
  readonly scrub: (line: string) => string;
  readonly onEvent?: (event: AuditEvent) => void;
}

export function createAuditLog(sinks: readonly AuditSink[], options: AuditLogOptions): AuditLog {
  const { scrub, onEvent } = options;
  return {
    observe(outcome) {
      const event = buildAuditEvent(outcome);
      const line = `${scrub(JSON.stringify(event))}\n`;
      for (const sink of sinks) {
        if (sink.healthy()) sink.write(line);
      }
      onEvent?.(event);
    },
    healthy: () => sinks.some((sink) => sink.healthy()),
    flush() {
      for (const sink of sinks) sink.flush();
    },
    close() {
      for (const sink of sinks) sink.close();
    },
  };
}
