/**
 * Native lines encoded once: the chain's byte append, the scrubber's byte entry and the file sink's byte
 * write each give exactly what their string forms give, and a whole audit log written through the byte
 * path (createLineScrubber, file sink) holds the same bytes as one written through strings only.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createAuditLog } from '../../../src/audit/audit-log.js';
import { createChain, ENVELOPE_ROOM, GENESIS, type ChainPosition } from '../../../src/audit/chain.js';
import { createNativeLineWriter, takesUtf8, utf8ScrubOf } from '../../../src/audit/native-line.js';
import type { AuditSink } from '../../../src/audit/sinks.js';
import { openFileSink } from '../../../src/audit/sinks/file.js';
import { createLineScrubber } from '../../../src/logging/line-scrubber.js';
import { buildOutcome } from '../../../src/pipeline/run.js';
import { allowDecision, httpsTarget, requestContext, toolIdentity } from '../../helpers/context-factory.js';
import { testScanner } from '../../helpers/proxy.js';

const GITHUB = 'ghp_R7q2VxK9mB4tY8wZ1cN6pL3sD5fH0jA2kE9u';
const START: ChainPosition = { seq: 41, hash: `sha256:${'ab'.repeat(32)}` };

/** `body` encoded with the envelope room in front and one byte after, as the writer lays it out. */
function laidOut(body: string): [Buffer, number] {
  const bytes = Buffer.from(body, 'utf8');
  const buffer = Buffer.alloc(ENVELOPE_ROOM + bytes.length + 1, 0xee);
  bytes.copy(buffer, ENVELOPE_ROOM);
  return [buffer, ENVELOPE_ROOM + bytes.length];
}

describe('chain.appendEncoded', () => {
  it.each([
    ['an object', '{"kind":"request","n":1}'],
    ['non-ASCII text', '{"hint":"…a1b2","text":"é☃😀"}'],
    ['a one-field object', '{"a":1}'],
  ])('%s: the bytes append() returns, and the same position after', (_name, body) => {
    const byText = createChain(START);
    const byBytes = createChain(START);
    const [buffer, bodyEnd] = laidOut(body);
    const line = byBytes.appendEncoded(buffer, bodyEnd);
    expect(line?.toString('utf8')).toBe(byText.append(body));
    expect(byBytes.position()).toEqual(byText.position());
  });

  it.each([
    ['an empty object', '{}'],
    ['no object', '"text"'],
    ['an unclosed object', '{"a":1'],
  ])('%s: null, and the chain does not move (append() handles it)', (_name, body) => {
    const chain = createChain(START);
    const [buffer, bodyEnd] = laidOut(body);
    expect(chain.appendEncoded(buffer, bodyEnd)).toBeNull();
    expect(chain.position()).toEqual(START);
  });

  it('an envelope that does not fit the room (a recovered hash of odd length): null', () => {
    const chain = createChain({ seq: 1, hash: `sha256:${'f'.repeat(200)}` });
    const [buffer, bodyEnd] = laidOut('{"a":1}');
    expect(chain.appendEncoded(buffer, bodyEnd)).toBeNull();
  });
});

describe('native line writer', () => {
  const scrubber = createLineScrubber(testScanner());
  const bodies = [
    ['a clean event', JSON.stringify({ kind: 'request', path: '/v1/items', hint: '…a1b2' })],
    ['an event with a secret', JSON.stringify({ kind: 'request', detail: `upstream said ${GITHUB}` })],
    ['a long event (past the first scratch size)', JSON.stringify({ kind: 'request', path: `/${'é'.repeat(20_000)}` })],
    ['a huge event (past the scratch limit: a buffer of its own)', JSON.stringify({ kind: 'request', path: `/${'é'.repeat(400_000)}` })],
    ['an empty object', '{}'],
  ] as const;

  it.each(bodies)('%s: the same line as scrub, then append', (_name, body) => {
    const reference = createChain(GENESIS);
    const writer = createNativeLineWriter(createChain(GENESIS), scrubber.utf8);
    const expected = reference.append(scrubber(body));
    const line = writer.append(body, true);
    expect(line.bytes.toString('utf8')).toBe(expected);
    expect(line.text()).toBe(expected);
  });

  it('unscrubbed lines (lifecycle) are appended as they are', () => {
    const body = JSON.stringify({ kind: 'header', note: GITHUB });
    const line = createNativeLineWriter(createChain(GENESIS), scrubber.utf8).append(body, false);
    expect(line.text()).toBe(createChain(GENESIS).append(body));
  });

  it('a plain string scrubber works through utf8ScrubOf: unchanged is null, changed is its bytes', () => {
    const upper = utf8ScrubOf((line) => line.toUpperCase());
    expect(upper(Buffer.from('{"a":"b"}'))?.toString()).toBe('{"A":"B"}');
    expect(utf8ScrubOf((line) => line)(Buffer.from('{"a":"é"}'))).toBeNull();
  });
});

describe('line scrubber: byte entry', () => {
  it.each([
    ['a secret', `{"detail":"upstream said ${GITHUB}"}`],
    ['no secret', '{"sha":"a94a8fe5ccb19ba61c4c0873d391e987982fbbd3"}'],
  ])('%s: the same result as the string entry, and each redaction reported once', (_name, line) => {
    const kinds: string[] = [];
    const scrub = createLineScrubber(testScanner(), (kind) => kinds.push(kind));
    const byText = scrub(line);
    const byBytes = scrub.utf8(Buffer.from(line));
    expect(byBytes === null ? line : byBytes.toString('utf8')).toBe(byText);
    expect(kinds).toHaveLength(byText === line ? 0 : 2);
  });

  it('a long line, then a short one: the short one scrubs as it does on its own', () => {
    const short = `{"detail":"${GITHUB}","n":1}`;
    const alone = createLineScrubber(testScanner())(short);
    const scrub = createLineScrubber(testScanner());
    expect(scrub(`{"path":"/${'x'.repeat(40_000)}","detail":"${GITHUB}"}`)).toContain('[REDACTED:');
    expect(scrub(short)).toBe(alone);
    expect(alone).toMatch(/^\{"detail":"\[REDACTED:[a-z0-9_]+\]","n":1\}$/);
  });

  it('onRedaction may log through the same scrubber (the line is decoded before it runs)', () => {
    const scrub: ReturnType<typeof createLineScrubber> = createLineScrubber(testScanner(), () => {
      scrub(`{"log":"${'y'.repeat(5000)}"}`);
    });
    const line = `{"detail":"${GITHUB}"}`;
    expect(scrub(line)).toMatch(/^\{"detail":"\[REDACTED:[a-z0-9_]+\]"\}$/);
  });
});

describe('file sink: byte lines', () => {
  it('byte and text lines interleaved reach the file in order, byte for byte', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'egress-native-')), 'audit.jsonl');
    const sink = openFileSink({ type: 'file', path, format: 'native', maxBytes: null, syncIntervalMs: 50 });
    expect(takesUtf8(sink)).toBe(true);
    const lines = Array.from({ length: 3000 }, (_, i) => `{"n":${i},"t":"${'é'.repeat(i % 7)}…"}\n`);
    for (const [i, line] of lines.entries()) {
      expect(i % 3 === 0 ? sink.write(line, i + 1) : sink.writeUtf8(Buffer.from(line), i + 1)).toBe(true);
      if (i % 500 === 499) await nextTurn();
    }
    await sink.close();
    expect(readFileSync(path, 'utf8')).toBe(lines.join(''));
  });
});

// Alerts are left out: their event ids are random. Their bodies take the same path as any other line.
describe('audit log: byte path and string path write the same file', () => {
  async function writeLog(scrub: (line: string) => string, path: string): Promise<string> {
    const sinks: AuditSink[] = [openFileSink({ type: 'file', path, format: 'native', maxBytes: null, syncIntervalMs: 50 })];
    const audit = createAuditLog(sinks, { scrub, chain: { now: () => new Date(Date.UTC(2025, 0, 1)) } });
    for (let i = 0; i < 50; i++) {
      const ctx = requestContext({ requestId: `req-${i}` });
      ctx.identity = toolIdentity();
      ctx.target = httpsTarget({ path: i % 5 === 0 ? `/leak/${GITHUB}` : `/v1/items/${i}`, query: i % 7 === 0 ? 'q=é' : '' });
      ctx.decision = allowDecision();
      audit.observe(buildOutcome(ctx));
      if (i % 16 === 0) await nextTurn();
    }
    await audit.close();
    return readFileSync(path, 'utf8');
  }

  it('every line after the header is the same, redactions included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'egress-paths-'));
    const scrubber = createLineScrubber(testScanner());
    const stringOnly = (line: string): string => scrubber(line);
    const [byBytes, byText] = [await writeLog(scrubber, join(dir, 'bytes.jsonl')), await writeLog(stringOnly, join(dir, 'text.jsonl'))];
    expect(byBytes).toContain('[REDACTED:');
    expect(byBytes).toBe(byText);
  });
});
