/**
 * Runs the real command line (`bin/mcp-egress.js`, built by `npm run build`) as a child process and
 * captures everything it prints, so tests can assert what a user (and a log collector) would see.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { cleanEnv } from './clients.js';

export const BIN = fileURLToPath(new URL('../../bin/mcp-egress.js', import.meta.url));
const DIST_CLI = fileURLToPath(new URL('../../dist/cli/index.js', import.meta.url));

export interface CliProcess {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  waitForOutput(text: string, timeoutMs?: number): Promise<void>;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

export function assertBuilt(): void {
  if (!existsSync(DIST_CLI)) throw new Error('dist/ is missing: run `npm run build` (npm test does it in pretest)');
}

export function spawnCli(args: readonly string[], options: { cwd: string; env?: Readonly<Record<string, string>> }): CliProcess {
  assertBuilt();
  const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, env: cleanEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] });
  const proc: CliProcess = {
    child,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
    waitForOutput: (text, timeoutMs = 15_000) =>
      new Promise((resolve, reject) => {
        const deadline = setTimeout(() => reject(new Error(`timed out waiting for "${text}"; stdout: ${proc.stdout} stderr: ${proc.stderr}`)), timeoutMs);
        const check = (): void => {
          if (proc.stdout.includes(text) || proc.stderr.includes(text)) {
            clearTimeout(deadline);
            resolve();
          }
        };
        child.stdout?.on('data', check);
        child.stderr?.on('data', check);
        child.once('exit', () => setTimeout(check, 10));
        check();
      }),
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null) child.kill(signal);
      return proc.exited;
    },
  };
  child.stdout?.on('data', (chunk: Buffer) => { proc.stdout += chunk.toString(); });
  child.stderr?.on('data', (chunk: Buffer) => { proc.stderr += chunk.toString(); });
  return proc;
}
