/**
 * The stdout sink: lines to file descriptor 1, synchronously (a container's log collector reads them).
 * A closed or broken stdout (EPIPE) makes the sink unhealthy; it never throws into the request path.
 */
import pino from 'pino';
import type { StdoutSinkConfig } from '../../config/types.js';
import type { AuditSink } from '../sinks.js';

export function openStdoutSink(config: StdoutSinkConfig): AuditSink {
  const stream = pino.destination({ fd: 1, sync: true });
  let failed = false;
  stream.on('error', () => {
    failed = true;
  });
  return {
    name: 'stdout',
    type: 'stdout',
    format: config.format,
    write: (line) => {
      if (failed) return false;
      try {
        stream.write(line);
        return true;
      } catch {
        failed = true; // stdout closed (EPIPE) or full: this sink can no longer record
        return false;
      }
    },
    healthy: () => !failed,
    flush: () => undefined,
    close: () => Promise.resolve(),
    status: () => ({ spooledEvents: 0, spooledBytes: 0, connected: !failed }),
  };
}
