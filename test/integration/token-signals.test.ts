/**
 * Token signals through the proxy, with curl: the first use of a token raises `new_token`, a second tool
 * using the same token raises `shared_token` (once), an expired JWT raises `expired_token_used`; each is
 * an alert line in the audit chain right after the request that raised it. The inventory is saved to the
 * data dir at shutdown and a restarted proxy does not raise `new_token` again. No token value anywhere.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AlertEvent } from '../../src/audit/alert-event.js';
import { verifyChain } from '../../src/audit/verify.js';
import { startBackend, type Backend } from '../helpers/backend.js';
import { curl } from '../helpers/clients.js';
import { CI_BOT_SECRET, EXAMPLE_ENV, exampleConfig, READER_SECRET } from '../helpers/configs.js';
import { makeBackendPki, type BackendPki } from '../helpers/pki.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';

const SHARED = 'ghp_R2sL8vQ1xT7kW4mN9pZ3cF6hJ0aB5dE2gY8u';
const OWN = 'glpat-Xk29vB7qLm4Np8Rt1Wz5';
const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
const EXPIRED_JWT = `${b64url({ alg: 'RS256', typ: 'JWT' })}.${b64url({ sub: 'svc', exp: 1_600_000_000 })}.c2lnbmF0dXJlLW5ldmVyLWtlcHQtYW55d2hlcmU`;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

interface Setup {
  readonly pki: BackendPki;
  readonly backend: Backend;
}

async function backend(): Promise<Setup> {
  const pki = makeBackendPki();
  const started = await startBackend({ pki });
  cleanups.push(() => started.close());
  return { pki, backend: started };
}

async function proxyOn(setup: Setup, dir?: string): Promise<TestProxy> {
  const proxy = await startTestProxy(exampleConfig(setup.backend.port, setup.pki.caCert), { env: EXAMPLE_ENV, ...(dir ? { dir } : {}) });
  return proxy;
}

const lines = (proxy: TestProxy): Record<string, unknown>[] =>
  proxy.auditText().split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, unknown>);
const alerts = (proxy: TestProxy): AlertEvent[] => lines(proxy).filter((line) => line.kind === 'alert') as unknown as AlertEvent[];

async function send(proxy: TestProxy, tool: 'reader' | 'ci-bot', header: string): Promise<void> {
  const password = tool === 'reader' ? READER_SECRET : CI_BOT_SECRET;
  const reply = await curl('https://api.example.test/repos/a/b', { proxy: proxy.url(tool, password), cacert: proxy.caCert, args: ['-H', header] });
  expect(reply.status).toBe(200);
}

describe('token signals', () => {
  it('raise one alert each, right after the request that raised them, and never carry a token', async () => {
    const setup = await backend();
    const proxy = await proxyOn(setup);
    cleanups.push(() => proxy.stop());
    await send(proxy, 'reader', `Authorization: Bearer ${SHARED}`);
    await send(proxy, 'reader', `Authorization: Bearer ${SHARED}`);
    await send(proxy, 'ci-bot', `Authorization: Bearer ${SHARED}`);
    await send(proxy, 'ci-bot', `Authorization: Bearer ${SHARED}`);
    await send(proxy, 'ci-bot', `X-Auth-Token: ${EXPIRED_JWT}`);
    await send(proxy, 'ci-bot', `X-Auth-Token: ${EXPIRED_JWT}`);
    proxy.running.flushAudit();

    const raised = alerts(proxy).map((alert) => [alert.signal, alert.token.kind, alert.trigger.tool]);
    expect(raised).toEqual([
      ['new_token', 'github_classic_pat', 'reader'],
      ['shared_token', 'github_classic_pat', 'ci-bot'],
      ['new_token', 'jwt', 'ci-bot'],
      ['expired_token_used', 'jwt', 'ci-bot'],
    ]);
    const shared = alerts(proxy).find((alert) => alert.signal === 'shared_token')!;
    expect(shared).toMatchObject({ severity: 'high', token: { tools: ['ci-bot', 'reader'], principals: ['alice@example.com', 'ci'], count: 3, hint: `ghp_…${SHARED.slice(-4)}` } });
    // Each alert follows the event that raised it (after that event's other alerts), in the same chain.
    const all = lines(proxy);
    for (const alert of alerts(proxy)) {
      const at = all.findIndex((line) => line.event_id === alert.event_id);
      const before = all.slice(0, at).reverse().find((line) => line.kind !== 'alert');
      expect(before?.event_id).toBe(alert.trigger.event_id);
    }
    const text = proxy.auditText();
    for (const secret of [SHARED, EXPIRED_JWT, EXPIRED_JWT.split('.')[2]!, READER_SECRET, CI_BOT_SECRET]) expect(text).not.toContain(secret);
  });

  it('keeps the inventory across a restart: a known token is not new again, the chain continues', async () => {
    const setup = await backend();
    const first = await proxyOn(setup);
    await send(first, 'reader', `PRIVATE-TOKEN: ${OWN}`);
    await first.stop();
    const inventory = readFileSync(join(first.dir, 'state', 'tokens.json'), 'utf8');
    expect(inventory).toContain(`"hint":"glpat-…${OWN.slice(-4)}"`);
    expect(inventory).not.toContain(OWN);

    const second = await proxyOn(setup, first.dir);
    cleanups.push(() => second.stop());
    await send(second, 'reader', `PRIVATE-TOKEN: ${OWN}`);
    second.running.flushAudit();
    expect(alerts(second).map((alert) => alert.signal)).toEqual(['new_token']); // the first run's only
    const verified = await verifyChain([join(first.dir, 'audit.jsonl')]);
    expect(verified.break).toBeNull();
  });
});
