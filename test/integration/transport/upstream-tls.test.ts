/**
 * Defect 9 of http-mitm-proxy 1.1.0 deployments: upstream TLS verification could be switched off, and
 * was, to make private backends work. Here verification is always on: an upstream whose CA is not in
 * upstream.ca (nor the system roots) gets no request and the client a coded 502; adding the CA is the
 * only way in, and the config has no key that disables verification.
 */
import { readFileSync } from 'node:fs';
import { ProxyAgent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../../src/config/errors.js';
import { parseConfigText } from '../../../src/config/load.js';
import { startBackend, type Backend } from '../../helpers/backend.js';
import { makeBackendPki, type BackendPki } from '../../helpers/pki.js';
import { startTestProxy, type TestProxy } from '../../helpers/proxy.js';
import { AGENT_ENV, AGENT_SECRET, agentConfig, auditEventWithId, codedBody, expectNoSecretsIn } from './harness.js';

let trustedPki: BackendPki;
let privatePki: BackendPki;
let backend: Backend;

beforeAll(async () => {
  trustedPki = makeBackendPki();
  privatePki = makeBackendPki(['private.example.test']);
  backend = await startBackend({ pki: privatePki });
});

afterAll(async () => {
  await backend?.close();
});

/** A proxy trusting `ca` for upstreams, with private.example.test mapped to the backend. */
async function withProxy<T>(ca: readonly string[], body: (proxy: TestProxy, agent: ProxyAgent) => Promise<T>): Promise<T> {
  const proxy = await startTestProxy(agentConfig({ ca, resolve: { 'private.example.test:443': `127.0.0.1:${backend.port}` } }), { env: AGENT_ENV });
  const agent = new ProxyAgent({ uri: proxy.url('agent', AGENT_SECRET), requestTls: { ca: readFileSync(proxy.caCert, 'utf8') } });
  try {
    return await body(proxy, agent);
  } finally {
    await agent.close();
    await proxy.stop();
  }
}

describe('9. upstream certificates are always verified', () => {
  it('refuses an upstream whose CA is not trusted with 502 upstream_tls_failed; the backend gets no request', async () => {
    const before = backend.requests.length;
    await withProxy([trustedPki.caCert], async (proxy, agent) => {
      const res = await request('https://private.example.test/data', { dispatcher: agent });
      expect(res.statusCode).toBe(502);
      const body = codedBody(await res.body.text());
      expect(body).toMatchObject({ error: 'upstream_error', reason: 'upstream_tls_failed' });
      expect(await auditEventWithId(proxy, body.request_id)).toMatchObject({ request: { host: 'private.example.test' }, error: { reason: 'upstream_tls_failed' } });
      expectNoSecretsIn(proxy);
    });
    expect(backend.requests.length).toBe(before);
  });

  it('keeps verifying when NODE_TLS_REJECT_UNAUTHORIZED=0 is set in the environment', async () => {
    const before = backend.requests.length;
    const previous = process.env['NODE_TLS_REJECT_UNAUTHORIZED'];
    process.env['NODE_TLS_REJECT_UNAUTHORIZED'] = '0';
    // Node warns once that the variable makes TLS insecure; the warning is expected here, not news.
    const warning = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      await withProxy([trustedPki.caCert], async (_proxy, agent) => {
        const res = await request('https://private.example.test/data', { dispatcher: agent });
        expect(res.statusCode).toBe(502);
        expect(codedBody(await res.body.text()).reason).toBe('upstream_tls_failed');
      });
    } finally {
      warning.mockRestore();
      if (previous === undefined) delete process.env['NODE_TLS_REJECT_UNAUTHORIZED'];
      else process.env['NODE_TLS_REJECT_UNAUTHORIZED'] = previous;
    }
    expect(backend.requests.length).toBe(before);
  });

  it('forwards to the same upstream once its CA is listed in upstream.ca', async () => {
    const before = backend.requests.length;
    await withProxy([trustedPki.caCert, privatePki.caCert], async (_proxy, agent) => {
      const res = await request('https://private.example.test/data', { dispatcher: agent });
      expect(res.statusCode).toBe(200);
      expect(await res.body.json()).toMatchObject({ host: 'private.example.test', url: '/data' });
    });
    expect(backend.requests.length).toBe(before + 1);
  });

  it.each([
    ['rejectUnauthorized: false'],
    ['insecure: true'],
    ['insecureSkipVerify: true'],
    ['verify: false'],
    ['tls: { rejectUnauthorized: false }'],
  ])('has no config key to disable verification: upstream.%s is rejected as unknown', (line) => {
    const text = `mode: report\nupstream:\n  ${line}\n`;
    let thrown: unknown;
    try {
      parseConfigText(text, { baseDir: '/', env: {}, source: null });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    const issues = (thrown as ConfigError).issues;
    expect(issues.some((issue) => issue.path.startsWith('upstream') && issue.message.includes('unknown key'))).toBe(true);
  });
});
