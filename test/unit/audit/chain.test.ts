/**
 * The tamper-evidence chain: the envelope over exact bytes, header and checkpoint lines, and where a
 * restart continues (file tail over a stale state file, state file after rotation, partial tails).
 */
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAuditLog, type AuditChainOptions, type AuditLog } from '../../../src/audit/audit-log.js';
import { createChain, GENESIS, lineHash } from '../../../src/audit/chain.js';
import { readChainState, recoverChain, writeChainState } from '../../../src/audit/chain-state.js';
import { openSink, type AuditSink } from '../../../src/audit/sinks.js';
import { verifyChain } from '../../../src/audit/verify.js';
import { buildOutcome } from '../../../src/pipeline/run.js';
import { requestContext } from '../../helpers/context-factory.js';

const scrub = (line: string): string => line;
const outcome = () => buildOutcome(requestContext());
type Line = Record<string, unknown> & { seq: number; prev_hash: string; kind?: string };

function memorySink(): AuditSink & { lines: string[] } {
  const lines: string[] = [];
  return {
    name: 'memory',
    type: 'stdout',
    format: 'native',
    lines,
    write: (line) => lines.push(line) > 0,
    healthy: () => true,
    flush: () => undefined,
    close: () => Promise.resolve(),
    status: () => ({ spooledEvents: 0, spooledBytes: 0, connected: true }),
  };
}

const parse = (line: string): Line => JSON.parse(line) as Line;
const fileLines = (path: string): Line[] => readFileSync(path, 'utf8').split('\n').filter((l) => l !== '').map(parse);

afterEach(() => {
  vi.useRealTimers();
});

describe('createChain', () => {
  it('puts seq and prev_hash in front of the body; prev_hash is sha256 of the previous line as written', () => {
    const chain = createChain(GENESIS);
    const first = chain.append('{"kind":"a","text":"é"}');
    const second = chain.append('{"kind":"b"}');
    expect(first).toBe(`{"seq":1,"prev_hash":"${GENESIS.hash}","kind":"a","text":"é"}\n`);
    expect(parse(second)).toEqual({ seq: 2, prev_hash: lineHash(Buffer.from(first.slice(0, -1), 'utf8')), kind: 'b' });
    expect(chain.position()).toEqual({ seq: 2, hash: lineHash(second.slice(0, -1)) });
  });

  it.each([
    ['empty object', '{}', { seq: 8, prev_hash: 'sha256:x' }],
    ['not an object', '"text"', { seq: 8, prev_hash: 'sha256:x', body: '"text"' }],
  ])('keeps a %s a valid line', (_name, body, expected) => {
    expect(parse(createChain({ seq: 7, hash: 'sha256:x' }).append(body))).toEqual(expected);
  });

  it('hashes bytes, not characters: one changed byte changes the hash', () => {
    expect(lineHash('{"a":"é"}')).toBe(lineHash(Buffer.from('{"a":"é"}')));
    expect(lineHash('{"a":"é"}')).not.toBe(lineHash('{"a":"è"}'));
  });
});

describe('createAuditLog: header, events, checkpoints', () => {
  function log(chain: AuditChainOptions = {}): { audit: AuditLog; sink: ReturnType<typeof memorySink> } {
    const sink = memorySink();
    return { audit: createAuditLog([sink], { scrub, chain }), sink };
  }

  it('starts with a header in the chain, then every event carries the envelope, and close writes a checkpoint', () => {
    const { audit, sink } = log();
    audit.observe(outcome());
    void audit.close();
    const lines = sink.lines.map(parse);
    expect(lines.map((l) => [l.seq, l.kind])).toEqual([[1, 'header'], [2, 'request'], [3, 'checkpoint']]);
    expect(lines[0]).toMatchObject({ schema: 'mcp-egress.audit/1', prev_hash: GENESIS.hash, continues: { seq: 0, source: 'genesis' }, pid: process.pid });
    expect(Object.keys(lines[0]!)).toEqual(expect.arrayContaining(['host', 'time', 'process_start', 'partial_tails']));
    expect(lines[1]!.prev_hash).toBe(lineHash(sink.lines[0]!.slice(0, -1)));
    expect(lines[2]).toMatchObject({ reason: 'shutdown', checkpoint: { seq: 2, hash: lineHash(sink.lines[1]!.slice(0, -1)), events: 1 } });
  });

  it('scrubs the event before the envelope is added: the scanner never sees the hashes', () => {
    const seen: string[] = [];
    const sink = memorySink();
    const audit = createAuditLog([sink], { scrub: (line) => (seen.push(line), line) });
    audit.observe(outcome());
    expect(seen).toHaveLength(1);
    expect(seen[0]).not.toContain('prev_hash');
    expect(sink.lines[1]).toBe(`{"seq":2,"prev_hash":"${lineHash(sink.lines[0]!.slice(0, -1))}",${seen[0]!.slice(1)}\n`);
    void audit.close();
  });

  it('writes a checkpoint after every N events', () => {
    const { audit, sink } = log({ checkpointEvery: 3 });
    for (let i = 0; i < 7; i += 1) audit.observe(outcome());
    const kinds = sink.lines.map((l) => parse(l).kind);
    expect(kinds).toEqual(['header', 'request', 'request', 'request', 'checkpoint', 'request', 'request', 'request', 'checkpoint', 'request']);
    expect(parse(sink.lines[4]!)).toMatchObject({ reason: 'count', checkpoint: { seq: 4, events: 3 } });
    void audit.close();
  });

  it('writes a checkpoint every T when events came in, none when idle', () => {
    vi.useFakeTimers();
    const { audit, sink } = log({ checkpointIntervalMs: 1000 });
    vi.advanceTimersByTime(3000);
    expect(sink.lines.map((l) => parse(l).kind)).toEqual(['header']);
    audit.observe(outcome());
    vi.advanceTimersByTime(1000);
    expect(parse(sink.lines.at(-1)!)).toMatchObject({ kind: 'checkpoint', reason: 'interval', checkpoint: { seq: 2, events: 1 } });
    vi.advanceTimersByTime(5000);
    expect(sink.lines).toHaveLength(3);
    void audit.close();
  });

  it('persists the running position on its interval and at close', () => {
    vi.useFakeTimers();
    const persisted: number[] = [];
    const { audit } = log({ persistIntervalMs: 500, persist: (position) => persisted.push(position.seq) });
    audit.observe(outcome());
    vi.advanceTimersByTime(500);
    vi.advanceTimersByTime(500); // unchanged: not written again
    void audit.close();
    expect(persisted).toEqual([2, 3]);
  });
});

describe('continuing the chain across restarts and files', () => {
  function start(dataDir: string, file: string, chain: Partial<AuditChainOptions> = {}): AuditLog {
    const recovered = recoverChain(dataDir, [file]);
    return createAuditLog([openSink({ type: 'file', path: file, format: 'native', maxBytes: null, syncIntervalMs: 0 })], {
      scrub,
      chain: { start: recovered, persist: (position) => writeChainState(dataDir, position), ...chain },
    });
  }
  const dirs = (): { dataDir: string; file: string } => {
    const dir = mkdtempSync(join(tmpdir(), 'egress-chain-'));
    mkdirSync(join(dir, 'data'), { mode: 0o700 });
    return { dataDir: join(dir, 'data'), file: join(dir, 'audit.jsonl') };
  };
  const seqs = (file: string): number[] => fileLines(file).map((l) => l.seq);

  it('a restart continues from the last line of the file; the whole file verifies', async () => {
    const { dataDir, file } = dirs();
    const first = start(dataDir, file);
    first.observe(outcome());
    first.close();
    const second = start(dataDir, file);
    second.observe(outcome());
    second.close();
    const lines = fileLines(file);
    expect(lines.map((l) => [l.seq, l.kind])).toEqual([[1, 'header'], [2, 'request'], [3, 'checkpoint'], [4, 'header'], [5, 'request'], [6, 'checkpoint']]);
    expect(lines[3]).toMatchObject({ continues: { seq: 3, source: 'file' } });
    expect(readChainState(dataDir)?.seq).toBe(6);
    expect((await verifyChain([file])).break).toBeNull();
  });

  it('after rotation (file renamed away) it continues from the state file; both files verify in order', async () => {
    const { dataDir, file } = dirs();
    const first = start(dataDir, file);
    first.observe(outcome());
    first.close();
    renameSync(file, `${file}.1`);
    const second = start(dataDir, file);
    second.observe(outcome());
    second.close();
    expect(fileLines(file)[0]).toMatchObject({ kind: 'header', seq: 4, continues: { seq: 3, source: 'state' } });
    const report = await verifyChain([`${file}.1`, file]);
    expect([report.break, report.firstSeq, report.lastSeq, report.lines]).toEqual([null, 1, 6, 6]);
  });

  it('prefers the file tail over a stale state file (a crash lost the persisted tail)', async () => {
    const { dataDir, file } = dirs();
    const first = start(dataDir, file);
    first.flush(); // persisted at seq 1 (the header)
    for (let i = 0; i < 4; i += 1) first.observe(outcome());
    await new Promise((resolve) => setImmediate(resolve)); // the file sink writes its batch; no flush, no close: a crash
    expect([readChainState(dataDir)?.seq, seqs(file).at(-1)]).toEqual([1, 5]);
    const second = start(dataDir, file);
    second.close();
    expect(fileLines(file)[5]).toMatchObject({ seq: 6, kind: 'header', continues: { seq: 5, source: 'file' }, state_seq: null });
    expect((await verifyChain([file])).break).toBeNull();
  });

  it('records when the state file is ahead of the file (lines hashed but never written)', () => {
    const { dataDir, file } = dirs();
    start(dataDir, file).close();
    writeChainState(dataDir, { seq: 40, hash: GENESIS.hash });
    start(dataDir, file).close();
    expect(fileLines(file)[2]).toMatchObject({ kind: 'header', continues: { seq: 2, source: 'file' }, state_seq: 40 });
  });

  it('a partial last line left by a crash is ended, declared by the next header, and verify accepts it as a remnant', async () => {
    const { dataDir, file } = dirs();
    const first = start(dataDir, file);
    first.observe(outcome());
    first.flush();
    appendFileSync(file, '{"seq":3,"prev_hash":"sha256:ab');
    const second = start(dataDir, file);
    second.close();
    const text = readFileSync(file, 'utf8').split('\n');
    expect(text[2]).toBe('{"seq":3,"prev_hash":"sha256:ab');
    expect(parse(text[3]!)).toMatchObject({ seq: 3, kind: 'header', continues: { seq: 2, source: 'file' }, partial_tails: [{ file, bytes: 31 }] });
    const report = await verifyChain([file]);
    expect([report.break, report.remnants]).toEqual([null, [{ file, line: 3 }]]);
  });

  it('starts from the genesis with neither file nor state, and ignores a state file that is not a position', () => {
    const { dataDir, file } = dirs();
    expect(recoverChain(dataDir, [file])).toEqual({ position: GENESIS, source: 'genesis', stateSeq: null, partialTails: [] });
    start(dataDir, file).close();
    writeFileSync(join(dataDir, 'audit-chain.json'), 'not json');
    expect(readChainState(dataDir)).toBeNull();
  });
});
