/**
 * The disk spool: FIFO order, the bound, acknowledgements, recovery after a reopen (and after a crash that
 * tore the last record), modes, and reading back lines that left memory.
 */
import { appendFileSync, mkdtempSync, readdirSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSpool, type Spool } from '../../../src/audit/spool.js';

const open: Spool[] = [];
afterEach(() => {
  for (const spool of open.splice(0)) spool.close();
});

function spoolAt(dir: string, maxBytes = 1024 * 1024, options: Parameters<typeof openSpool>[1] = {}): Spool {
  const spool = openSpool({ dir, maxBytes }, options);
  open.push(spool);
  return spool;
}

const freshDir = (): string => join(mkdtempSync(join(tmpdir(), 'egress-spool-')), 'spool');
const line = (seq: number, pad = 0): string => `{"seq":${seq},"msg":"${'x'.repeat(pad)}é"}\n`;

function fill(spool: Spool, from: number, to: number, pad = 0): void {
  for (let seq = from; seq <= to; seq++) expect(spool.append(line(seq, pad), seq)).toBe(true);
}

describe('spool', () => {
  it('keeps FIFO order and peeks without removing', () => {
    const spool = spoolAt(freshDir());
    fill(spool, 1, 5);
    expect(spool.peek(3, 1e9).map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(spool.peek(10, 1e9).map((e) => e.line)).toEqual([1, 2, 3, 4, 5].map((s) => line(s)));
    expect(spool.depth().events).toBe(5);
  });

  it.each([
    { maxBytes: 100, expected: [1] }, // at least one entry, however large
    { maxBytes: line(1).length * 2 + 2, expected: [1, 2] },
  ])('peek honours a byte budget of $maxBytes', ({ maxBytes, expected }) => {
    const spool = spoolAt(freshDir());
    fill(spool, 1, 4, 40);
    const budget = maxBytes === 100 ? 100 : Buffer.byteLength(line(1, 40)) * 2 + 2;
    expect(spool.peek(10, budget).map((e) => e.seq)).toEqual(expected);
  });

  it('ack drops entries up to the seq; segments are deleted once acknowledged', () => {
    const dir = freshDir();
    const spool = spoolAt(dir, 1024 * 1024, { segmentBytes: 512 });
    fill(spool, 1, 40, 30);
    spool.flush();
    const segments = readdirSync(dir).filter((n) => n.endsWith('.spool')).length;
    expect(segments).toBeGreaterThan(3);
    spool.ack(30);
    expect(spool.peek(100, 1e9).map((e) => e.seq)).toEqual([31, 32, 33, 34, 35, 36, 37, 38, 39, 40]);
    expect(readdirSync(dir).filter((n) => n.endsWith('.spool')).length).toBeLessThan(segments);
    spool.ack(40);
    expect(spool.depth()).toEqual({ events: 0, bytes: 0 });
    spool.ack(1000); // nothing left: no effect
    expect(spool.append(line(41), 41)).toBe(true);
    expect(spool.peek(10, 1e9).map((e) => e.seq)).toEqual([41]);
  });

  it('refuses appends past the bound, and accepts again once acknowledged', () => {
    const spool = spoolAt(freshDir(), 64 * 1024);
    let seq = 0;
    while (seq < 10_000 && spool.append(line(seq + 1, 1000), seq + 1)) seq++;
    expect(seq).toBeGreaterThan(50);
    expect(seq).toBeLessThan(70);
    expect(spool.room()).toBeLessThan(1100);
    expect(spool.append(line(seq + 1, 1000), seq + 1)).toBe(false);
    spool.ack(seq);
    // The acknowledged records of the segment being written stay on disk until it fills (1/8 of the bound).
    expect(spool.room()).toBeGreaterThanOrEqual(64 * 1024 - 8 * 1024);
    expect(spool.append(line(seq + 1, 1000), seq + 1)).toBe(true);
  });

  it('recovers what was not acknowledged after a reopen, with 0600 files in a 0700 dir', () => {
    const dir = freshDir();
    const first = spoolAt(dir);
    fill(first, 1, 20);
    first.ack(12);
    first.close();
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    for (const name of readdirSync(dir)) expect(statSync(join(dir, name)).mode & 0o777).toBe(0o600);
    const second = spoolAt(dir);
    expect(second.peek(100, 1e9).map((e) => e.seq)).toEqual([13, 14, 15, 16, 17, 18, 19, 20]);
    expect(second.peek(1, 1e9)[0]?.line).toBe(line(13));
    fill(second, 21, 22);
    second.ack(21);
    second.close();
    expect(spoolAt(dir).peek(100, 1e9).map((e) => e.seq)).toEqual([22]);
  });

  it('resends (does not lose) what was acknowledged after the last persisted marker when the process dies', () => {
    const dir = freshDir();
    const first = openSpool({ dir, maxBytes: 1024 * 1024 }, { syncIntervalMs: 60_000 });
    fill(first, 1, 10);
    first.flush();
    first.ack(5); // not persisted: no flush, no close (the process "dies" here)
    const second = spoolAt(dir);
    expect(second.peek(100, 1e9).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it.each([
    { name: 'a header cut short', cut: (size: number, last: number) => size - last + 5 },
    { name: 'a payload cut short', cut: (size: number, last: number) => size - Math.floor(last / 2) },
    { name: 'the trailer missing', cut: (size: number) => size - 1 },
  ])('drops a torn last record ($name) and keeps the rest', ({ cut }) => {
    const dir = freshDir();
    const warnings: string[] = [];
    const first = openSpool({ dir, maxBytes: 1024 * 1024 });
    fill(first, 1, 3, 20);
    first.close();
    const segment = join(dir, readdirSync(dir).find((n) => n.endsWith('.spool'))!);
    const size = statSync(segment).size;
    const lastRecord = size / 3; // equal-sized records
    truncateSync(segment, cut(size, lastRecord));
    const second = spoolAt(dir, 1024 * 1024, { log: (_level, message) => warnings.push(message) });
    expect(second.peek(10, 1e9).map((e) => e.seq)).toEqual([1, 2]);
    expect(warnings.some((m) => m.includes('torn'))).toBe(true);
    fill(second, 4, 4);
    expect(second.peek(10, 1e9).map((e) => e.seq)).toEqual([1, 2, 4]);
  });

  it('drops a record whose bytes were damaged (CRC) and everything after it in that segment', () => {
    const dir = freshDir();
    const first = openSpool({ dir, maxBytes: 1024 * 1024 });
    fill(first, 1, 2);
    first.close();
    const segment = join(dir, readdirSync(dir).find((n) => n.endsWith('.spool'))!);
    appendFileSync(segment, '3 5 00000000\nhello\n');
    expect(spoolAt(dir).peek(10, 1e9).map((e) => e.seq)).toEqual([1, 2]);
  });

  it('reads lines back from disk once they left memory', () => {
    const dir = freshDir();
    const spool = spoolAt(dir, 8 * 1024 * 1024, { memoryBytes: 4096 });
    fill(spool, 1, 200, 100);
    spool.flush();
    const all = spool.peek(1000, 1e9);
    expect(all.map((e) => e.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(all.every((e) => e.line === line(e.seq, 100))).toBe(true);
  });

  it('ack stops where the seq restarted lower (a chain that went back after a crash)', () => {
    const spool = spoolAt(freshDir());
    fill(spool, 10, 12);
    fill(spool, 11, 12); // a second epoch with reused numbers
    spool.ack(12);
    expect(spool.peek(10, 1e9).map((e) => e.seq)).toEqual([11, 12]);
    spool.ack(11);
    expect(spool.peek(10, 1e9).map((e) => e.seq)).toEqual([12]);
  });
});
