/**
 * The Splunk HEC sink against a fake HEC on 127.0.0.1 over HTTPS (test CA): batching, the receiver away
 * and back (spooled, then delivered in order), 503 then 200 (resent; duplicates only as repeated seq), a
 * wrong token (nothing lost: still spooled, delivered by the next start with the right token), TLS always
 * verified, and the token never in a log line or a spool file.
 */
import { readdirSync, readFileSync, statSync, mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openHecSink } from '../../src/audit/sinks/hec.js';
import type { AuditSink, SinkLog } from '../../src/audit/sinks.js';
import type { HttpSinkConfig } from '../../src/config/types.js';
import { makeBackendPki, type BackendPki } from '../helpers/pki.js';

const TOKEN = 'a1b2c3d4-e5f6-4711-8899-hec-token-0001';
const PATH = '/services/collector/event';

interface Received {
  readonly seq: number;
  readonly object: Record<string, unknown>;
}

/** A HEC that checks the path and token, records every event it parses, and answers from a script. */
class FakeHec {
  readonly received: Received[] = [];
  readonly statuses: number[] = [];
  /** Statuses to answer next (a 503 still records the events: a busy server may have indexed them). */
  script: number[] = [];
  port = 0;
  private server: Server | null = null;

  constructor(private readonly pki: BackendPki) {}

  async start(port = 0): Promise<void> {
    const server = createServer({ cert: readFileSync(this.pki.leafCert), key: readFileSync(this.pki.leafKey) }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const [status, body] = this.answer(req.url ?? '', req.headers.authorization, Buffer.concat(chunks).toString('utf8'));
        this.statuses.push(status);
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server === null) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  url(): string {
    return `https://127.0.0.1:${this.port}${PATH}`;
  }

  seqs(): number[] {
    return this.received.map((r) => r.seq);
  }

  private answer(url: string, authorization: string | undefined, body: string): [number, object] {
    if (url !== PATH) return [404, { text: 'The requested URL was not found on this server.', code: 404 }];
    if (authorization !== `Splunk ${TOKEN}`) return [401, { text: 'Invalid token', code: 4 }];
    const scripted = this.script.shift();
    if (scripted !== undefined && scripted !== 503) return [scripted, { text: 'Scripted', code: 8 }];
    for (const text of body.split('\n').filter((line) => line !== '')) {
      const object = JSON.parse(text) as Record<string, unknown>;
      this.received.push({ seq: (object['fields'] as { seq: number }).seq, object });
    }
    return scripted === 503 ? [503, { text: 'Server is busy', code: 9 }] : [200, { text: 'Success', code: 0 }];
  }
}

let pki: BackendPki;
const servers: FakeHec[] = [];
const sinks: AuditSink[] = [];

beforeAll(() => {
  pki = makeBackendPki(['localhost']);
});

afterEach(async () => {
  await Promise.all(sinks.splice(0).map((sink) => sink.close()));
  await Promise.all(servers.splice(0).map((server) => server.stop()));
});

async function fakeHec(): Promise<FakeHec> {
  const server = new FakeHec(pki);
  servers.push(server);
  await server.start();
  return server;
}

interface Opened {
  readonly sink: AuditSink;
  readonly logs: string[];
  readonly spoolDir: string;
}

function openSink(url: string, overrides: Partial<HttpSinkConfig> = {}, spoolDir = mkdtempSync(join(tmpdir(), 'egress-hec-spool-'))): Opened {
  const logs: string[] = [];
  const log: SinkLog = (level, message, fields) => void logs.push(JSON.stringify({ level, message, ...fields }));
  const config: HttpSinkConfig = {
    type: 'http', url, token: TOKEN, ca: [pki.caCert], batchSize: 10, flushIntervalMs: 30, format: 'native',
    spool: { dir: spoolDir, maxBytes: 1024 * 1024 }, ...overrides,
  };
  const sink = openHecSink(config, { log }, { minBackoffMs: 20, maxBackoffMs: 100, closeGraceMs: 500 });
  sinks.push(sink);
  return { sink, logs, spoolDir };
}

const auditLine = (seq: number): string =>
  `${JSON.stringify({ seq, prev_hash: `sha256:${'0'.repeat(64)}`, schema: 'mcp-egress.audit/1', kind: 'request', time: new Date(Date.UTC(2025, 0, 2, 3, 4, 5, seq)).toISOString(), method: 'GET' })}\n`;

function writeEvents(sink: AuditSink, from: number, to: number): void {
  for (let seq = from; seq <= to; seq += 1) expect(sink.write(auditLine(seq), seq)).toBe(true);
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_v, i) => from + i);

/** The token appears in no log line and no file under the spool dir. */
function expectNoToken({ logs, spoolDir }: Opened): void {
  expect(logs.join('\n')).not.toContain(TOKEN);
  for (const name of readdirSync(spoolDir)) {
    const path = join(spoolDir, name);
    if (statSync(path).isFile()) expect(readFileSync(path, 'utf8')).not.toContain(TOKEN);
  }
}

describe('HEC sink', () => {
  it('sends batches of batchSize as HEC event objects, in order, acknowledged only on {"code":0}', async () => {
    const hec = await fakeHec();
    const opened = openSink(hec.url());
    writeEvents(opened.sink, 1, 95);
    await waitFor(() => hec.received.length === 95 && opened.sink.status().spooledEvents === 0, '95 events');
    expect(hec.seqs()).toEqual(range(1, 95));
    expect(hec.statuses.length).toBeLessThanOrEqual(Math.ceil(95 / 10));
    expect(hec.received[0]!.object).toEqual({
      time: Date.UTC(2025, 0, 2, 3, 4, 5, 1) / 1000, host: expect.any(String), source: 'mcp-egress', sourcetype: 'mcp-egress:audit',
      event: JSON.parse(auditLine(1)), fields: { seq: 1 },
    });
    expectNoToken(opened);
  });

  it('a few events go out after flushIntervalMs, without waiting for a full batch', async () => {
    const hec = await fakeHec();
    const opened = openSink(hec.url(), { flushIntervalMs: 50 });
    writeEvents(opened.sink, 1, 3);
    await sleep(20);
    expect(hec.received).toHaveLength(0);
    await waitFor(() => hec.received.length === 3, 'the flush interval');
    expect(hec.statuses).toEqual([200]);
  });

  it('receiver down: events are spooled; back: delivered in order, none lost', async () => {
    const hec = await fakeHec();
    const port = hec.port;
    await hec.stop();
    const opened = openSink(hec.url());
    writeEvents(opened.sink, 1, 25);
    await waitFor(() => !opened.sink.status().connected, 'the sink to notice');
    expect([opened.sink.status().spooledEvents, opened.sink.healthy()]).toEqual([25, true]);
    writeEvents(opened.sink, 26, 40);
    await hec.start(port);
    await waitFor(() => opened.sink.status().spooledEvents === 0, 'the backlog');
    writeEvents(opened.sink, 41, 45);
    await waitFor(() => hec.received.length === 45, 'the later events');
    expect(hec.seqs()).toEqual(range(1, 45));
    expect(opened.logs.filter((line) => line.includes('unavailable'))).toHaveLength(1);
    expect(opened.logs.some((line) => line.includes('accepts events again'))).toBe(true);
    expectNoToken(opened);
  });

  it('503 then 200: the batch is resent; duplicates only as repeated whole events with the same seq', async () => {
    const hec = await fakeHec();
    hec.script = [503, 503];
    const opened = openSink(hec.url());
    writeEvents(opened.sink, 1, 30);
    await waitFor(() => opened.sink.status().spooledEvents === 0, 'delivery');
    expect(hec.statuses.slice(0, 3)).toEqual([503, 503, 200]);
    const firstSeen = new Map<number, string>();
    for (const { seq, object } of hec.received) {
      const text = JSON.stringify(object);
      if (firstSeen.has(seq)) expect(text).toBe(firstSeen.get(seq));
      else firstSeen.set(seq, text);
    }
    expect([...firstSeen.keys()]).toEqual(range(1, 30));
    expect(hec.received.length).toBeGreaterThan(30);
  });

  it('wrong token: logged once, nothing lost (spooled, healthy); the next start with the right token delivers it all', async () => {
    const hec = await fakeHec();
    const wrong = openSink(hec.url(), { token: 'wrong-token-0000000000000000' });
    writeEvents(wrong.sink, 1, 20);
    await waitFor(() => hec.statuses.filter((s) => s === 401).length >= 2, 'two refused attempts');
    expect(wrong.sink.status()).toMatchObject({ spooledEvents: 20, connected: false });
    expect(wrong.sink.healthy()).toBe(true);
    expect(wrong.logs.filter((line) => line.includes('"level":"error"'))).toEqual([expect.stringContaining('"status":401')]);
    expect(wrong.logs.join('\n')).not.toContain('wrong-token');
    await wrong.sink.close();
    expect(hec.received).toHaveLength(0);
    const right = openSink(hec.url(), {}, wrong.spoolDir);
    await waitFor(() => hec.received.length === 20, 'the spooled events');
    expect(hec.seqs()).toEqual(range(1, 20));
    expectNoToken(right);
  });

  it('verifies TLS: without the test CA nothing is delivered, everything stays spooled', async () => {
    const hec = await fakeHec();
    const opened = openSink(hec.url(), { ca: [] });
    writeEvents(opened.sink, 1, 5);
    await waitFor(() => opened.logs.some((line) => line.includes('unavailable')), 'a TLS failure');
    expect([hec.statuses, opened.sink.status().spooledEvents]).toEqual([[], 5]);
  });

  it('close() gives delivery a grace, then leaves the rest in the spool for the next start', async () => {
    const hec = await fakeHec();
    const port = hec.port;
    await hec.stop();
    const first = openSink(hec.url());
    writeEvents(first.sink, 1, 12);
    const started = Date.now();
    await first.sink.close();
    expect(Date.now() - started).toBeLessThan(3000);
    expect(first.sink.write(auditLine(13), 13)).toBe(false);
    await hec.start(port);
    const second = openSink(hec.url(), {}, first.spoolDir);
    await waitFor(() => hec.received.length === 12, 'the events of the first run');
    expect([hec.seqs(), second.sink.status().spooledEvents]).toEqual([range(1, 12), 0]);
  });

  it('a full spool refuses events and makes the sink unhealthy', async () => {
    const hec = await fakeHec();
    await hec.stop();
    const opened = openSink(hec.url(), { spool: { dir: mkdtempSync(join(tmpdir(), 'egress-hec-spool-')), maxBytes: 64 * 1024 } });
    let accepted = 0;
    for (let seq = 1; seq <= 1000 && opened.sink.write(auditLine(seq), seq); seq += 1) accepted += 1;
    expect(accepted).toBeGreaterThan(10);
    expect(accepted).toBeLessThan(1000);
    expect(opened.sink.healthy()).toBe(false);
    expect(opened.logs.filter((line) => line.includes('spool full'))).toHaveLength(1);
  });
});
