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

/** A UTF-16 code unit is at most 3 UTF-8 bytes (a surrogate pair, 2 units, is 4): 3 × length always fits. */
const MAX_BYTES_PER_UNIT = 3;
const INITIAL_BATCH_BYTES = 64 * 1024;
const EXACT_LENGTH_ABOVE = 64 * 1024;
/** A batch buffer grown past this by a burst is let go once written, not kept for good. */
const MAX_RETAINED_BATCH_BYTES = 1024 * 1024;

/**
 * The lines of one write batch, as UTF-8 bytes in one reused buffer: a line is encoded (or, given as
 * bytes, copied) when it is queued, so the batch is written as it stands, with no join or encode per turn.
 */
export class LineBatch {
  private buffer = Buffer.allocUnsafe(INITIAL_BATCH_BYTES);
  private used = 0;
  private count = 0;

  get lines(): number {
    return this.count;
  }

  get bytes(): number {
    return this.used;
  }

  addText(line: string): void {
    // The cheap bound for usual lines; a huge one is measured rather than tripled.
    this.reserve(line.length <= EXACT_LENGTH_ABOVE ? line.length * MAX_BYTES_PER_UNIT : Buffer.byteLength(line));
    this.used += this.buffer.write(line, this.used);
    this.count += 1;
  }

  addBytes(line: Uint8Array): void {
    this.reserve(line.length);
    this.buffer.set(line, this.used);
    this.used += line.length;
    this.count += 1;
  }

  /** The queued bytes, and an empty batch: the view stays valid until the next add. */
  take(): Buffer {
    const taken = this.buffer.subarray(0, this.used);
    this.clear();
    return taken;
  }

  clear(): void {
    this.used = 0;
    this.count = 0;
    if (this.buffer.length > MAX_RETAINED_BATCH_BYTES) this.buffer = Buffer.allocUnsafe(INITIAL_BATCH_BYTES);
  }

  private reserve(extra: number): void {
    if (this.used + extra <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.used + extra));
    this.buffer.copy(grown, 0, 0, this.used);
    this.buffer = grown;
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
