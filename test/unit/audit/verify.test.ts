/**
 * `mcp-egress audit verify` over real files written by the audit log: an intact chain, and the first break
 * named for each kind of tampering (one byte changed, a line deleted, lines reordered, a partial tail).
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createAuditLog } from '../../../src/audit/audit-log.js';
import { openSink } from '../../../src/audit/sinks.js';
import { runAuditFingerprint, runAuditVerify } from '../../../src/cli/audit.js';
import { buildOutcome } from '../../../src/pipeline/run.js';
import { createFingerprinter } from '../../../src/tokens/fingerprint.js';
import { requestContext } from '../../helpers/context-factory.js';

/** header + 6 requests + shutdown checkpoint = 8 lines, seq 1..8. */
function auditFile(): { file: string; lines: string[] } {
  const file = join(mkdtempSync(join(tmpdir(), 'egress-verify-')), 'audit.jsonl');
  const audit = createAuditLog([openSink({ type: 'file', path: file, format: 'native', maxBytes: null, syncIntervalMs: 0 })], { scrub: (line) => line });
  for (let i = 0; i < 6; i += 1) audit.observe(buildOutcome(requestContext({ method: 'GET' })));
  void audit.close();
  return { file, lines: readFileSync(file, 'utf8').split('\n').slice(0, -1) };
}

async function verify(files: string[], options: { allowPartialTail?: boolean } = {}): Promise<{ code: number; out: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
  stderr.on('data', (chunk: Buffer) => { out += chunk.toString(); });
  const code = await runAuditVerify(files, options, { stdin: Readable.from([]), stdout, stderr });
  return { code, out };
}

const rewrite = (file: string, lines: readonly string[], tail = '\n'): void => writeFileSync(file, lines.join('\n') + tail);

describe('audit verify', () => {
  it('an intact file verifies', async () => {
    const { file } = auditFile();
    expect(await verify([file])).toEqual({ code: 0, out: 'intact: 8 lines (seq 1..8) in 1 file\n' });
  });

  it.each([
    {
      name: 'one byte changed in line 4 (still valid JSON)',
      tamper: (l: string[]) => l.map((line, i) => (i === 3 ? line.replace('"GET"', '"PUT"') : line)),
      expected: (f: string) => `BROKEN at ${f}:4: modified: its hash does not match the prev_hash recorded by the next line (${f}:5)`,
    },
    {
      name: 'one byte changed in line 4 (no longer JSON)',
      tamper: (l: string[]) => l.map((line, i) => (i === 3 ? line.replace('{"seq"', '["seq"') : line)),
      expected: (f: string) => `BROKEN at ${f}:4: not a chain line (invalid JSON, or no seq/prev_hash)`,
    },
    {
      name: 'line 5 deleted',
      tamper: (l: string[]) => l.filter((_line, i) => i !== 4),
      expected: (f: string) => `BROKEN at ${f}:5: gap: expected seq 5 after ${f}:4, found seq 6 (1 line(s) missing here: deleted or moved)`,
    },
    {
      name: 'lines 3 and 4 swapped',
      tamper: (l: string[]) => [l[0]!, l[1]!, l[3]!, l[2]!, ...l.slice(4)],
      expected: (f: string) => `BROKEN at ${f}:3: out of order: seq 4 comes before seq 3 (lines moved)`,
    },
    {
      name: 'line 2 moved to the end (seen first as missing where it was)',
      tamper: (l: string[]) => [l[0]!, ...l.slice(2), l[1]!],
      expected: (f: string) => `BROKEN at ${f}:2: gap: expected seq 2 after ${f}:1, found seq 3 (1 line(s) missing here: deleted or moved)`,
    },
    {
      name: 'line 3 duplicated',
      tamper: (l: string[]) => [...l.slice(0, 3), l[2]!, ...l.slice(3)],
      expected: (f: string) => `BROKEN at ${f}:4: out of order: seq 3 after seq 3 (${f}:3)`,
    },
    {
      name: 'the first line changed to claim the genesis position with a wrong hash',
      tamper: (l: string[]) => [l[0]!.replace(/"prev_hash":"sha256:0/, '"prev_hash":"sha256:1'), ...l.slice(1)],
      expected: (f: string) => `BROKEN at ${f}:1: seq 1 must carry the all-zero prev_hash`,
    },
  ])('$name: names the first break, exit 1', async ({ tamper, expected }) => {
    const { file, lines } = auditFile();
    rewrite(file, tamper(lines));
    expect(await verify([file])).toEqual({ code: 1, out: `${expected(file)}\n` });
  });

  it('a partial tail verifies up to the last whole line and fails unless --allow-partial-tail', async () => {
    const { file, lines } = auditFile();
    rewrite(file, [...lines.slice(0, 7), lines[7]!.slice(0, 20)], '');
    const partial = `partial tail: ${file} ends in a partial line (20 bytes) after line 7; verified up to that line\nintact: 7 lines (seq 1..7) in 1 file\n`;
    expect(await verify([file])).toEqual({ code: 1, out: `${partial}failing because of the partial tail (pass --allow-partial-tail to accept it)\n` });
    expect(await verify([file], { allowPartialTail: true })).toEqual({ code: 0, out: partial });
  });

  it('checks the chain across files, in the order given', async () => {
    const { file, lines } = auditFile();
    const second = `${file}.2`;
    rewrite(file, lines.slice(0, 5));
    rewrite(second, lines.slice(5));
    expect(await verify([file, second])).toEqual({ code: 0, out: 'intact: 8 lines (seq 1..8) in 2 files\n' });
    expect((await verify([second, file])).out).toBe(`BROKEN at ${file}:1: out of order: seq 1 after seq 8 (${second}:3)\n`);
  });

  it('a missing file is an error, exit 1', async () => {
    const { code, out } = await verify([join(tmpdir(), 'no-such-audit-file.jsonl')]);
    expect([code, out]).toEqual([1, expect.stringMatching(/^mcp-egress audit verify: ENOENT/)]);
  });
});

describe('audit fingerprint', () => {
  async function fingerprint(dataDir: string, input: string): Promise<{ code: number; out: string; err: string }> {
    const dir = mkdtempSync(join(tmpdir(), 'egress-fp-'));
    const config = join(dir, 'config.yaml');
    writeFileSync(config, `mode: report\ndataDir: ${dataDir}\ntools: {}\n`);
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
    stderr.on('data', (chunk: Buffer) => { err += chunk.toString(); });
    const code = await runAuditFingerprint({ config }, { stdin: Readable.from([Buffer.from(input)]), stdout, stderr });
    return { code, out, err };
  }
  const token = 'ghp_0123456789abcdefghijABCDEFGHIJ0123wxyz';

  it('prints the keyed fingerprint of the token on stdin (one trailing newline ignored), never the token', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'egress-fp-data-'));
    const key = Buffer.alloc(32, 7);
    writeFileSync(join(dataDir, 'hmac.key'), key, { mode: 0o600 });
    const result = await fingerprint(dataDir, `${token}\n`);
    expect(result).toEqual({ code: 0, out: `${createFingerprinter(key)(token)}\n`, err: '' });
  });

  it.each([
    ['no key in the data dir', undefined, token, /hmac\.key does not exist/],
    ['a key of the wrong size', Buffer.alloc(8), token, /holds 8 bytes, expected 32/],
    ['empty stdin', Buffer.alloc(32, 1), '\n', /expected one token on stdin/],
  ])('%s: a clear error, exit 1, no key created, no token echoed', async (_name, key, input, message) => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'egress-fp-data-')), 'data');
    mkdirSync(dataDir, { mode: 0o700 });
    if (key !== undefined) writeFileSync(join(dataDir, 'hmac.key'), key, { mode: 0o600 });
    const result = await fingerprint(dataDir, input);
    expect([result.code, result.out]).toEqual([1, '']);
    expect(result.err).toMatch(message);
    expect(result.err).not.toContain(token);
    expect(readFileSync(join(dataDir, 'hmac.key'), { flag: 'a+' }).length).toBe(key?.length ?? 0);
  });
});
