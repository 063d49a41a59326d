/**
 * The syslog sink against a real rsyslogd on loopback (test/helpers/rsyslog.ts): over TCP, TLS (ossl
 * driver, verified against a test CA) and RELP. Messages parse as RFC 5424 on rsyslog's side (its own
 * msgid / structured-data / msg), structured data survives escaping, a 64 KB event arrives whole, and
 * events written while the receiver is down are spooled and delivered in order when it starts.
 */
import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AuditSink } from '../../src/audit/sinks.js';
import { frameOctetCounted } from '../../src/audit/sinks/octet-framing.js';
import { formatRfc5424, SEVERITY } from '../../src/audit/sinks/rfc5424.js';
import { openSyslogSink } from '../../src/audit/sinks/syslog.js';
import type { SyslogSinkConfig } from '../../src/config/types.js';
import { makeBackendPki, type BackendPki } from '../helpers/pki.js';
import { freePort } from '../helpers/ports.js';
import { startRsyslog, type Rsyslog } from '../helpers/rsyslog.js';

type Transport = SyslogSinkConfig['transport'];

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

let pki: BackendPki | undefined;
const testPki = (): BackendPki => (pki ??= makeBackendPki(['localhost']));

async function receiver(transport: Transport, port?: number): Promise<Rsyslog> {
  const tls = transport === 'tls' ? { caCert: testPki().caCert, cert: testPki().leafCert, key: testPki().leafKey } : undefined;
  const rsyslog = await startRsyslog({ transport, ...(port === undefined ? {} : { port }), ...(tls ? { tls } : {}) });
  cleanups.push(() => rsyslog.stop());
  return rsyslog;
}

function sinkFor(transport: Transport, port: number, overrides: Partial<SyslogSinkConfig> = {}): AuditSink {
  const config: SyslogSinkConfig = {
    type: 'syslog',
    transport,
    address: { host: '127.0.0.1', port },
    ca: transport === 'tls' ? [testPki().caCert] : [],
    serverName: transport === 'tls' ? 'localhost' : null,
    facility: 13,
    appName: 'mcp-egress',
    format: 'native',
    spool: { dir: join(mkdtempSync(join(tmpdir(), 'egress-syslog-')), 'spool'), maxBytes: 64 * 1024 * 1024 },
    ...overrides,
  };
  const sink = openSyslogSink(config, { log: () => undefined });
  cleanups.push(() => sink.close());
  return sink;
}

const line = (seq: number, extra = ''): string => `{"seq":${seq},"prev_hash":"sha256:x","schema":"mcp-egress.audit/1","kind":"request","decision":{"action":"allow"},"n":${seq}${extra}}\n`;

function writeRange(sink: AuditSink, from: number, to: number): void {
  for (let seq = from; seq <= to; seq++) expect(sink.write(line(seq), seq)).toBe(true);
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe.each<Transport>(['tcp', 'tls', 'relp'])('syslog over %s to rsyslog', (transport) => {
  it('delivers RFC 5424 messages in order, the seq in structured data, the line as MSG, a 64 KB event whole', async () => {
    const rsyslog = await receiver(transport);
    const sink = sinkFor(transport, rsyslog.port);
    writeRange(sink, 1, 50);
    const big = `,"pad":"${'p'.repeat(64 * 1024)}"`;
    expect(sink.write(line(51, big), 51)).toBe(true);
    writeRange(sink, 52, 100);
    const messages = await rsyslog.waitForMessages(100);
    expect(messages.map((m) => m.seq)).toEqual(range(1, 100));
    expect(messages.map((m) => m.msg)).toEqual(range(1, 100).map((seq) => line(seq, seq === 51 ? big : '').trimEnd()));
    expect(messages[0]).toMatchObject({ pri: 13 * 8 + SEVERITY.info, appName: 'mcp-egress', msgId: 'request' });
    // rsyslog's own parse agrees: app-name, msgid, structured data, msg.
    expect(rsyslog.parsed()[0]).toEqual(['mcp-egress', 'request', '[mcp-egress@32473 seq="1"]', line(1).trimEnd()]);
    expect(rsyslog.parsed()[50]?.[3]?.length).toBe(line(51, big).length - 1);
    await waitUntil(() => sink.status().spooledEvents === 0, 5000);
    expect(sink.status()).toMatchObject({ spooledEvents: 0, spooledBytes: 0, connected: true });
  });

  it('spools while the receiver is down and delivers everything in order when it starts', async () => {
    const port = await freePort();
    const sink = sinkFor(transport, port);
    writeRange(sink, 1, 300);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(sink.status()).toMatchObject({ spooledEvents: 300, connected: false });
    expect(sink.healthy()).toBe(true);
    const rsyslog = await receiver(transport, port);
    writeRange(sink, 301, 400);
    const messages = await rsyslog.waitForMessages(400, 20_000);
    expect(messages.map((m) => m.seq)).toEqual(range(1, 400));
    await waitUntil(() => sink.status().spooledEvents === 0, 5000);
  });
});

describe('structured data and TLS verification', () => {
  it('rsyslog parses structured data whose values needed escaping (", \\, ])', async () => {
    const rsyslog = await receiver('tcp');
    const value = 'a"b\\c]d';
    const message = formatRfc5424({
      facility: 13, severity: SEVERITY.info, time: new Date(), hostname: 'h', appName: 'mcp-egress', procId: '1', msgId: 'request',
      structuredData: [{ id: 'mcp-egress@32473', params: [['seq', '7'], ['note', value]] }],
      message: '{"after":"the sd"}',
    });
    const socket = connect(rsyslog.port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.end(frameOctetCounted(message));
    const [received] = await rsyslog.waitForMessages(1);
    expect(received?.sd.get('mcp-egress@32473')?.get('note')).toBe(value);
    expect(rsyslog.parsed()[0]).toEqual(['mcp-egress', 'request', '[mcp-egress@32473 seq="7" note="a\\"b\\\\c\\]d"]', '{"after":"the sd"}']);
  });

  it('does not send to a TLS receiver whose certificate the configured CA does not sign', async () => {
    const rsyslog = await receiver('tls');
    const other = makeBackendPki(['localhost']);
    const sink = sinkFor('tls', rsyslog.port, { ca: [other.caCert] });
    writeRange(sink, 1, 5);
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(sink.status()).toMatchObject({ spooledEvents: 5, connected: false });
    expect(rsyslog.received()).toEqual([]);
  });

  it('checks the server name: a certificate for other names is refused', async () => {
    const rsyslog = await receiver('tls');
    const sink = sinkFor('tls', rsyslog.port, { serverName: 'siem.example.test' });
    writeRange(sink, 1, 3);
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(sink.status()).toMatchObject({ spooledEvents: 3, connected: false });
  });
});
