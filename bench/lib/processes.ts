/**
 * Child processes of one run (backend, proxy): started without a shell so the PID is the process that
 * does the work, logged to files in the run dir, and stopped by that PID only (SIGTERM, then SIGKILL).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface StartedProcess {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** The first stdout line that matched the ready pattern, split by the pattern's groups. */
  readonly ready: RegExpMatchArray;
  readonly logPath: string;
}

export interface StartOptions {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly logPath: string;
  readonly readyPattern: RegExp;
  readonly timeoutMs: number;
}

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** True when SIGTERM was not enough within the grace period. */
  readonly killed: boolean;
}

/** Starts a process and resolves once a stdout line matches `readyPattern`; rejects if it exits or times out first. */
export function startProcess(options: StartOptions): Promise<StartedProcess> {
  const log = createWriteStream(options.logPath, { flags: 'a' });
  const child = spawn(options.command, [...options.args], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr.pipe(log);
  return new Promise((resolve, reject) => {
    let pending = '';
    const timer = setTimeout(() => fail(`not ready within ${options.timeoutMs} ms`), options.timeoutMs);
    const fail = (why: string): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${options.name} ${why}; see ${options.logPath}`));
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => fail(`exited early (code ${code}, signal ${signal})`);
    child.once('exit', onExit);
    child.once('error', (error) => fail(`could not start: ${error.message}`));
    child.stdout.on('data', (chunk: Buffer) => {
      log.write(chunk);
      pending += chunk.toString('utf8');
      const match = pending.split('\n').map((line) => options.readyPattern.exec(line)).find((found) => found !== null);
      if (match === undefined || child.pid === undefined) return;
      clearTimeout(timer);
      child.off('exit', onExit);
      pending = '';
      child.stdout.removeAllListeners('data');
      child.stdout.pipe(log);
      resolve({ name: options.name, pid: child.pid, child, ready: match, logPath: options.logPath });
    });
  });
}

/** SIGTERM, wait up to `graceMs`, then SIGKILL; resolves with how it ended. */
export async function stopProcess(started: StartedProcess, graceMs: number): Promise<ExitInfo> {
  const { child } = started;
  if (child.exitCode !== null || child.signalCode !== null) return { code: child.exitCode, signal: child.signalCode, killed: false };
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal, killed: false }));
  });
  child.kill('SIGTERM');
  const outcome = await Promise.race([exited, sleep(graceMs).then(() => null)]);
  if (outcome !== null) return outcome;
  child.kill('SIGKILL');
  const afterKill = await exited;
  return { ...afterKill, killed: true };
}

/** Last resort on an abnormal exit of the benchmark: SIGKILL by the PIDs we started, synchronously. */
export function killNow(processes: readonly StartedProcess[]): void {
  for (const started of processes) {
    if (started.child.exitCode === null && started.child.signalCode === null) started.child.kill('SIGKILL');
  }
}
