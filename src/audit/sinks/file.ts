/**
 * The file sink: JSON lines written through pino's destination streams (SonicBoom). File sinks write
 * synchronously and in order: the lines finished in one turn of the event loop go out in one write on
 * the next turn (one syscall covers many events under load), and flush() writes what is pending at once
 * (an async SonicBoom write in flight could be overtaken by a flush and land out of order; batching with
 * fdatasync is a later refinement). The event is serialized by the audit log, not by a pino logger, so
 * the line is exactly the event: a logger would add its own level/time fields (and pino 10 emits
 * invalid JSON when the level field is formatted away). One stream per sink, so one failing sink cannot
 * stop the others. A sink is unhealthy from its first write error on; the fail-closed gate refuses new
 * requests when no sink is healthy.
 */
import { fstatSync, fsyncSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import pino from 'pino';
import type { FileSinkConfig } from '../../config/types.js';
import type { AuditSink } from '../sinks.js';

export function openFileSink(config: FileSinkConfig): AuditSink {
  const { path } = config;
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  // Opened here, synchronously: a sink that cannot be opened fails start-up (fail closed), it does not
  // surface later as a stream of lost events.
  const fd = openSync(path, 'a+', 0o600);
  terminatePartialLine(fd);
  const stream = pino.destination({ fd, sync: true, minLength: 0 });
  let failed = false;
  let closed = false;
  stream.on('error', () => {
    failed = true;
  });
  // Lines finished in one turn of the event loop go out in one write, in order: under load one syscall
  // covers many events; when idle an event is written on the next turn.
  let pending: string[] = [];
  let scheduled = false;
  const writePending = (): void => {
    scheduled = false;
    if (pending.length === 0 || failed) return;
    const batch = pending.join('');
    pending = [];
    try {
      stream.write(batch);
    } catch {
      failed = true; // a synchronous write error (ENOSPC, EIO): this sink can no longer record
    }
  };
  return {
    name: `file:${path}`,
    type: 'file',
    format: config.format,
    path,
    write: (line) => {
      if (failed || closed) return false;
      pending.push(line);
      if (!scheduled) {
        scheduled = true;
        setImmediate(writePending);
      }
      return true;
    },
    healthy: () => !failed && !closed,
    flush() {
      writePending();
      if (failed || closed) return;
      stream.flushSync();
      fsyncSync(fd);
    },
    close() {
      if (closed) return Promise.resolve();
      writePending();
      closed = true;
      try {
        if (!failed) {
          stream.flushSync();
          fsyncSync(fd);
        }
      } finally {
        // SonicBoom closes the descriptor itself, asynchronously (after its own fsync). Closing it here as
        // well let that late close hit whatever file reused the number (a sink reopened at once).
        stream.destroy();
      }
      return Promise.resolve();
    },
    status: () => ({ spooledEvents: 0, spooledBytes: 0, connected: !failed && !closed }),
  };
}

/**
 * A crash mid-write can leave a partial last line; new lines must not be glued onto it. It is ended with
 * a newline (kept, not truncated: it is evidence), and the header of this start names it (`partial_tails`).
 */
function terminatePartialLine(fd: number): void {
  const { size } = fstatSync(fd);
  if (size === 0) return;
  const last = Buffer.alloc(1);
  readSync(fd, last, 0, 1, size - 1);
  if (last[0] !== 0x0a) writeSync(fd, '\n');
}
