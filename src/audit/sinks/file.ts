/**
 * The file sink: JSON lines, appended in order. The lines finished in one turn of the event loop go out
 * in one write on the next turn (under load one syscall covers many events; when idle an event is written
 * on the next turn); flush() writes what is pending at once, synchronously.
 *
 * Durability is batched: an asynchronous fdatasync covers every line written since the previous one and
 * starts at most `syncIntervalMs` after the first of them (0: right after each write batch). Never two
 * syncs in flight: lines written while one runs are covered by the next, which starts when it returns
 * (so under a slow disk a batch can wait longer than the interval, never forever). A line is on disk when
 * the sync that follows its write completes. The event loop never waits for the disk except in flush(),
 * close() and a rotation (rare: once per `maxBytes`).
 *
 * The line is exactly the event the audit log serialized (no logger adding fields). A sink is unhealthy
 * from its first write, sync or reopen error on (ENOSPC, EIO): fdatasync failing means the kernel may
 * already have dropped the dirty pages, so nothing later written can be promised either; the fail-closed
 * gate refuses new requests when no sink is healthy.
 *
 * Rotation: the audit log asks `rotationDue()` before each event and then calls `reopen(true)`: the file
 * is synced, renamed to `<path>.<UTC YYYYMMDDTHHMMSSmmmZ>` and a fresh one (mode 0600) is opened; the audit
 * log writes the header line. `reopen(false)` (SIGHUP, after logrotate moved the file) reopens the path.
 * Special files (/dev/null, a FIFO, /dev/stdout) are written but never synced or rotated.
 */
import { existsSync, fdatasync, fdatasyncSync, renameSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { FileSinkConfig } from '../../config/types.js';
import type { AuditSink, SinkStatus } from '../sinks.js';
import { closeQuietly, LineBatch, openAuditFile, rotationStamp, writeAll, type OpenFile } from './file-io.js';

export { rotationStamp } from './file-io.js';

export type FdatasyncFn = (fd: number, callback: (error: NodeJS.ErrnoException | null) => void) => void;

export interface FileSinkOptions {
  /** The asynchronous batch sync; tests pass one that counts calls or fails. Default: fs.fdatasync. */
  readonly fdatasync?: FdatasyncFn;
  /** Clock for rotated file names. */
  readonly now?: () => Date;
}

/** Counters for telemetry and the benchmark: how often the disk was asked, and how much each sync covered. */
export interface FileSyncStats {
  /** Asynchronous batch syncs completed (the synchronous ones of flush, close and rotation not counted). */
  readonly syncs: number;
  /** Lines those syncs covered: syncedLines / syncs is the events one fdatasync covers. */
  readonly syncedLines: number;
  readonly lastSyncMs: number | null;
  readonly maxSyncMs: number;
  readonly rotations: number;
}

/** The AuditSink, plus `syncStats()` (not part of the sink contract: only who opened a file sink sees it). */
export interface FileSink extends AuditSink {
  readonly path: string;
  /** write() for a line's UTF-8 bytes (the audit log's native lines): copied before it returns. */
  writeUtf8(line: Buffer, seq: number): boolean;
  rotationDue(): boolean;
  reopen(rename: boolean): void;
  syncStats(): FileSyncStats;
}

/** Longest same-millisecond run of rotations before giving up on a unique name (cannot happen at ≥1 MiB). */
const MAX_NAME_BUMPS = 1000;

export function openFileSink(config: FileSinkConfig, options: FileSinkOptions = {}): FileSink {
  return new JsonLinesFileSink(config, options);
}

class JsonLinesFileSink implements FileSink {
  readonly type = 'file';
  readonly name: string;
  readonly format: FileSinkConfig['format'];
  readonly path: string;
  private readonly sync: FdatasyncFn;
  private readonly now: () => Date;
  private file: OpenFile;
  /** Lines written since the last batch went out (encoded as they come). */
  private readonly pending = new LineBatch();
  private writeScheduled = false;
  private syncTimer: NodeJS.Timeout | null = null;
  /** The file whose async sync is running (at most one at a time). */
  private inFlight: OpenFile | null = null;
  private idleWaiters: (() => void)[] = [];
  private failed = false;
  private closed = false;
  private stats = { syncs: 0, syncedLines: 0, lastSyncMs: null as number | null, maxSyncMs: 0, rotations: 0 };

  constructor(private readonly config: FileSinkConfig, options: FileSinkOptions) {
    this.path = config.path;
    this.name = `file:${config.path}`;
    this.format = config.format;
    this.sync = options.fdatasync ?? fdatasync;
    this.now = options.now ?? (() => new Date());
    // Opened here, synchronously: a sink that cannot be opened fails start-up (fail closed), it does not
    // surface later as a stream of lost events.
    this.file = openAuditFile(config.path);
  }

  write(line: string): boolean {
    if (this.failed || this.closed) return false;
    this.pending.addText(line);
    this.scheduleWrite();
    return true;
  }

  /** write() for a line already encoded (the audit log's native lines): copied before it returns. */
  writeUtf8(line: Buffer): boolean {
    if (this.failed || this.closed) return false;
    this.pending.addBytes(line);
    this.scheduleWrite();
    return true;
  }

  healthy(): boolean {
    return !this.failed && !this.closed;
  }

  flush(): void {
    this.writePending();
    if (this.failed || this.closed) return;
    this.syncNow(this.file);
  }

  close(): Promise<void> {
    if (this.closed) return this.whenIdle();
    this.writePending();
    if (!this.failed) this.syncNow(this.file);
    this.closed = true;
    this.clearSyncTimer();
    this.retire(this.file);
    return this.whenIdle();
  }

  status(): SinkStatus {
    return { spooledEvents: 0, spooledBytes: 0, connected: this.healthy() };
  }

  rotationDue(): boolean {
    const { maxBytes } = this.config;
    if (maxBytes === null || !this.healthy() || !this.file.regular) return false;
    const size = this.file.bytes + this.pending.bytes;
    return size > 0 && size >= maxBytes;
  }

  reopen(rename: boolean): void {
    if (!this.healthy()) return;
    // What is pending belongs before the header the audit log writes next: it goes to the old file.
    this.writePending();
    const old = this.file;
    try {
      this.syncNow(old); // the file moved aside is complete on disk before anyone ships it
      if (this.failed) return;
      if (rename && old.regular) {
        renameSync(this.path, this.freeRotatedName());
        this.stats.rotations += 1;
      }
      this.file = openAuditFile(this.path);
    } catch {
      // Cannot move aside or open the path (EACCES, ENOSPC, the directory removed): unhealthy, not a throw
      // into the request path, and not a silent fallback to a file that is no longer where operators look.
      this.fail();
      return;
    }
    this.clearSyncTimer();
    this.retire(old);
  }

  syncStats(): FileSyncStats {
    return { ...this.stats };
  }

  private scheduleWrite(): void {
    if (this.writeScheduled) return;
    this.writeScheduled = true;
    setImmediate(this.writePending);
  }

  private readonly writePending = (): void => {
    this.writeScheduled = false;
    if (this.pending.lines === 0 || this.failed) return;
    const lines = this.pending.lines;
    const batch = this.pending.take();
    try {
      writeAll(this.file.fd, batch);
    } catch {
      this.fail(); // ENOSPC, EIO: this sink can no longer record
      return;
    }
    this.file.bytes += batch.length;
    this.noteUnsynced(lines);
  };

  private noteUnsynced(lines: number): void {
    const { file } = this;
    if (!file.regular) return;
    if (file.unsyncedLines === 0) file.firstUnsyncedAt = performance.now();
    file.unsyncedLines += lines;
    this.scheduleSync();
  }

  private scheduleSync(): void {
    const { file } = this;
    if (this.syncTimer !== null || this.inFlight !== null || file.unsyncedLines === 0 || !this.healthy()) return;
    const delay = this.config.syncIntervalMs - (performance.now() - file.firstUnsyncedAt);
    if (delay <= 0) {
      this.startSync();
      return;
    }
    this.syncTimer = setTimeout(() => {
      this.syncTimer = null;
      this.startSync();
    }, delay);
    // A pending batch sync must not keep a finished process alive: close() and flush() sync synchronously.
    this.syncTimer.unref();
  }

  private startSync(): void {
    const { file } = this;
    if (this.inFlight !== null || file.unsyncedLines === 0 || !this.healthy()) return;
    const covered = file.unsyncedLines;
    file.unsyncedLines = 0;
    this.inFlight = file;
    const started = performance.now();
    this.sync(file.fd, (error) => this.syncDone(file, covered, started, error));
  }

  private syncDone(file: OpenFile, covered: number, started: number, error: NodeJS.ErrnoException | null): void {
    this.inFlight = null;
    if (error !== null) {
      if (!this.closed) this.fail();
    } else {
      const ms = performance.now() - started;
      this.stats.syncs += 1;
      this.stats.syncedLines += covered;
      this.stats.lastSyncMs = ms;
      this.stats.maxSyncMs = Math.max(this.stats.maxSyncMs, ms);
    }
    if (file.retired) closeQuietly(file.fd);
    for (const resolve of this.idleWaiters.splice(0)) resolve();
    this.scheduleSync();
  }

  /** Synchronous sync of everything written to `file` (flush, close, rotation). */
  private syncNow(file: OpenFile): void {
    if (!file.regular) return;
    try {
      fdatasyncSync(file.fd);
      file.unsyncedLines = 0;
    } catch {
      this.fail();
    }
  }

  private retire(file: OpenFile): void {
    file.retired = true;
    // A sync still running on it closes it when it returns: closing now could let the number be reused
    // by the next open and the queued fdatasync land on the wrong file.
    if (this.inFlight !== file) closeQuietly(file.fd);
  }

  private whenIdle(): Promise<void> {
    if (this.inFlight === null) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private fail(): void {
    this.failed = true;
    this.pending.clear();
    this.clearSyncTimer();
  }

  private clearSyncTimer(): void {
    if (this.syncTimer === null) return;
    clearTimeout(this.syncTimer);
    this.syncTimer = null;
  }

  /** `<path>.<YYYYMMDDTHHMMSSmmmZ>`; a name already taken moves on by a millisecond, so names sort in order. */
  private freeRotatedName(): string {
    const at = this.now().getTime();
    for (let bump = 0; bump < MAX_NAME_BUMPS; bump++) {
      const candidate = `${this.path}.${rotationStamp(new Date(at + bump))}`;
      if (!existsSync(candidate)) return candidate;
    }
    throw new Error('no free rotated file name');
  }
}
