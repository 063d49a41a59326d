/**
 * A client that stops reading pauses the upstream (backpressure), so the upstream socket goes quiet: when
 * the response timeout then fires, the audit must blame the client (`client_aborted`), not the upstream.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackend, type Backend } from '../../helpers/backend.js';
import { startTestProxy, type TestProxy } from '../../helpers/proxy.js';
import { AGENT_AUTH, AGENT_ENV, agentConfig, auditEventsWhere, expectNoSecretsIn } from './harness.js';

let backend: Backend;
let proxy: TestProxy;

beforeAll(async () => {
  backend = await startBackend();
  proxy = await startTestProxy(
    agentConfig({ resolve: { 'plain.example.test:80': `127.0.0.1:${backend.port}` }, upstreamLines: ['  responseTimeoutMs: 400'] }),
    { env: AGENT_ENV },
  );
});
afterAll(async () => {
  await proxy?.stop();
  await backend?.close();
});

describe('a client that stops reading', () => {
  it('is cut after the response timeout and audited as client_aborted, not upstream_timeout', async () => {
    const socket = net.connect({ host: '127.0.0.1', port: proxy.port });
    socket.on('error', () => socket.destroy());
    socket.pause(); // never reads: the proxy's writes back up, and it stops reading the upstream
    socket.write(`GET http://plain.example.test/stream?mb=64 HTTP/1.1\r\nHost: plain.example.test\r\nProxy-Authorization: ${AGENT_AUTH}\r\n\r\n`);
    try {
      const [event] = await auditEventsWhere(proxy, (e) => e.request.path === '/stream');
      expect(event).toMatchObject({ result: 'failed', error: { reason: 'client_aborted', detail: expect.stringContaining('client stopped reading') } });
      expect(event!.response.bytes).toBeLessThan(64 * 1024 * 1024);
    } finally {
      socket.destroy();
    }
    expectNoSecretsIn(proxy);
  });
});
