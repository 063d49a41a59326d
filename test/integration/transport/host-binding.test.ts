/**
 * Defect 1 of http-mitm-proxy 1.1.0: it dialled whatever the inner Host header named, not the CONNECT
 * target, so a tool allowed to reach api.example.test could CONNECT there and talk to any other host.
 * Here the CONNECT authority is fixed for the tunnel's life and any request inside naming another
 * authority (Host header or absolute-form target) is refused as `host_mismatch`; nothing is dialled.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startBackend, type Backend } from '../../helpers/backend.js';
import { makeBackendPki } from '../../helpers/pki.js';
import { startTestProxy, type TestProxy } from '../../helpers/proxy.js';
import { AGENT_AUTH, AGENT_ENV, agentConfig, codedBody, exchange, expectNoSecretsIn, openTlsTunnel, rawConnect } from './harness.js';
import { startUnfixedLibrary, type UnfixedLibrary } from './unfixed-library.js';

let tlsBackend: Backend;
let plainBackend: Backend;
let proxy: TestProxy;
let proxyCa: string;

beforeAll(async () => {
  const pki = makeBackendPki();
  tlsBackend = await startBackend({ pki });
  plainBackend = await startBackend();
  const resolve = {
    'api.example.test:443': `127.0.0.1:${tlsBackend.port}`,
    'other.example.test:443': `127.0.0.1:${tlsBackend.port}`,
    'api.example.test:80': `127.0.0.1:${plainBackend.port}`,
    'other.example.test:80': `127.0.0.1:${plainBackend.port}`,
  };
  proxy = await startTestProxy(agentConfig({ resolve, ca: [pki.caCert] }), { env: AGENT_ENV });
  proxyCa = readFileSync(proxy.caCert, 'utf8');
});

afterAll(async () => {
  await proxy?.stop();
  await tlsBackend?.close();
  await plainBackend?.close();
});

function auditEvent(requestId: string) {
  return proxy.auditEvents().find((event) => event.event_id === requestId);
}

/** The probe shared with the control: CONNECT to one authority, then a plain request naming another. */
async function plainTunnelProbe(proxyPort: number, connectTo: string, innerHost: string, auth?: string) {
  const { socket, firstChunk } = await rawConnect(proxyPort, connectTo, auth);
  expect(firstChunk.toString('latin1')).toMatch(/^HTTP\/1\.1 200 /);
  try {
    return await exchange(socket, ['GET /repos/acme/widgets HTTP/1.1', `Host: ${innerHost}`, 'Connection: close']);
  } finally {
    socket.destroy();
  }
}

describe('1. the tunnel reaches the CONNECT target, never the inner Host', () => {
  const mismatches = [
    { name: 'Host header naming another mapped host', requestLine: 'GET /repos/acme/widgets HTTP/1.1', host: 'other.example.test' },
    { name: 'Host header naming another port', requestLine: 'GET /repos/acme/widgets HTTP/1.1', host: 'api.example.test:8443' },
    { name: 'absolute-form target naming another host', requestLine: 'GET https://other.example.test/repos/acme/widgets HTTP/1.1', host: 'api.example.test' },
  ];

  it.each(mismatches)('refuses a $name as host_mismatch, dials nothing, audits the CONNECT host', async ({ requestLine, host }) => {
    const before = tlsBackend.requests.length;
    const connectionsBefore = tlsBackend.connections;
    const tunnel = await openTlsTunnel(proxy.port, 'api.example.test:443', { ca: proxyCa, host: 'api.example.test' }, AGENT_AUTH);
    try {
      const reply = await exchange(tunnel, [requestLine, `Host: ${host}`]);
      expect(reply.status).toBe(403);
      const body = codedBody(reply.body);
      expect(body).toMatchObject({ error: 'denied', reason: 'host_mismatch' });
      expect(tlsBackend.requests.length).toBe(before);
      expect(tlsBackend.connections).toBe(connectionsBefore);
      expect(auditEvent(body.request_id)).toMatchObject({
        tool: 'agent',
        request: { host: 'api.example.test', port: 443 },
        decision: { action: 'deny', reason: 'host_mismatch' },
        destination: null,
      });
    } finally {
      tunnel.destroy();
    }
    expectNoSecretsIn(proxy);
  });

  it('forwards a request whose Host names the CONNECT target (the tunnel itself works)', async () => {
    const tunnel = await openTlsTunnel(proxy.port, 'api.example.test:443', { ca: proxyCa, host: 'api.example.test' }, AGENT_AUTH);
    try {
      const reply = await exchange(tunnel, ['GET /repos/acme/widgets HTTP/1.1', 'Host: api.example.test']);
      expect(reply.status).toBe(200);
      expect(JSON.parse(reply.body.toString())).toMatchObject({ host: 'api.example.test', url: '/repos/acme/widgets' });
    } finally {
      tunnel.destroy();
    }
  });

  it('refuses the same mismatch in a plain-HTTP tunnel', async () => {
    const before = plainBackend.requests.length;
    const reply = await plainTunnelProbe(proxy.port, 'api.example.test:80', 'other.example.test', AGENT_AUTH);
    expect(reply.status).toBe(403);
    expect(codedBody(reply.body).reason).toBe('host_mismatch');
    expect(plainBackend.requests.length).toBe(before);
  });

  describe('unfixed library (control)', () => {
    let library: UnfixedLibrary;
    let connectTarget: Backend;
    let innerTarget: Backend;

    beforeAll(async () => {
      vi.spyOn(console, 'debug').mockImplementation(() => undefined);
      vi.spyOn(console, 'error').mockImplementation(() => undefined);
      library = await startUnfixedLibrary();
      connectTarget = await startBackend();
      innerTarget = await startBackend();
    });

    afterAll(async () => {
      library?.close();
      await connectTarget?.close();
      await innerTarget?.close();
      vi.restoreAllMocks();
    });

    it('dials the inner Host header instead of the CONNECT target', async () => {
      const reply = await plainTunnelProbe(library.port, `127.0.0.1:${connectTarget.port}`, `127.0.0.1:${innerTarget.port}`);
      expect(reply.status).toBe(200);
      expect(innerTarget.requests).toHaveLength(1);
      expect(connectTarget.requests).toHaveLength(0);
    });
  });
});
