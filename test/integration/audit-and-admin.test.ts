/**
 * The observers: one audit event per request and per refused CONNECT, fail-closed when no sink can record,
 * and the admin endpoints (/metrics with bounded labels, /healthz, /readyz).
 */
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { startBackend, type Backend } from '../helpers/backend.js';
import { basicAuth, curl, rawConnect } from '../helpers/clients.js';
import { EXAMPLE_ENV, exampleConfig, READER_SECRET } from '../helpers/configs.js';
import { makeBackendPki } from '../helpers/pki.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function setup(extra = ''): Promise<{ backend: Backend; proxy: TestProxy }> {
  const pki = makeBackendPki();
  const backend = await startBackend({ pki });
  cleanups.push(() => backend.close());
  const proxy = await startTestProxy(exampleConfig(backend.port, pki.caCert, extra), { env: EXAMPLE_ENV });
  cleanups.push(() => proxy.stop());
  return { backend, proxy };
}

async function admin(proxy: TestProxy, path: string): Promise<{ status: number; body: string }> {
  const res = await request(`http://127.0.0.1:${proxy.adminPort}${path}`);
  return { status: res.statusCode, body: await res.body.text() };
}

describe('audit events', () => {
  it('are exactly one per request and one per refused CONNECT', async () => {
    const { proxy } = await setup();
    const ok = { proxy: proxy.url('reader', READER_SECRET), cacert: proxy.caCert };
    await curl('https://api.example.test/repos/a/b', ok);
    await curl('https://api.example.test/nope', ok);
    await curl('https://api.example.test/repos/a/b', { ...ok, proxy: proxy.url('reader', 'wrong-password-xyz') });
    await curl('https://api.example.test/repos/a/b', { ...ok, proxy: proxy.url() });
    const events = proxy.auditEvents();
    expect(events.map((e) => [e.kind, e.decision.action, e.decision.reason])).toEqual([
      ['request', 'allow', 'rule_matched'],
      ['request', 'deny', 'path_not_allowed'],
      ['connect', 'deny', 'proxy_auth_invalid'],
      ['connect', 'deny', 'proxy_auth_missing'],
    ]);
    expect(new Set(events.map((e) => e.event_id)).size).toBe(4);
  });

  it('carry the upstream credential as a keyed fingerprint and hint, never the value', async () => {
    const { proxy, backend } = await setup();
    const token = 'ghp_0123456789abcdefghijABCDEFGHIJ0123wxyz';
    await curl('https://api.example.test/repos/a/b?access_token=query-secret-value&page=2', {
      proxy: proxy.url('reader', READER_SECRET),
      cacert: proxy.caCert,
      args: ['-H', `Authorization: Bearer ${token}`, '-H', 'Cookie: session=cookie-secret-value'],
    });
    expect(backend.requests.at(-1)?.headers.authorization).toBe(`Bearer ${token}`); // forwarded untouched
    const event = proxy.auditEvents().at(-1)!;
    const keyed = expect.stringMatching(/^hmac-sha256:[0-9a-f]{64}$/);
    expect(event.credentials).toEqual([
      { source: 'authorization', scheme: 'bearer', fingerprint: keyed, hint: 'ghp_…wxyz', kind: 'generic_bearer' },
      { source: 'query', scheme: null, fingerprint: keyed, hint: null, kind: 'generic_bearer' }, // ?access_token=
    ]);
    expect(event.request.query).toBe('access_token=[REDACTED]&page=2');
    const text = proxy.auditText() + proxy.logs.join('');
    for (const secret of [token, 'query-secret-value', 'cookie-secret-value', READER_SECRET]) expect(text).not.toContain(secret);
  });

  it('are scrubbed by the secret scanner whatever field carries a secret (here the path)', async () => {
    // Exfiltration guard off: a token in a path is otherwise refused before it leaves (exfiltration.test.ts).
    const { proxy, backend } = await setup('scrub:\n  requests: "off"\n');
    const token = 'ghp_R7q2VxK9mB4tY8wZ1cN6pL3sD5fH0jA2kE9u';
    const reply = await curl(`https://api.example.test/repos/a/${token}`, { proxy: proxy.url('reader', READER_SECRET), cacert: proxy.caCert });
    expect(reply.status).toBe(200);
    expect(backend.requests.at(-1)?.url).toBe(`/repos/a/${token}`); // traffic is untouched: this scrubbing is for records
    const event = proxy.auditEvents().at(-1)!;
    expect(event.request.path).toBe('/repos/a/[REDACTED:github_classic_pat]');
    expect(proxy.auditText()).not.toContain(token);
  });
});

describe('fail closed', () => {
  it('refuses new requests with 503 when no audit sink can record', async () => {
    // /dev/full accepts the open and fails every write with ENOSPC: the sink breaks on first use.
    const { proxy, backend } = await setup('audit:\n  sinks:\n    - type: file\n      path: /dev/full\n');
    const ok = { proxy: proxy.url('reader', READER_SECRET), cacert: proxy.caCert };
    await curl('https://api.example.test/repos/a/b', ok);
    proxy.running.flushAudit();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const before = backend.requests.length;
    const refused = await rawConnect(proxy.port, 'api.example.test:443', basicAuth('reader', READER_SECRET));
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.body)).toMatchObject({ error: 'unavailable', reason: 'audit_unavailable' });
    expect(backend.requests.length).toBe(before);
    const ready = await admin(proxy, '/readyz');
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.body)).toMatchObject({ reasons: ['audit_unavailable'] });
  });
});

describe('admin server', () => {
  it('serves health, readiness and Prometheus metrics with bounded labels and no secrets', async () => {
    const { proxy } = await setup();
    expect((await admin(proxy, '/healthz')).status).toBe(200);
    expect((await admin(proxy, '/readyz')).status).toBe(200);
    const before = (await admin(proxy, '/metrics')).body;
    // Every series exists at zero before any traffic, so dashboards are never blank.
    expect(before).toContain('mcp_egress_requests_total{tool="reader",host="api.example.test",method="GET",decision="deny",status_class="4xx"} 0');
    await curl('https://api.example.test/repos/a/b', { proxy: proxy.url('reader', READER_SECRET), cacert: proxy.caCert });
    await curl('https://api.example.test/nope', { proxy: proxy.url('reader', READER_SECRET), cacert: proxy.caCert });
    // A host no rule names is never a label value: it is counted as "other" (refused at its CONNECT).
    await curl('https://other.example.test/x', { proxy: proxy.url('reader', READER_SECRET), cacert: proxy.caCert });
    const metrics = await admin(proxy, '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain('mcp_egress_requests_total{tool="reader",host="api.example.test",method="GET",decision="allow",status_class="2xx"} 1');
    expect(metrics.body).toContain('mcp_egress_requests_total{tool="reader",host="api.example.test",method="GET",decision="deny",status_class="4xx"} 1');
    expect(metrics.body).toContain('mcp_egress_requests_total{tool="reader",host="other",method="CONNECT",decision="deny",status_class="none"} 1');
    expect(metrics.body).toMatch(/mcp_egress_request_duration_seconds_count\{tool="reader",decision="allow"\} 1/);
    expect(metrics.body).toContain('mcp_egress_build_info{version=');
    expect(metrics.body).not.toContain(READER_SECRET);
    expect(metrics.body).not.toContain('/nope');
    expect(metrics.body).not.toContain('other.example.test');
  });
});
