/**
 * The file sink's system calls: opening an audit file (mode 0600, a partial last line ended), writing a
 * buffer whole, closing quietly, and the rotated file's name stamp.
 */
import { closeSync, fstatSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export interface OpenFile {
  readonly fd: number;
  /** False for /dev/null, FIFOs, terminals: fdatasync means nothing there (EINVAL) and renaming is wrong. */
  readonly regular: boolean;
  bytes: number;
  unsyncedLines: number;
  /** performance.now() of the first line not yet covered by a sync. */
  firstUnsyncedAt: number;
  /** Replaced by a fresh file; its descriptor is closed once no sync runs on it. */
  retired: boolean;
}

export function rotationStamp(time: Date): string {
  return time.toISOString().replace(/[-:.]/g, '');
}

export function openAuditFile(path: string): OpenFile {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const fd = openSync(path, 'a+', 0o600);
  try {
    terminatePartialLine(fd);
    const stat = fstatSync(fd);
    return { fd, regular: stat.isFile(), bytes: stat.size, unsyncedLines: 0, firstUnsyncedAt: 0, retired: false };
  } catch (error) {
    closeQuietly(fd);
    throw error;
  }
}

/** writeSync may write less than asked (a signal, a nearly full disk): continue until all is out or it throws. */
export function writeAll(fd: number, data: Buffer): void {
  for (let offset = 0; offset < data.length; ) {
    const written = writeSync(fd, data, offset);
    if (written <= 0) throw new Error('write made no progress');
    offset += written;
  }
}

export function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Only reached after the file was synced (or the sink already failed): nothing left to lose here.
  }
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
