/**
 * A fake api.github.com on loopback (HTTPS with the test PKI): it records every request and answers the
 * read endpoints the GitHub MCP server's tools call with plausible JSON; anything else is a 404 like
 * GitHub's. Only the proxy can reach it by name (`upstream.resolve`), so every recorded request came
 * through the proxy.
 */
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { BackendPki } from './pki.js';

export interface GitHubRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface FakeGitHub {
  readonly port: number;
  readonly requests: GitHubRequest[];
  close(): Promise<void>;
}

const ISSUE = {
  id: 1001,
  number: 7,
  title: 'Proxy all the things',
  state: 'open',
  body: 'Route MCP servers through mcp-egress.',
  user: { login: 'octocat', id: 1 },
  labels: [],
  comments: 0,
  created_at: '2025-04-01T10:00:00Z',
  updated_at: '2025-04-02T10:00:00Z',
  html_url: 'https://github.com/octo/hello/issues/7',
};

function answer(method: string, url: URL): { status: number; body: unknown } {
  if (method === 'GET' && /^\/repos\/[^/]+\/[^/]+\/issues$/.test(url.pathname)) return { status: 200, body: [ISSUE] };
  if (method === 'GET' && url.pathname === '/search/repositories') return { status: 200, body: { total_count: 0, incomplete_results: false, items: [] } };
  return { status: 404, body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' } };
}

export async function startFakeGitHub(pki: BackendPki): Promise<FakeGitHub> {
  const requests: GitHubRequest[] = [];
  const sockets = new Set<Socket>();
  const server = https.createServer({ key: readFileSync(pki.leafKey), cert: readFileSync(pki.leafCert) }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const { status, body } = answer(req.method ?? 'GET', new URL(req.url ?? '/', 'https://api.github.com'));
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-github-media-type': 'github.v3' });
      res.end(JSON.stringify(body));
    });
  });
  server.on('secureConnection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
