/**
 * wrap's preflight against fake proxies on loopback: what it sends (one CONNECT with the tool's Basic
 * credential and the launch header, to an authority the tool may reach) and what it tells the user for
 * each answer — accepted (200, 403), credentials refused (407), refusing (503), nothing listening,
 * no answer — never quoting the secret.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FALLBACK_PROBE, preflight, probeAuthority } from '../../../src/cli/preflight.js';
import type { ToolConfig } from '../../../src/config/types.js';
import { freePort } from '../../helpers/ports.js';

const SECRET = 'preflight-Secret-0a1b2c3d4e5f';
const TOOL = { name: 'github', secret: SECRET };
const LAUNCH = { 'Proxy-Mcp-Egress-Launch': 'context=interactive;user=alice' };

interface FakeProxy {
  readonly port: number;
  readonly requests: string[];
}

const opened: { server: Server; sockets: Set<Socket> }[] = [];
afterEach(async () => {
  for (const { sockets } of opened) sockets.forEach((socket) => socket.destroy());
  await Promise.all(opened.splice(0).map(({ server }) => new Promise((resolve) => server.close(resolve))));
});

/** Answers each CONNECT with `reply` (raw bytes), or never answers when reply is null. */
async function fakeProxy(reply: string | null): Promise<FakeProxy> {
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    let text = '';
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (!text.includes('\r\n\r\n')) return;
      requests.push(text);
      if (reply !== null) socket.end(reply);
    });
  });
  opened.push({ server, sockets });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, requests };
}

const refusal = (status: number, text: string, reason: string): string => {
  const body = JSON.stringify({ error: 'x', reason, request_id: 'r-1' });
  return `HTTP/1.1 ${status} ${text}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`;
};

describe('preflight: answers', () => {
  it.each([
    { name: '200 (tunnel opened)', reply: 'HTTP/1.1 200 Connection Established\r\n\r\n', ok: true, message: undefined },
    { name: '403 (probe authority denied: credential accepted)', reply: refusal(403, 'Forbidden', 'no_rule_for_host'), ok: true, message: undefined },
    { name: '407', reply: refusal(407, 'Proxy Authentication Required', 'proxy_auth_invalid'), ok: false, message: /^proxy credentials for tool "github" were not accepted by mcp-egress at 127\.0\.0\.1:\d+/ },
    { name: '503', reply: refusal(503, 'Service Unavailable', 'audit_unavailable'), ok: false, message: /^mcp-egress at 127\.0\.0\.1:\d+ is not accepting requests \(audit_unavailable\)$/ },
    { name: 'something else', reply: 'HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n', ok: false, message: /answered the preflight CONNECT with 400; is that port an mcp-egress proxy\?$/ },
    { name: 'not HTTP at all', reply: 'SSH-2.0-OpenSSH_9.6\r\n\r\n', ok: false, message: /answered the preflight CONNECT with 0/ },
  ])('$name', async ({ reply, ok, message }) => {
    const proxy = await fakeProxy(reply);
    const result = await preflight({ proxy: { host: '127.0.0.1', port: proxy.port }, tool: TOOL, authority: 'api.github.com:443', headers: LAUNCH });
    expect(result.ok).toBe(ok);
    if (!result.ok) {
      expect(result.message).toMatch(message!);
      expect(result.message).not.toContain(SECRET);
    }
  });

  it('sends one CONNECT with the Basic credential and the launch header', async () => {
    const proxy = await fakeProxy('HTTP/1.1 200 Connection Established\r\n\r\n');
    await preflight({ proxy: { host: '0.0.0.0', port: proxy.port }, tool: TOOL, authority: 'api.github.com:443', headers: LAUNCH });
    expect(proxy.requests).toEqual([
      'CONNECT api.github.com:443 HTTP/1.1\r\nHost: api.github.com:443\r\n' +
        `Proxy-Authorization: Basic ${Buffer.from(`github:${SECRET}`).toString('base64')}\r\n` +
        'Proxy-Mcp-Egress-Launch: context=interactive;user=alice\r\n\r\n',
    ]);
  });

  it('anonymous (no tools configured): no credential is sent', async () => {
    const proxy = await fakeProxy('HTTP/1.1 200 Connection Established\r\n\r\n');
    expect(await preflight({ proxy: { host: '127.0.0.1', port: proxy.port }, tool: null, authority: FALLBACK_PROBE, headers: {} })).toEqual({ ok: true });
    expect(proxy.requests[0]).not.toMatch(/proxy-authorization/i);
  });

  it('nothing listening: "not running at"', async () => {
    const port = await freePort();
    const result = await preflight({ proxy: { host: '127.0.0.1', port }, tool: TOOL, authority: 'api.github.com:443', headers: {} });
    expect(result).toEqual({ ok: false, message: `mcp-egress is not running at 127.0.0.1:${port} (connection refused); start it with \`mcp-egress start -c <config>\`` });
  });

  it('no answer: bounded by the timeout', async () => {
    const proxy = await fakeProxy(null);
    const started = Date.now();
    const result = await preflight({ proxy: { host: '127.0.0.1', port: proxy.port }, tool: TOOL, authority: 'api.github.com:443', headers: {}, timeoutMs: 300 });
    expect(result).toEqual({ ok: false, message: `mcp-egress at 127.0.0.1:${proxy.port} did not answer within 300 ms` });
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});

describe('probeAuthority', () => {
  const tool = (allow: ToolConfig['allow']): ToolConfig => ({ allow } as unknown as ToolConfig);
  it.each([
    { name: 'no tool', tool: undefined, expected: FALLBACK_PROBE },
    { name: 'only wildcard hosts', tool: tool([{ host: '*.github.com' }]), expected: FALLBACK_PROBE },
    { name: 'first exact host, default port', tool: tool([{ host: '*.x.test' }, { host: 'api.github.com' }, { host: 'b.test' }]), expected: 'api.github.com:443' },
    { name: 'with its port', tool: tool([{ host: 'git.internal.test', port: 8443 }]), expected: 'git.internal.test:8443' },
    { name: 'IPv6 literal', tool: tool([{ host: '2001:db8::1' }]), expected: '[2001:db8::1]:443' },
  ])('$name', ({ tool: t, expected }) => {
    expect(probeAuthority(t)).toBe(expected);
  });
});
