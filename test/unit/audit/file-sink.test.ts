/**
 * The file sink on a real file system, driven through the audit log where the chain matters: rotation by
 * size yields files that verify in order, each opened by a header; a SIGHUP reopen after an external
 * rename; batched fdatasync (counted through the injectable sync); write and sync errors make it unhealthy.
 */
import { existsSync, fdatasync, mkdtempSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createAuditLog } from '../../../src/audit/audit-log.js';
import { openFileSink, rotationStamp, type FdatasyncFn, type FileSinkOptions } from '../../../src/audit/sinks/file.js';
import { verifyChain } from '../../../src/audit/verify.js';
import type { FileSinkConfig } from '../../../src/config/types.js';
import { buildOutcome } from '../../../src/pipeline/run.js';
import { requestContext } from '../../helpers/context-factory.js';

const auditPath = (): string => join(mkdtempSync(join(tmpdir(), 'egress-file-sink-')), 'audit.jsonl');
const fileConfig = (path: string, overrides: Partial<FileSinkConfig> = {}): FileSinkConfig => ({
  type: 'file', path, format: 'native', maxBytes: null, syncIntervalMs: 0, ...overrides,
});
const linesOf = (file: string): Record<string, unknown>[] =>
  readFileSync(file, 'utf8').split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, unknown>);
/** Rotated files (sorted by their timestamp names), then the current one: the order `audit verify` wants. */
const filesInOrder = (path: string): string[] => {
  const dir = join(path, '..');
  const base = path.slice(dir.length + 1);
  const rotated = readdirSync(dir).filter((name) => name.startsWith(`${base}.`)).sort().map((name) => join(dir, name));
  return [...rotated, path];
};

/** Counts syncs and how many ran at once; each completes on a later turn, like the thread pool's. */
function countingSync(delayMs = 1): { fn: FdatasyncFn; calls: number; maxInFlight: number } {
  const counter = { calls: 0, maxInFlight: 0, inFlight: 0, fn: undefined as unknown as FdatasyncFn };
  counter.fn = (fd, callback) => {
    counter.calls += 1;
    counter.inFlight += 1;
    counter.maxInFlight = Math.max(counter.maxInFlight, counter.inFlight);
    fdatasync(fd, (error) => {
      setTimeout(() => {
        counter.inFlight -= 1;
        callback(error);
      }, delayMs);
    });
  };
  return counter;
}

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}

describe('file sink: rotation', () => {
  it('rotates by size: every file starts with a header and the chain verifies across them in order', async () => {
    const path = auditPath();
    const sink = openFileSink(fileConfig(path, { maxBytes: 8 * 1024 }));
    const audit = createAuditLog([sink], { scrub: (line) => line });
    for (let i = 0; i < 120; i += 1) {
      audit.observe(buildOutcome(requestContext({ method: 'GET' })));
      if (i % 7 === 0) await nextTurn(); // let some batches reach the file, as under real traffic
    }
    await audit.close();
    const files = filesInOrder(path);
    expect(files.length).toBeGreaterThanOrEqual(3);
    const report = await verifyChain(files);
    expect(report.break).toBeNull();
    expect(report.partialTails).toEqual([]);
    expect(report.lines).toBe(files.reduce((sum, file) => sum + linesOf(file).length, 0));
    for (const [index, file] of files.entries()) {
      const first = linesOf(file)[0];
      expect(first).toMatchObject({ kind: 'header', reason: index === 0 ? 'start' : 'rotation' });
      expect(statSync(file).mode & 0o777).toBe(0o600);
      // A rotated file holds at most maxBytes plus the one event that crossed it.
      if (index < files.length - 1) expect(statSync(file).size).toBeLessThan(8 * 1024 + 4096);
    }
    expect(sink.syncStats().rotations).toBe(files.length - 1);
  });

  it('names rotated files <path>.<UTC YYYYMMDDTHHMMSSmmmZ>, moving on by a millisecond when a name is taken', () => {
    const path = auditPath();
    const at = new Date('2025-06-07T08:09:10.011Z');
    expect(rotationStamp(at)).toBe('20250607T080910011Z');
    const sink = openFileSink(fileConfig(path, { maxBytes: 1 }), { now: () => at });
    for (let i = 0; i < 3; i += 1) {
      sink.write(`{"n":${i}}\n`, i + 1);
      sink.flush();
      expect(sink.rotationDue()).toBe(true);
      sink.reopen(true);
    }
    void sink.close();
    expect(filesInOrder(path).map((file) => file.slice(path.length))).toEqual([
      '.20250607T080910011Z', '.20250607T080910012Z', '.20250607T080910013Z', '',
    ]);
    expect(filesInOrder(path).slice(0, 3).map((file) => readFileSync(file, 'utf8'))).toEqual(['{"n":0}\n', '{"n":1}\n', '{"n":2}\n']);
  });

  it('SIGHUP after an external rename: the old file keeps what came before, a fresh file starts with a "reopen" header', async () => {
    const path = auditPath();
    const audit = createAuditLog([openFileSink(fileConfig(path))], { scrub: (line) => line });
    for (let i = 0; i < 5; i += 1) audit.observe(buildOutcome(requestContext({ method: 'GET' })));
    await nextTurn();
    renameSync(path, `${path}.1`); // what logrotate does (without copytruncate)
    audit.observe(buildOutcome(requestContext({ method: 'PUT' }))); // still reaches the moved file
    audit.reopen();
    for (let i = 0; i < 3; i += 1) audit.observe(buildOutcome(requestContext({ method: 'POST' })));
    await audit.close();
    const before = linesOf(`${path}.1`);
    const after = linesOf(path);
    expect(before.map((line) => line['kind'])).toEqual(['header', ...Array<string>(6).fill('request')]);
    expect(after[0]).toMatchObject({ kind: 'header', reason: 'reopen', continues: { seq: 7, source: 'running' } });
    expect(after.map((line) => line['kind'])).toEqual(['header', 'request', 'request', 'request', 'checkpoint']);
    expect((await verifyChain([`${path}.1`, path])).break).toBeNull();
  });

  it('never rotates a special file', () => {
    const sink = openFileSink(fileConfig('/dev/null', { maxBytes: 1 }));
    sink.write('{"n":1}\n', 1);
    sink.flush();
    expect([sink.rotationDue(), sink.healthy()]).toEqual([false, true]);
    void sink.close();
  });
});

describe('file sink: batched fdatasync', () => {
  it.each([
    { syncIntervalMs: 20, maxSyncs: 30 },
    { syncIntervalMs: 0, maxSyncs: 100 },
  ])('1,000 events in 100 turns, syncIntervalMs $syncIntervalMs: at most $maxSyncs syncs, never two at once, the last covers all', async ({ syncIntervalMs, maxSyncs }) => {
    const path = auditPath();
    const sync = countingSync(2);
    let linesAtLastSync = 0;
    const sink = openFileSink(fileConfig(path, { syncIntervalMs }), {
      fdatasync: (fd, callback) => {
        linesAtLastSync = readFileSync(path, 'utf8').split('\n').length - 1; // what this sync makes durable
        sync.fn(fd, callback);
      },
    });
    for (let turn = 0; turn < 100; turn += 1) {
      for (let i = 0; i < 10; i += 1) expect(sink.write(`{"seq":${turn * 10 + i + 1}}\n`, turn * 10 + i + 1)).toBe(true);
      await nextTurn();
    }
    await waitFor(() => linesAtLastSync === 1000 && sync.maxInFlight > 0 && sink.syncStats().syncedLines === 1000);
    const stats = sink.syncStats();
    expect(sync.calls).toBeGreaterThan(0);
    expect(sync.calls).toBeLessThanOrEqual(maxSyncs);
    expect(sync.maxInFlight).toBe(1);
    expect(stats).toMatchObject({ syncs: sync.calls, syncedLines: 1000, rotations: 0 });
    await sink.close();
    expect(linesOf(path)).toHaveLength(1000);
  });

  it('close() waits for a sync in flight and leaves everything on disk', async () => {
    const path = auditPath();
    const sync = countingSync(50);
    const sink = openFileSink(fileConfig(path), { fdatasync: sync.fn });
    sink.write('{"a":1}\n', 1);
    await waitFor(() => sync.calls === 1);
    sink.write('{"a":2}\n', 2);
    const started = Date.now();
    await sink.close();
    expect(Date.now() - started).toBeGreaterThanOrEqual(30);
    expect([readFileSync(path, 'utf8'), sink.healthy(), sink.write('{"a":3}\n', 3)]).toEqual(['{"a":1}\n{"a":2}\n', false, false]);
  });
});

describe('file sink: errors', () => {
  it.skipIf(!existsSync('/dev/full'))('a write error (ENOSPC on /dev/full) makes it unhealthy; later writes are refused', async () => {
    const sink = openFileSink(fileConfig('/dev/full'));
    expect(sink.write('{"a":1}\n', 1)).toBe(true); // accepted: the write happens on the next turn
    await nextTurn();
    expect([sink.healthy(), sink.write('{"a":2}\n', 2), sink.status().connected]).toEqual([false, false, false]);
    await sink.close();
  });

  it('a failing fdatasync (EIO) makes it unhealthy', async () => {
    const path = auditPath();
    const failing: FileSinkOptions = { fdatasync: (_fd, callback) => setImmediate(() => callback(Object.assign(new Error('EIO'), { code: 'EIO' }))) };
    const sink = openFileSink(fileConfig(path), failing);
    sink.write('{"a":1}\n', 1);
    await waitFor(() => !sink.healthy());
    expect(sink.write('{"a":2}\n', 2)).toBe(false);
    await sink.close();
  });

  it('a reopen that cannot open the path makes it unhealthy instead of throwing', () => {
    const dir = join(auditPath(), '..');
    const sink = openFileSink(fileConfig(join(dir, 'sub', 'audit.jsonl')));
    // The directory moves away and a plain file takes its name: nothing can be opened beneath it.
    renameSync(join(dir, 'sub'), join(dir, 'sub-moved'));
    writeFileSync(join(dir, 'sub'), '');
    expect(() => sink.reopen(false)).not.toThrow();
    expect([sink.healthy(), sink.write('{"a":1}\n', 1)]).toEqual([false, false]);
    void sink.close();
  });

  it('ends a partial last line left by a crash before appending', () => {
    const path = auditPath();
    writeFileSync(path, '{"seq":1}\n{"seq":2,"cut', { mode: 0o600 });
    const sink = openFileSink(fileConfig(path));
    sink.write('{"seq":3}\n', 3);
    sink.flush();
    void sink.close();
    expect(readFileSync(path, 'utf8')).toBe('{"seq":1}\n{"seq":2,"cut\n{"seq":3}\n');
  });
});
