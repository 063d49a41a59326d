/**
 * The process logger (pino, JSON lines on stderr). Its destination scrubs every line with the secret
 * scanner; pino's key-path `redact` is only a backstop for the header fields most likely to be logged
 * by mistake (it is case-sensitive and cannot see inside strings, so it is never the main defence).
 */
import { writeSync } from 'node:fs';
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import type { LineScrubber } from './line-scrubber.js';

const BACKSTOP_PATHS = [
  '*.authorization', '*.Authorization', '*.proxy-authorization', '*.cookie', '*.set-cookie',
  '*.password', '*.secret', '*.token', 'headers.authorization', 'headers.cookie', 'req.headers.authorization',
];

/** A destination that writes each scrubbed line to a file descriptor synchronously (logs stay in order). */
export function scrubbingDestination(fd: number, scrub: LineScrubber): Writable {
  return new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _encoding, callback) {
      try {
        writeSync(fd, scrub(typeof chunk === 'string' ? chunk : chunk.toString('utf8')));
        callback();
      } catch (error: unknown) {
        callback(error as Error);
      }
    },
  });
}

export function createProcessLogger(destination: Writable): Logger {
  return pino({ base: { service: 'mcp-egress' }, redact: { paths: BACKSTOP_PATHS, censor: '[REDACTED]' } }, destination);
}
