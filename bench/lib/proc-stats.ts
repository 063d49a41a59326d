/**
 * Linux /proc readers for one process (the proxy): CPU time, resident memory and its high-water mark.
 * The proxy is started without a shell, so its PID is the Node process itself; utime/stime in
 * /proc/<pid>/stat already include every thread (libuv's pool does the TLS and signing work).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

export interface MemoryMB {
  readonly rssMB: number;
  readonly hwmMB: number;
}

/** Clock ticks per second for /proc/<pid>/stat times; 100 on every common Linux build. */
export function clockTicksPerSecond(): number {
  const text = execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim();
  const ticks = Number(text);
  if (!Number.isInteger(ticks) || ticks <= 0) throw new Error(`getconf CLK_TCK returned ${JSON.stringify(text)}`);
  return ticks;
}

/** User + system CPU seconds the process has used so far. */
export function cpuSeconds(pid: number, ticksPerSecond: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces and parentheses: count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`cannot parse /proc/${pid}/stat`);
  return (utime + stime) / ticksPerSecond;
}

export function memoryMB(pid: number): MemoryMB {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return { rssMB: statusFieldMB(status, 'VmRSS'), hwmMB: statusFieldMB(status, 'VmHWM') };
}

/**
 * Resets VmHWM to the current RSS (writing 5 to clear_refs, Linux >= 4.0), so a later VmHWM is the peak
 * of one scenario alone. Returns false where that is not permitted; callers then rely on sampling.
 */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch (error: unknown) {
    const code = (error as { code?: unknown }).code;
    if (code === 'EACCES' || code === 'EPERM' || code === 'EINVAL' || code === 'ENOENT') return false;
    throw error;
  }
}

function statusFieldMB(status: string, field: string): number {
  const line = status.split('\n').find((candidate) => candidate.startsWith(`${field}:`));
  const kb = line === undefined ? Number.NaN : Number(line.slice(field.length + 1).trim().split(/\s+/)[0]);
  if (!Number.isFinite(kb)) throw new Error(`no ${field} in /proc status`);
  return round1(kb / 1024);
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
