/**
 * Response scrubbing through the running proxy, with real clients (curl, Python urllib, undici): secrets a
 * backend returns never reach the tool — in a gzip'd chunked JSON body split mid-token, JSON-escaped, in
 * an SSE stream (delivered event by event), whatever the client asked for — while binary bodies pass
 * byte for byte and `scrub.responses: off` leaves a tool's traffic untouched. The audit event lists each
 * redaction (kind, rule, location, count) and holds no secret.
 */
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { ProxyAgent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { curl, pythonGet } from '../helpers/clients.js';
import { makeBackendPki } from '../helpers/pki.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';

const GITHUB_TOKEN = 'ghp_R7c2Lq9XvB4nT8mK1pZs6YwH3dF0aJ5eGu2N';
const SLACK_WEBHOOK = 'https://hooks.slack.com/services/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';
const SLACK_SECRET_PART = 'Xq7vB2nX9kL4pR8tW1zY6cHd';
const SECRETS = [GITHUB_TOKEN, SLACK_SECRET_PART];
const PNG_WITH_TOKEN = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.from(GITHUB_TOKEN), Buffer.alloc(64, 7)]);
const TOOL_SECRETS = { SCRUBBED: 'scrubbed-Secr3t-5a4b3c2d1e0f', PLAIN: 'plain-Secr3t-0f1e2d3c4b5a' };

let proxy: TestProxy;
let backend: https.Server;
let sseGate: (() => void) | null = null;

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Writes `pieces` as separate chunks (separate TLS records) with a pause between them. */
async function writeSlowly(res: import('node:http').ServerResponse, pieces: readonly Buffer[]): Promise<void> {
  for (const piece of pieces) {
    res.write(piece);
    await wait(20);
  }
  res.end();
}

function route(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): void {
  const json = Buffer.from(JSON.stringify({ login: 'octo', token: GITHUB_TOKEN, sha: 'a94a8fe5ccb19ba61c4c0873d391e987982fbbd3' }));
  switch (req.url) {
    case '/gzip-chunked': {
      const gz = gzipSync(json);
      // Split the compressed stream in three: the token's bytes are spread over several chunks.
      const cuts = [Math.floor(gz.length / 3), Math.floor((2 * gz.length) / 3)];
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', etag: '"v1"' });
      void writeSlowly(res, [gz.subarray(0, cuts[0]), gz.subarray(cuts[0], cuts[1]), gz.subarray(cuts[1])]);
      return;
    }
    case '/split-plain': {
      const at = json.indexOf('ghp_') + 17;
      res.writeHead(200, { 'content-type': 'application/json' });
      void writeSlowly(res, [json.subarray(0, at), json.subarray(at)]);
      return;
    }
    case '/escaped':
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ hook: SLACK_WEBHOOK }).replaceAll('/', '\\/'));
      return;
    case '/image':
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': PNG_WITH_TOKEN.length });
      res.end(PNG_WITH_TOKEN);
      return;
    case '/events':
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write(`event: token\ndata: {"token":"${GITHUB_TOKEN}"}\n\n`);
      // The next event only once the client has the first: proves events are not held back.
      sseGate = () => res.end('event: done\ndata: {}\n\n');
      return;
    case '/zstd':
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'zstd' });
      res.end(Buffer.from('28b52ffd', 'hex'));
      return;
    default:
      res.writeHead(200, { 'content-type': 'application/json', 'x-accept-encoding-seen': req.headers['accept-encoding'] ?? 'none' });
      res.end(json);
  }
}

beforeAll(async () => {
  const pki = makeBackendPki();
  backend = https.createServer({ key: readFileSync(pki.leafKey), cert: readFileSync(pki.leafCert) }, route);
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  const port = (backend.address() as AddressInfo).port;
  proxy = await startTestProxy(
    `
mode: enforce
upstream:
  ca: ${pki.caCert}
  resolve:
    api.example.test:443: 127.0.0.1:${port}
tools:
  scrubbed:
    secretEnv: SCRUBBED
    allow: [{ host: api.example.test }]
    scrub: { markers: plain }
  plain:
    secretEnv: PLAIN
    allow: [{ host: api.example.test }]
    scrub: { responses: "off" }
`,
    { env: TOOL_SECRETS },
  );
});

afterAll(async () => {
  await proxy?.stop();
  backend?.closeAllConnections();
  await new Promise((resolve) => backend?.close(resolve));
});

const scrubbed = () => ({ proxy: proxy.url('scrubbed', TOOL_SECRETS.SCRUBBED), cacert: proxy.caCert });

function expectNoSecretLogged(): void {
  const text = proxy.auditText() + proxy.logs.join('');
  for (const secret of SECRETS) expect(text).not.toContain(secret);
}

describe('scrub.responses: redact', () => {
  it('redacts a token in a gzip, chunked JSON response split mid-token, and sends it decoded (curl --compressed)', async () => {
    const response = await curl('https://api.example.test/gzip-chunked', { ...scrubbed(), args: ['--compressed', '-D', '-'] });
    expect(response.status).toBe(200);
    // `-D -` prints the CONNECT reply's head too: the response's own head is the last one.
    const parts = response.body.split('\r\n\r\n');
    const body = parts.pop();
    const head = parts.pop();
    expect(JSON.parse(body!)).toEqual({ login: 'octo', token: '[REDACTED:github_classic_pat]', sha: 'a94a8fe5ccb19ba61c4c0873d391e987982fbbd3' });
    expect(head).not.toMatch(/content-encoding/i);
    expect(head).toMatch(/etag: W\/"v1"/i);
    const event = proxy.auditEvents().at(-1)!;
    expect(event.scrub).toEqual({
      request_body: 'none',
      response_body: 'scanned',
      findings: [{ action: 'redacted', kind: 'github_classic_pat', rule_id: 'github-classic-pat', location: 'response.body', count: 1 }],
    });
    expectNoSecretLogged();
  });

  it.each([
    ['a token split across two TLS records', '/split-plain', GITHUB_TOKEN],
    ['a JSON-escaped webhook URL (\\/)', '/escaped', SLACK_SECRET_PART],
  ])('redacts %s (Python urllib)', async (_name, path, secret) => {
    const response = await pythonGet(`https://api.example.test${path}`, scrubbed().proxy, proxy.caCert);
    expect(response.status).toBe(200);
    expect(response.body).toContain('[REDACTED:');
    expect(response.body).not.toContain(secret);
    expect(() => JSON.parse(response.body) as unknown).not.toThrow(); // the redacted JSON is still JSON
  });

  it('delivers each SSE event as it comes, redacted (undici)', async () => {
    const agent = new ProxyAgent({ uri: scrubbed().proxy, requestTls: { ca: readFileSync(proxy.caCert) } });
    try {
      const response = await request('https://api.example.test/events', { dispatcher: agent });
      const chunks: string[] = [];
      for await (const chunk of response.body) {
        chunks.push(String(chunk));
        // The first event arrived while the backend still holds the stream open: release the next one.
        if (chunks.length === 1) sseGate?.();
      }
      expect(chunks[0]).toBe('event: token\ndata: {"token":"[REDACTED:github_classic_pat]"}\n\n');
      expect(chunks.join('')).toContain('event: done');
    } finally {
      await agent.close();
    }
    expectNoSecretLogged();
  });

  it('passes a binary body byte for byte, marked binary in the audit', async () => {
    const agent = new ProxyAgent({ uri: scrubbed().proxy, requestTls: { ca: readFileSync(proxy.caCert) } });
    try {
      const response = await request('https://api.example.test/image', { dispatcher: agent });
      expect(Buffer.from(await response.body.arrayBuffer()).equals(PNG_WITH_TOKEN)).toBe(true);
    } finally {
      await agent.close();
    }
    expect(proxy.auditEvents().at(-1)?.scrub).toMatchObject({ response_body: 'binary', findings: [] });
  });

  it('asks the upstream only for codings it can decode, and refuses one it cannot (502 response_undecodable)', async () => {
    const offered = await curl('https://api.example.test/offer', { ...scrubbed(), args: ['-D', '-', '-H', 'Accept-Encoding: zstd, br;q=0.9, gzip'] });
    expect(offered.body).toMatch(/x-accept-encoding-seen: br;q=0.9, gzip/i);
    const refused = await curl('https://api.example.test/zstd', scrubbed());
    expect(refused.status).toBe(502);
    expect(JSON.parse(refused.body)).toMatchObject({ reason: 'response_undecodable' });
  });
});

describe('scrub.responses: off', () => {
  it("leaves the tool's responses untouched", async () => {
    const response = await curl('https://api.example.test/split-plain', { proxy: proxy.url('plain', TOOL_SECRETS.PLAIN), cacert: proxy.caCert });
    expect(JSON.parse(response.body)).toMatchObject({ token: GITHUB_TOKEN });
    expect(proxy.auditEvents().at(-1)?.scrub).toMatchObject({ response_body: 'off', findings: [] });
    expectNoSecretLogged();
  });
});
