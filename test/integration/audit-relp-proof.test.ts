/**
 * The delivery claims, proved through the real proxy against a real rsyslogd (imrelp):
 *
 * 1. RELP loses nothing: 2,000 requests (8 at a time) with a file sink (the oracle: every chain line the
 *    proxy wrote) and a RELP sink. rsyslogd is SIGKILLed after request 1,000 and started again on the same
 *    port 10 s later, while requests keep coming. Afterwards rsyslog holds every line of the file, byte for
 *    byte, in seq order; the only disorder is a resend (a seq seen before, with the same bytes).
 * 2. Fail closed on a full spool: a RELP sink alone, its receiver down, a 64 KiB spool. Requests are served
 *    while the spool has room, then refused with 503 audit_unavailable and /readyz fails; once rsyslogd
 *    starts, every event of a served request is delivered and the proxy serves again. Nothing is dropped
 *    silently: a seq missing at the receiver belongs to a refused request's own event (the chain numbers
 *    it, so the gap is visible), never to a served one.
 */
import { readFileSync } from 'node:fs';
import { ProxyAgent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { startBackend } from '../helpers/backend.js';
import { basicAuth, rawConnect } from '../helpers/clients.js';
import { EXAMPLE_ENV, exampleConfig, READER_SECRET } from '../helpers/configs.js';
import { makeBackendPki } from '../helpers/pki.js';
import { freePort } from '../helpers/ports.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { startRsyslog, type ReceivedMessage, type Rsyslog } from '../helpers/rsyslog.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

/** The proxy with these audit sinks; `stop` may be called by the test (to read the close-time logs) and again by the cleanup. */
async function proxyWith(sinks: string): Promise<TestProxy & { stopOnce(): Promise<void> }> {
  const pki = makeBackendPki();
  const backend = await startBackend({ pki });
  cleanups.push(() => backend.close());
  const proxy = await startTestProxy(exampleConfig(backend.port, pki.caCert, `audit:\n  sinks:\n${sinks}`), { env: EXAMPLE_ENV });
  let stopping: Promise<void> | null = null;
  const stopOnce = (): Promise<void> => (stopping ??= proxy.stop());
  cleanups.push(stopOnce);
  return Object.assign(proxy, { stopOnce });
}

function agentFor(proxy: TestProxy, connections: number): ProxyAgent {
  const agent = new ProxyAgent({ uri: proxy.url('reader', READER_SECRET), requestTls: { ca: readFileSync(proxy.caCert, 'utf8') }, connections });
  cleanups.push(() => agent.close());
  return agent;
}

/** 503 inside the tunnel, or the CONNECT itself refused (undici then throws): both are a refusal. */
async function get(agent: ProxyAgent, path: string): Promise<{ status: number; reason: string | null }> {
  try {
    const res = await request(`https://api.example.test${path}`, { dispatcher: agent, headersTimeout: 10_000, bodyTimeout: 10_000 });
    const body = await res.body.text();
    return { status: res.statusCode, reason: res.statusCode === 200 ? null : ((JSON.parse(body) as { reason?: string }).reason ?? null) };
  } catch (error) {
    return { status: 0, reason: (error as Error).message };
  }
}

async function admin(proxy: TestProxy, path: string): Promise<{ status: number; body: string }> {
  const res = await request(`http://127.0.0.1:${proxy.adminPort}${path}`);
  return { status: res.statusCode, body: await res.body.text() };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function waitUntil(what: string, condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** Splits what arrived into first arrivals and resends; first arrivals must climb by exactly one. */
function firstArrivalsAndResends(received: readonly ReceivedMessage[]): { first: Map<number, string>; resends: number; outOfOrder: number[] } {
  const first = new Map<number, string>();
  const outOfOrder: number[] = [];
  let resends = 0;
  let highest: number | null = null;
  for (const message of received) {
    const seq = message.seq ?? -1;
    if (highest !== null && seq <= highest) {
      resends += 1;
      if (first.get(seq) !== message.msg) outOfOrder.push(seq); // a "resend" that is not the same event
      continue;
    }
    if (highest !== null && seq !== highest + 1) outOfOrder.push(seq);
    first.set(seq, message.msg);
    highest = seq;
  }
  return { first, resends, outOfOrder };
}

describe('audit over RELP, proved against a real rsyslogd', () => {
  it('loses no event when rsyslogd is SIGKILLed mid-run and restarted 10 s later', async () => {
    const rsyslog = await startRsyslog({ transport: 'relp' });
    cleanups.push(() => rsyslog.stop());
    const proxy = await proxyWith(`    - type: file\n      path: "{{dir}}/audit.jsonl"\n    - type: syslog\n      transport: relp\n      address: 127.0.0.1:${rsyslog.port}\n`);
    const agent = agentFor(proxy, 8);
    const total = 2000;
    const statuses: number[] = new Array<number>(total).fill(-1);
    let next = 0;
    let killedAt = 0;
    let restarted: Promise<void> | null = null;
    const worker = async (): Promise<void> => {
      for (let guard = 0; guard < total && next < total; guard++) {
        const i = next++;
        if (i === total / 2 && killedAt === 0) {
          killedAt = Date.now();
          // Frozen first, for a moment, so that frames are certainly in flight when it dies (an instant
          // kill usually finds the window empty: rsyslog acknowledges within microseconds).
          await rsyslog.freeze(300);
          await rsyslog.kill();
          restarted = sleep(10_000).then(() => rsyslog.start());
        }
        // After the kill the run is paced so that the restart falls while requests still arrive.
        if (killedAt > 0) await sleep(110);
        statuses[i] = (await get(agent, `/repos/acme/r${i}`)).status;
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    await restarted;
    expect(statuses.filter((s) => s === 200)).toHaveLength(total);

    const oracle = proxy.auditText().split('\n').filter((l) => l !== '').map((l) => ({ seq: (JSON.parse(l) as { seq: number }).seq, line: l }));
    expect(oracle.filter((o) => o.line.includes('"kind":"request"'))).toHaveLength(total);
    const lastSeq = oracle.at(-1)!.seq;
    let received: ReceivedMessage[] = [];
    await waitUntil('every line at rsyslog', () => {
      received = rsyslog.received();
      return received.some((m) => m.seq === lastSeq);
    }, 30_000);
    const { first, resends, outOfOrder } = firstArrivalsAndResends(received);
    expect(outOfOrder).toEqual([]);
    expect(oracle.filter((o) => first.get(o.seq) !== o.line)).toEqual([]); // every line, byte for byte
    expect([...first.keys()]).toEqual(oracle.map((o) => o.seq));
    expect(resends).toBeLessThanOrEqual(128); // duplicates at the receiver: at most one window
    await proxy.stopOnce();
    const ended = proxy.logs.map((l) => JSON.parse(l) as { msg: string; resentTotal?: number }).filter((l) => l.resentTotal !== undefined);
    expect(ended.some((l) => l.msg.includes('connection to the receiver ended'))).toBe(true);
    const resentByClient = Math.max(...ended.map((l) => l.resentTotal ?? 0));
    expect(resentByClient).toBeGreaterThan(0); // the resend path ran: frames were in flight at the kill
    process.stdout.write(`[relp-proof] ${received.length} messages, ${first.size} distinct; the client resent ${resentByClient}, the receiver saw ${resends} twice\n`);
  }, 90_000);

  it('refuses requests (503 audit_unavailable, /readyz down) when the spool is full, and drops no accepted event', async () => {
    const port = await freePort();
    const proxy = await proxyWith(`    - type: syslog\n      transport: relp\n      address: 127.0.0.1:${port}\n      spool: { maxBytes: 65536 }\n`);
    expect((await admin(proxy, '/readyz')).status).toBe(200);
    const results: { path: string; status: number; reason: string | null }[] = [];
    let refusedInARow = 0;
    const agent = agentFor(proxy, 1);
    for (let i = 0; i < 300 && refusedInARow < 5; i++) {
      const path = `/repos/acme/full-${i}`;
      const result = await get(agent, path);
      results.push({ path, ...result });
      refusedInARow = result.status === 200 ? 0 : refusedInARow + 1;
    }
    const served = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status !== 200);
    expect(served.length).toBeGreaterThan(10);
    expect(refused.length).toBeGreaterThanOrEqual(5);
    expect(results.slice(served.length).every((r) => r.status !== 200)).toBe(true); // served first, then refused
    // Refused inside a tunnel (503, reason in the body) or at CONNECT (undici only reports the status).
    expect(refused.filter((r) => !(r.status === 503 ? r.reason === 'audit_unavailable' : r.reason?.includes('Proxy response (503)')))).toEqual([]);
    const connect = await rawConnect(proxy.port, 'api.example.test:443', basicAuth('reader', READER_SECRET));
    expect([connect.status, (JSON.parse(connect.body) as { reason: string }).reason]).toEqual([503, 'audit_unavailable']);
    const ready = await admin(proxy, '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body).toContain('audit_unavailable');

    const rsyslog: Rsyslog = await startRsyslog({ transport: 'relp', port });
    cleanups.push(() => rsyslog.stop());
    await waitUntil('/readyz to recover', async () => (await admin(proxy, '/readyz')).status === 200, 20_000);
    const after = await get(agentFor(proxy, 1), '/repos/acme/after');
    expect(after.status).toBe(200);
    await waitUntil('the event of the request after recovery', () => rsyslog.received().some((m) => m.msg.includes('/repos/acme/after')), 10_000);

    const received = rsyslog.received();
    const { first, outOfOrder } = firstArrivalsAndResends(received.filter((m) => m.seq !== null));
    const paths = new Set([...first.values()].map((msg) => (JSON.parse(msg) as { request?: { path?: string } }).request?.path));
    expect(served.filter((r) => !paths.has(r.path))).toEqual([]); // every served request's event arrived
    // Gaps are visible (the chain numbers every event) and only as many as there were refusals.
    const seqs = [...first.keys()];
    const gaps = outOfOrder.reduce((sum, seq) => sum + (seq - (seqs[seqs.indexOf(seq) - 1] ?? seq) - 1), 0);
    expect(gaps).toBeLessThanOrEqual(refused.length + 1); // + the raw CONNECT refused above
    process.stdout.write(`[spool-full] served ${served.length}, refused ${refused.length}, delivered ${first.size} distinct, seq gaps ${gaps}\n`);
  }, 90_000);
});
