/**
 * Runs the MCP server as wrap's child. Its stdin and stdout ARE the MCP channel, so they are inherited
 * (the same file descriptors: byte for byte, no copy through wrap, EOF seen when the host closes), and
 * wrap itself never writes to stdout. SIGINT, SIGTERM and SIGHUP are passed on; wrap exits with the
 * child's code, or 128 + the signal number when a signal ended it (the shell convention).
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

export const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** What a shell reports for a command it could not run: not found (127), not executable (126). */
const SPAWN_FAILURE_CODES: Readonly<Record<string, number>> = { ENOENT: 127, EACCES: 126 };

export interface ServerCommand {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
}

export function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const number = signal ? constants.signals[signal] : undefined;
  return number === undefined ? 1 : 128 + number;
}

/** Resolves with wrap's exit code once the server has exited. Diagnostics go to `stderr`. */
export function runServer(server: ServerCommand, stderr: (line: string) => void): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(server.command, [...server.args], { env: server.env, stdio: 'inherit' });
    const forward = (signal: NodeJS.Signals): void => {
      // The child may have exited between the signal and this handler: nothing left to tell.
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    };
    for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);
    const done = (code: number): void => {
      for (const signal of FORWARDED_SIGNALS) process.off(signal, forward);
      resolve(code);
    };
    child.once('error', (error: NodeJS.ErrnoException) => {
      if (child.pid !== undefined) return; // a failed kill(), not a failed start: 'exit' still follows
      // spawn failed (no 'exit' follows): say why in the shell's terms.
      stderr(`cannot start "${server.command}": ${error.code ?? 'spawn failed'}`);
      done(SPAWN_FAILURE_CODES[error.code ?? ''] ?? 1);
    });
    child.once('exit', (code, signal) => done(exitCodeOf(code, signal)));
  });
}
