/**
 * Where the chain continues after a restart. The running position (last seq and hash) is persisted in
 * the data dir (`audit-chain.json`, replaced atomically, not fsynced), but the audit file itself is the
 * better witness: a crash can lose the persisted tail, so the last whole line of a file sink wins when
 * it can be read; the state file covers a fresh file (after rotation) and stdout-only setups.
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { replaceFileAtomicSync } from '../state/atomic-file.js';
import { isErrnoCode } from '../state/private-file.js';
import { GENESIS, lineHash, type ChainPosition } from './chain.js';

export const CHAIN_STATE_FILE = 'audit-chain.json';
const TAIL_CHUNK = 64 * 1024;
/** A line longer than this cannot be a chain line we wrote; stop looking instead of reading the file. */
const MAX_TAIL_SCAN = 16 * 1024 * 1024;

export type RecoverySource = 'file' | 'state' | 'genesis';

export interface RecoveredChain {
  readonly position: ChainPosition;
  readonly source: RecoverySource;
  /** Set when the state file was ahead of the file (lines hashed but never written, e.g. a crash). */
  readonly stateSeq: number | null;
  /** Files that ended in a partial line (a crash mid-write): the sink terminates it on open. */
  readonly partialTails: readonly PartialTail[];
}

export interface PartialTail {
  readonly file: string;
  readonly bytes: number;
  readonly hash: string;
}

export function readChainState(dataDir: string): ChainPosition | null {
  let text: string;
  try {
    text = readFileSync(join(dataDir, CHAIN_STATE_FILE), 'utf8');
  } catch (error) {
    if (isErrnoCode(error, 'ENOENT')) return null;
    throw error;
  }
  return positionOf(text);
}

export function writeChainState(dataDir: string, position: ChainPosition): void {
  replaceFileAtomicSync(join(dataDir, CHAIN_STATE_FILE), `${JSON.stringify(position)}\n`, 0o600);
}

/** The position to continue from: the furthest file tail, else the state file, else the genesis. */
export function recoverChain(dataDir: string, files: readonly string[]): RecoveredChain {
  const state = readChainState(dataDir);
  const partialTails: PartialTail[] = [];
  let best: ChainPosition | null = null;
  for (const file of files) {
    const tail = readFileTail(file);
    if (tail.partial !== null) partialTails.push({ file, bytes: tail.partial.length, hash: lineHash(tail.partial) });
    const position = tail.lastLine === null ? null : positionOf(tail.lastLine.toString('utf8'), lineHash(tail.lastLine));
    if (position !== null && (best === null || position.seq > best.seq)) best = position;
  }
  if (best !== null) {
    const stateSeq = state !== null && state.seq > best.seq ? state.seq : null;
    return { position: best, source: 'file', stateSeq, partialTails };
  }
  if (state !== null) return { position: state, source: 'state', stateSeq: null, partialTails };
  return { position: GENESIS, source: 'genesis', stateSeq: null, partialTails };
}

/** From the state file (`{seq, hash}`) or from a chain line (its seq, and the hash of its bytes). */
function positionOf(text: string, hashOfLine?: string): ChainPosition | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  const { seq, hash } = parsed as { seq?: unknown; hash?: unknown };
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) return null;
  const lineHashValue = hashOfLine ?? hash;
  if (typeof lineHashValue !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(lineHashValue)) return null;
  return { seq, hash: lineHashValue };
}

interface FileTail {
  readonly lastLine: Buffer | null;
  readonly partial: Buffer | null;
}

/** The last whole line and any partial line after it, read backwards in chunks (bounded). */
export function readFileTail(file: string): FileTail {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    if (isErrnoCode(error, 'ENOENT')) return { lastLine: null, partial: null };
    throw error;
  }
  try {
    return tailOf(fd, fstatSync(fd).size);
  } finally {
    closeSync(fd);
  }
}

function tailOf(fd: number, size: number): FileTail {
  let buffer = Buffer.alloc(0);
  let start = size;
  while (start > 0 && size - start < MAX_TAIL_SCAN) {
    const length = Math.min(TAIL_CHUNK, start);
    start -= length;
    const chunk = Buffer.alloc(length);
    readSync(fd, chunk, 0, length, start);
    buffer = Buffer.concat([chunk, buffer]);
    const lastNewline = buffer.lastIndexOf(0x0a);
    if (lastNewline === -1) continue;
    const previousNewline = buffer.lastIndexOf(0x0a, lastNewline - 1);
    if (previousNewline === -1 && start > 0) continue;
    const partial = lastNewline === buffer.length - 1 ? null : buffer.subarray(lastNewline + 1);
    return { lastLine: buffer.subarray(previousNewline + 1, lastNewline), partial };
  }
  // No newline at all (or a line beyond the scan bound): nothing whole to continue from.
  return { lastLine: null, partial: size > 0 && buffer.length === size && !buffer.includes(0x0a) ? buffer : null };
}
