/**
 * The on-disk shape of the spool (spool.ts): segment files of records and an acknowledgement marker, and
 * the recovery of what a previous run left.
 *
 * A record is `<seq> <bytes> <crc32 hex>\n<payload>\n`: a text header (readable with `less`), the payload
 * (the line, UTF-8, any bytes), and a newline trailer. The CRC covers the payload, so a record torn by a
 * crash mid-write (short, or with garbage at its end) is recognised and dropped instead of being sent.
 * Everything after the first bad record of a segment is dropped too: record boundaries are only known
 * from the headers, so nothing after a bad one can be trusted.
 *
 * The marker names the position of the first record not yet acknowledged (segment id and byte offset),
 * not a seq: a position stays unambiguous even if the chain's seq ever went backwards across a crash.
 */
import { fdatasyncSync, readdirSync, readFileSync, openSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { SinkLog } from './sinks.js';

export const MARKER = 'ack';

/** A segment file: its descriptor (read-only once recovered, append for the one being written). */
export interface Segment {
  readonly id: number;
  readonly path: string;
  fd: number | null;
  bytes: number;
  /** Records not yet acknowledged. */
  live: number;
  dirty: boolean;
  syncing: boolean;
  closeAfterSync: boolean;
}

/** One unacknowledged record; its line is in memory, or only on disk (read back when peeked). */
export interface Entry {
  readonly seq: number;
  readonly segment: Segment;
  readonly start: number;
  readonly payloadStart: number;
  readonly recordBytes: number;
  readonly payloadBytes: number;
  line: string | undefined;
  /** The seq is not above its predecessor's (the chain restarted lower after a crash): ack() stops here. */
  readonly epochStart: boolean;
}

export interface RecordPosition {
  readonly segment: number;
  readonly offset: number;
}

export interface ScannedRecord {
  readonly seq: number;
  /** Byte offset of the record's header in its segment. */
  readonly start: number;
  /** Bytes of the whole record (header, payload, trailer). */
  readonly recordBytes: number;
  readonly payload: Buffer;
}

export interface ScannedSegment {
  readonly records: ScannedRecord[];
  /** Bytes at the end that are not whole, valid records (a torn tail). */
  readonly tornBytes: number;
}

const HEADER = /^(\d{1,16}) (\d{1,10}) ([0-9a-f]{8})$/;
const MAX_HEADER = 40;
const NEWLINE = 0x0a;

export function encodeRecord(seq: number, line: string): { readonly bytes: Buffer; readonly payloadBytes: number } {
  const payload = Buffer.from(line, 'utf8');
  const header = `${seq} ${payload.length} ${crc32(payload).toString(16).padStart(8, '0')}\n`;
  const bytes = Buffer.allocUnsafe(Buffer.byteLength(header) + payload.length + 1);
  const at = bytes.write(header, 0, 'latin1');
  payload.copy(bytes, at);
  bytes[at + payload.length] = NEWLINE;
  return { bytes, payloadBytes: payload.length };
}

/** Where the payload starts inside an encoded record (the header's length). */
export function payloadOffset(seq: number, payloadBytes: number): number {
  return `${seq} ${payloadBytes} 00000000\n`.length;
}

export function scanSegment(path: string): ScannedSegment {
  const data = readFileSync(path);
  const records: ScannedRecord[] = [];
  let at = 0;
  while (at < data.length) {
    const record = readRecord(data, at);
    if (record === null) break;
    records.push(record);
    at += record.recordBytes;
  }
  return { records, tornBytes: data.length - at };
}

function readRecord(data: Buffer, start: number): ScannedRecord | null {
  const end = data.indexOf(NEWLINE, start);
  if (end < 0 || end - start > MAX_HEADER) return null;
  const match = HEADER.exec(data.toString('latin1', start, end));
  if (match === null) return null;
  const seq = Number(match[1]);
  const size = Number(match[2]);
  const payloadStart = end + 1;
  const trailer = payloadStart + size;
  if (trailer >= data.length || data[trailer] !== NEWLINE) return null;
  const payload = data.subarray(payloadStart, trailer);
  if (crc32(payload).toString(16).padStart(8, '0') !== match[3]) return null;
  return { seq, start, recordBytes: trailer + 1 - start, payload };
}

export function segmentName(id: number): string {
  return `seg-${String(id).padStart(12, '0')}.spool`;
}

export function segmentId(name: string): number | null {
  const match = /^seg-(\d{12})\.spool$/.exec(name);
  return match === null ? null : Number(match[1]);
}

export function encodeMarker(position: RecordPosition, seq: number | null): string {
  return `${JSON.stringify({ segment: position.segment, offset: position.offset, seq })}\n`;
}

/** A missing or unreadable marker means "nothing acknowledged": everything found is resent (duplicates, not loss). */
export function decodeMarker(text: string | null): RecordPosition {
  if (text === null) return { segment: 0, offset: 0 };
  try {
    const parsed = JSON.parse(text) as { segment?: unknown; offset?: unknown };
    if (Number.isSafeInteger(parsed.segment) && Number.isSafeInteger(parsed.offset)) {
      return { segment: parsed.segment as number, offset: parsed.offset as number };
    }
  } catch {
    // fall through: resend everything rather than guess
  }
  return { segment: 0, offset: 0 };
}

/**
 * What a previous run left: segments before the marker are deleted, records before the marker's offset
 * skipped, torn tails reported. Segments come back with `live` 0 (the spool counts its entries in).
 */
export function recoverSpool(dir: string, memoryCap: number, log: SinkLog): { segments: Segment[]; entries: Entry[]; nextId: number } {
  const marker = readMarker(dir);
  const ids = readdirSync(dir).map(segmentId).filter((id): id is number => id !== null).sort((a, b) => a - b);
  const segments: Segment[] = [];
  const entries: Entry[] = [];
  let nextId = 1;
  let memory = 0;
  for (const id of ids) {
    nextId = Math.max(nextId, id + 1);
    const path = join(dir, segmentName(id));
    if (id < marker.segment) {
      unlinkQuietly(path, log);
      continue;
    }
    const scanned = scanSegment(path);
    if (scanned.tornBytes > 0) log('warn', 'audit spool: dropped a torn record at the end of a segment (crash mid-write)', { segment: id, bytes: scanned.tornBytes });
    const bytes = scanned.records.reduce((sum, r) => sum + r.recordBytes, 0) + scanned.tornBytes;
    const segment: Segment = { id, path, fd: null, bytes, live: 0, dirty: false, syncing: false, closeAfterSync: false };
    const kept = scanned.records.filter((record) => id !== marker.segment || record.start >= marker.offset);
    if (kept.length === 0) {
      unlinkQuietly(path, log);
      continue;
    }
    for (const record of kept) {
      const keep = memory + record.payload.length <= memoryCap;
      if (keep) memory += record.payload.length;
      const previous = entries.at(-1)?.seq;
      entries.push({
        seq: record.seq, segment, start: record.start, payloadStart: record.start + payloadOffset(record.seq, record.payload.length), recordBytes: record.recordBytes,
        payloadBytes: record.payload.length, line: keep ? record.payload.toString('utf8') : undefined, epochStart: previous !== undefined && record.seq <= previous,
      });
    }
    segment.fd = openSync(path, 'r');
    segments.push(segment);
  }
  return { segments, entries, nextId };
}

export function syncNow(segments: readonly Segment[], log: SinkLog): void {
  for (const segment of segments) {
    if (!segment.dirty || segment.fd === null || segment.syncing) continue;
    try {
      fdatasyncSync(segment.fd);
      segment.dirty = false;
    } catch (error) {
      log('warn', 'audit spool: fdatasync failed', { code: (error as NodeJS.ErrnoException).code });
    }
  }
}

function readMarker(dir: string): RecordPosition {
  try {
    return decodeMarker(readFileSync(join(dir, MARKER), 'utf8'));
  } catch {
    return decodeMarker(null); // no marker yet: nothing was acknowledged
  }
}

export function unlinkQuietly(path: string, log: SinkLog): void {
  try {
    unlinkSync(path);
  } catch (error) {
    log('warn', 'audit spool: could not delete an acknowledged segment', { code: (error as NodeJS.ErrnoException).code });
  }
}
