/**
 * `mcp-egress audit verify FILE...`: checks the tamper-evidence chain over audit files (oldest first)
 * and names the first break; exit 0 when intact, 1 otherwise. A file ending in a partial line (a crash
 * mid-write) verifies up to its last whole line and says so; that is a failure unless
 * `--allow-partial-tail` (a partial line is also what a cut-short file looks like).
 *
 * `mcp-egress audit fingerprint [-c FILE]`: reads a token on stdin and prints the fingerprint the audit
 * events carry for it (HMAC under the data dir's key), for searching a SIEM. The token is never printed,
 * and no key is ever created here: without the proxy's key a fingerprint would match nothing.
 */
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { verifyChain, type VerifyReport } from '../audit/verify.js';
import { HMAC_KEY_BYTES, HMAC_KEY_FILE } from '../state/data-dir.js';
import { KeyFileError, readOwnerOnlyFile } from '../state/private-file.js';
import { createFingerprinter } from '../tokens/fingerprint.js';
import { loadConfigOrReport } from './load-config.js';

export interface AuditIo {
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable;
}

const PROCESS_IO: AuditIo = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };
/** A token is short; anything longer is not one (and is not held in memory). */
const MAX_TOKEN_BYTES = 64 * 1024;

export async function runAuditVerify(files: readonly string[], options: { allowPartialTail?: boolean }, io: AuditIo = PROCESS_IO): Promise<number> {
  let report: VerifyReport;
  try {
    report = await verifyChain(files);
  } catch (error) {
    io.stderr.write(`mcp-egress audit verify: ${error instanceof Error ? error.message : 'cannot read the files'}\n`);
    return 1;
  }
  for (const remnant of report.remnants) {
    io.stdout.write(`note: ${remnant.file}:${remnant.line}: partial line left by a crash, declared by the next start's header\n`);
  }
  for (const tail of report.partialTails) {
    io.stdout.write(`partial tail: ${tail.file} ends in a partial line (${tail.bytes} bytes) after line ${tail.afterLine}; verified up to that line\n`);
  }
  if (report.break !== null) {
    const { file, line, problem } = report.break;
    io.stdout.write(`BROKEN at ${file}:${line}: ${problem}\n`);
    return 1;
  }
  const range = report.firstSeq === null ? 'no lines' : `seq ${report.firstSeq}..${report.lastSeq ?? report.firstSeq}`;
  io.stdout.write(`intact: ${report.lines} lines (${range}) in ${files.length} file${files.length === 1 ? '' : 's'}\n`);
  if (report.partialTails.length > 0 && options.allowPartialTail !== true) {
    io.stdout.write('failing because of the partial tail (pass --allow-partial-tail to accept it)\n');
    return 1;
  }
  return 0;
}

export async function runAuditFingerprint(options: { config?: string }, io: AuditIo = PROCESS_IO): Promise<number> {
  const config = loadConfigOrReport(options.config);
  if (config === null) return 1;
  const keyPath = join(config.dataDir, HMAC_KEY_FILE);
  let key: Buffer | null;
  try {
    key = await readOwnerOnlyFile(keyPath);
  } catch (error) {
    io.stderr.write(`mcp-egress audit fingerprint: ${error instanceof KeyFileError ? error.message : `cannot read ${keyPath}`}\n`);
    return 1;
  }
  if (key === null || key.length !== HMAC_KEY_BYTES) {
    const why = key === null ? 'does not exist' : `holds ${key.length} bytes, expected ${HMAC_KEY_BYTES}`;
    io.stderr.write(`mcp-egress audit fingerprint: the fingerprint key ${keyPath} ${why}; use the data dir of the proxy whose audit you search (-c)\n`);
    return 1;
  }
  const token = await readToken(io.stdin);
  if (token === null) {
    io.stderr.write(`mcp-egress audit fingerprint: expected one token on stdin (at most ${MAX_TOKEN_BYTES} bytes)\n`);
    return 1;
  }
  io.stdout.write(`${createFingerprinter(key)(token)}\n`);
  return 0;
}

/** The whole of stdin minus one trailing line break (`echo` adds one); null when empty or too long. */
async function readToken(stdin: Readable): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buffer.length;
    if (size > MAX_TOKEN_BYTES) return null;
    chunks.push(buffer);
  }
  const token = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  return token === '' ? null : token;
}
