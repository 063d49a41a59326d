/**
 * Real clients through the proxy against a real HTTPS backend with its own CA: curl, Python urllib (strict
 * X.509 verification), undici ProxyAgent and EnvHttpProxyAgent. Every case checks the audit event and that
 * the tool's proxy secret never reached the backend, the audit file or the logs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnvHttpProxyAgent, ProxyAgent, request } from 'undici';
import { readFileSync } from 'node:fs';
import { startBackend, type Backend } from '../helpers/backend.js';
import { curl, pythonGet } from '../helpers/clients.js';
import { EXAMPLE_ENV, exampleConfig, READER_SECRET, CI_BOT_SECRET } from '../helpers/configs.js';
import { makeBackendPki } from '../helpers/pki.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';

let backend: Backend;
let proxy: TestProxy;

beforeAll(async () => {
  const pki = makeBackendPki();
  backend = await startBackend({ pki });
  proxy = await startTestProxy(exampleConfig(backend.port, pki.caCert), { env: EXAMPLE_ENV });
});

afterAll(async () => {
  await proxy?.stop();
  await backend?.close();
});

function assertNoSecretsLeaked(): void {
  const everything = [proxy.auditText(), proxy.logs.join(''), JSON.stringify(backend.requests)].join('\n');
  for (const secret of [READER_SECRET, CI_BOT_SECRET]) expect(everything).not.toContain(secret);
  for (const request of backend.requests) expect(request.headers['proxy-authorization']).toBeUndefined();
}

function lastEvent() {
  const events = proxy.auditEvents();
  return events[events.length - 1]!;
}

describe('curl', () => {
  it('is allowed by the reader rule and audited with tool, actor and rule id', async () => {
    const reply = await curl('https://api.example.test/repos/acme/widgets', { proxy: proxy.url('reader', READER_SECRET), cacert: proxy.caCert });
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toMatchObject({ url: '/repos/acme/widgets', host: 'api.example.test' });
    expect(lastEvent()).toMatchObject({
      tool: 'reader',
      actor: { principal: 'alice@example.com', type: 'human' },
      request: { method: 'GET', scheme: 'https', host: 'api.example.test', port: 443, path: '/repos/acme/widgets' },
      decision: { action: 'allow', mode: 'enforce', rule_id: 'reader#0', reason: 'rule_matched' },
      response: { status: 200 },
      result: 'forwarded',
    });
    assertNoSecretsLeaked();
  });

  it('gets a 403 with a coded JSON body and nothing internal for a path outside the rule', async () => {
    const before = backend.requests.length;
    const reply = await curl('https://api.example.test/admin/keys', { proxy: proxy.url('reader', READER_SECRET), cacert: proxy.caCert });
    expect(reply.status).toBe(403);
    const body = JSON.parse(reply.body) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['error', 'reason', 'request_id']);
    expect(body).toMatchObject({ error: 'denied', reason: 'path_not_allowed' });
    expect(backend.requests.length).toBe(before);
    expect(lastEvent()).toMatchObject({ event_id: body['request_id'], decision: { action: 'deny', reason: 'path_not_allowed', rule_id: 'reader#0' } });
    assertNoSecretsLeaked();
  });

  it('gets 407 with Proxy-Authenticate for a wrong password, and the refused CONNECT is audited', async () => {
    const reply = await curl('https://api.example.test/repos/a/b', { proxy: proxy.url('reader', 'not-the-secret-at-all'), cacert: proxy.caCert, args: ['-i', '--proxy-anyauth'] });
    expect(reply.result.stdout + reply.result.stderr).toMatch(/407/);
    expect(lastEvent()).toMatchObject({ kind: 'connect', decision: { action: 'deny', reason: 'proxy_auth_invalid' } });
    assertNoSecretsLeaked();
    expect(proxy.auditText()).not.toContain('not-the-secret-at-all');
  });

  it('in report mode forwards what the rules do not allow and audits it as would_deny', async () => {
    const reply = await curl('https://api.example.test/orgs/acme', { proxy: proxy.url('ci-bot', CI_BOT_SECRET), cacert: proxy.caCert });
    expect(reply.status).toBe(200);
    expect(lastEvent()).toMatchObject({ tool: 'ci-bot', actor: { type: 'automation' }, decision: { action: 'would_deny', mode: 'report', reason: 'path_not_allowed' }, result: 'forwarded' });
  });
});

describe('Python urllib with strict X.509 verification', () => {
  it('verifies our leaf and is identified by the credentials in its proxy URL', async () => {
    const reply = await pythonGet('https://api.example.test/repos/acme/widgets', proxy.url('reader', READER_SECRET), proxy.caCert);
    expect(reply.result.stderr).toBe('');
    expect(reply.status).toBe(200);
    expect(lastEvent()).toMatchObject({ tool: 'reader', decision: { action: 'allow' } });
    assertNoSecretsLeaked();
  });
});

describe('undici', () => {
  const ca = (): string => readFileSync(proxy.caCert, 'utf8');

  it('ProxyAgent sends many requests through one authenticated CONNECT, each audited with the tunnel identity', async () => {
    const agent = new ProxyAgent({ uri: proxy.url('reader', READER_SECRET), requestTls: { ca: ca() }, connections: 1 });
    const tunnelsBefore = new Set(proxy.auditEvents().map((e) => e.tunnel_id));
    try {
      for (let i = 0; i < 5; i++) {
        const res = await request(`https://api.example.test/repos/acme/r${i}`, { dispatcher: agent });
        expect(res.statusCode).toBe(200);
        await res.body.text();
      }
    } finally {
      await agent.close();
    }
    const fresh = proxy.auditEvents().filter((e) => !tunnelsBefore.has(e.tunnel_id));
    expect(fresh).toHaveLength(5);
    expect(new Set(fresh.map((e) => e.tunnel_id)).size).toBe(1);
    expect(fresh.every((e) => e.tool === 'reader')).toBe(true);
    assertNoSecretsLeaked();
  });

  it('EnvHttpProxyAgent reads HTTPS_PROXY with credentials', async () => {
    const agent = new EnvHttpProxyAgent({ httpsProxy: proxy.url('reader', READER_SECRET), noProxy: '', requestTls: { ca: ca() } });
    try {
      const res = await request('https://api.example.test/repos/env/agent', { dispatcher: agent });
      expect(res.statusCode).toBe(200);
      await res.body.text();
    } finally {
      await agent.close();
    }
    expect(lastEvent()).toMatchObject({ tool: 'reader', request: { path: '/repos/env/agent' } });
  });
});
