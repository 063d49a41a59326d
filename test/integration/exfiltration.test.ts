/**
 * The exfiltration guard through the running proxy, with real clients (curl, undici): a secret in a
 * request's body, query or headers that the tool may not send to that destination is blocked (403
 * `exfiltration`), redacted, or only recorded (report mode), per the tool's `scrub.requests`; the tool's
 * own credential in its auth header is not exfiltration. Every audit line is checked for the secret.
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { ProxyAgent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackend, type Backend } from '../helpers/backend.js';
import { curl } from '../helpers/clients.js';
import { makeBackendPki } from '../helpers/pki.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';

const AWS_KEY = 'AKIAZ7QX3MPL4RT2VW6Y';
const GITHUB_TOKEN = 'ghp_R7c2Lq9XvB4nT8mK1pZs6YwH3dF0aJ5eGu2N';
const SLACK_WEBHOOK = 'https://hooks.slack.com/services/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';
const SECRETS = [AWS_KEY, GITHUB_TOKEN, SLACK_WEBHOOK];
const TOOL_SECRETS = { BLOCKER: 'blocker-Secr3t-5a4b3c2d1e0f', REDACTOR: 'redactor-Secr3t-0f1e2d3c4b5a', WATCHER: 'watcher-Secr3t-9a8b7c6d5e4f' };

let backend: Backend;
let proxy: TestProxy;

beforeAll(async () => {
  const pki = makeBackendPki();
  backend = await startBackend({ pki });
  proxy = await startTestProxy(
    `
mode: enforce
upstream:
  ca: ${pki.caCert}
  resolve:
    api.example.test:443: 127.0.0.1:${backend.port}
    other.example.test:443: 127.0.0.1:${backend.port}
tools:
  blocker:
    secretEnv: BLOCKER
    allow:
      - host: api.example.test
      - host: other.example.test
        secrets: [aws_*]
    scrub: { maxRequestBodyBytes: 4096 }
  redactor:
    secretEnv: REDACTOR
    allow: [{ host: api.example.test }]
    scrub: { requests: redact, markers: plain }
  watcher:
    secretEnv: WATCHER
    mode: report
    allow: [{ host: api.example.test }]
`,
    { env: TOOL_SECRETS },
  );
});

afterAll(async () => {
  await proxy?.stop();
  await backend?.close();
});

function through(tool: keyof typeof TOOL_SECRETS) {
  return { proxy: proxy.url(tool.toLowerCase(), TOOL_SECRETS[tool]), cacert: proxy.caCert };
}

async function post(tool: keyof typeof TOOL_SECRETS, url: string, body: string | Buffer, headers: readonly string[] = []) {
  const args = ['-X', 'POST', '--data-binary', '@-', ...headers.flatMap((header) => ['-H', header])];
  return curlWithInput(url, tool, args, body);
}

async function curlWithInput(url: string, tool: keyof typeof TOOL_SECRETS, args: string[], body: string | Buffer) {
  // curl reads the body from stdin (`@-`), so no secret is on a command line another process could read.
  return curl(url, { ...through(tool), args, input: body });
}

function lastEvent() {
  return proxy.auditEvents().at(-1)!;
}

function expectNoSecretLogged(): void {
  const text = proxy.auditText() + proxy.logs.join('');
  for (const secret of SECRETS) expect(text).not.toContain(secret);
}

describe('requests: block (enforce)', () => {
  it.each([
    ['an AWS key in a JSON body', '/v1/notes', JSON.stringify({ note: `key ${AWS_KEY}` }), [], 'aws_access_key_id', 'request.body'],
    ['a GitHub token in a form field', '/v1/paste', `title=x&text=${GITHUB_TOKEN}`, ['Content-Type: application/x-www-form-urlencoded'], 'github_classic_pat', 'request.body'],
    ['a Slack webhook JSON-escaped in a body', '/v1/notes', JSON.stringify({ url: SLACK_WEBHOOK }).replaceAll('/', '\\/'), [], 'slack_webhook_url', 'request.body'],
    ['a GitHub token in a custom header', '/v1/notes', '{}', [`X-Note: ${GITHUB_TOKEN}`], 'github_classic_pat', 'request.header.x-note'],
  ])('refuses %s with 403 exfiltration and sends nothing upstream', async (_name, path, body, headers, kind, location) => {
    const before = backend.requests.length;
    const response = await post('BLOCKER', `https://api.example.test${path}`, body, headers);
    expect(response.status).toBe(403);
    expect(JSON.parse(response.body)).toMatchObject({ error: 'denied', reason: 'exfiltration' });
    expect(backend.requests.length).toBe(before);
    const event = lastEvent();
    expect(event.decision).toMatchObject({ action: 'deny', reason: 'exfiltration' });
    expect(event.scrub?.findings).toEqual([expect.objectContaining({ action: 'blocked', kind, location, count: 1 })]);
    expectNoSecretLogged();
  });

  it('refuses a token in a query parameter that is not a credential parameter', async () => {
    const response = await curl(`https://api.example.test/v1/paste?title=x&text=${GITHUB_TOKEN}`, through('BLOCKER'));
    expect(response.status).toBe(403);
    expect(lastEvent().scrub?.findings).toEqual([expect.objectContaining({ kind: 'github_classic_pat', location: 'request.query.text' })]);
    expectNoSecretLogged();
  });

  it('sees through a gzip request body', async () => {
    const body = gzipSync(Buffer.from(JSON.stringify({ note: AWS_KEY })));
    const response = await post('BLOCKER', 'https://api.example.test/v1/notes', body, ['Content-Encoding: gzip', 'Content-Type: application/json']);
    expect(response.status).toBe(403);
    expect(lastEvent().scrub).toMatchObject({ request_body: 'scanned', findings: [expect.objectContaining({ kind: 'aws_access_key_id' })] });
  });

  it('refuses a body larger than it may hold for the scan (413), and one it cannot decode (415)', async () => {
    const big = await post('BLOCKER', 'https://api.example.test/v1/notes', 'x'.repeat(10_000));
    expect([big.status, JSON.parse(big.body).reason]).toEqual([413, 'request_body_too_large']);
    const zstd = await post('BLOCKER', 'https://api.example.test/v1/notes', 'not really zstd', ['Content-Encoding: zstd']);
    expect([zstd.status, JSON.parse(zstd.body).reason]).toEqual([415, 'request_undecodable']);
  });
});

describe('what is not exfiltration', () => {
  it("lets the tool's own credential go to its allowed host in the auth header, untouched", async () => {
    const response = await curl('https://api.example.test/v1/user', { ...through('BLOCKER'), args: ['-H', `Authorization: Bearer ${GITHUB_TOKEN}`] });
    expect(response.status).toBe(200);
    expect(backend.requests.at(-1)?.headers.authorization).toBe(`Bearer ${GITHUB_TOKEN}`);
    expect(lastEvent().scrub?.findings).toEqual([]);
    expectNoSecretLogged();
  });

  it('lets a credential go in a credential-named query parameter (?access_token=)', async () => {
    const response = await curl(`https://api.example.test/v1/user?access_token=${GITHUB_TOKEN}`, through('BLOCKER'));
    expect(response.status).toBe(200);
    expectNoSecretLogged();
  });

  it('lets a kind the allow rule lists under `secrets` go to that destination only', async () => {
    const body = JSON.stringify({ accessKeyId: AWS_KEY });
    expect((await post('BLOCKER', 'https://other.example.test/sts', body)).status).toBe(200);
    expect(backend.requests.at(-1)?.body).toBe(body);
    expect((await post('BLOCKER', 'https://api.example.test/sts', body)).status).toBe(403);
  });

  it('passes a clean body byte for byte, with its own framing', async () => {
    const body = JSON.stringify({ sha: 'a94a8fe5ccb19ba61c4c0873d391e987982fbbd3', id: '123e4567-e89b-12d3-a456-426614174000' });
    const response = await post('BLOCKER', 'https://api.example.test/v1/notes', body, ['Content-Type: application/json']);
    expect(response.status).toBe(200);
    expect(backend.requests.at(-1)?.body).toBe(body);
    expect(lastEvent().scrub).toEqual({ request_body: 'scanned', response_body: expect.any(String), findings: [] });
  });
});

describe('requests: redact', () => {
  it('replaces the secret in body, query and header and sends the rest (undici client)', async () => {
    const agent = new ProxyAgent({ uri: proxy.url('redactor', TOOL_SECRETS.REDACTOR), requestTls: { ca: readFileSync(proxy.caCert) } });
    try {
      const response = await request(`https://api.example.test/v1/notes?text=${GITHUB_TOKEN}&page=2`, {
        method: 'POST',
        dispatcher: agent,
        headers: { 'content-type': 'application/json', 'x-note': `aws ${AWS_KEY}` },
        body: JSON.stringify({ note: `hook ${SLACK_WEBHOOK} end` }),
      });
      await response.body.text();
      expect(response.statusCode).toBe(200);
    } finally {
      await agent.close();
    }
    const seen = backend.requests.at(-1)!;
    expect(seen.url).toBe('/v1/notes?text=[REDACTED:github_classic_pat]&page=2');
    expect(seen.headers['x-note']).toBe('aws [REDACTED:aws_access_key_id]');
    // The webhook rule redacts its secret part; the public host and path stay readable.
    expect(JSON.parse(seen.body)).toEqual({ note: 'hook https://hooks.slack.com/services/[REDACTED:slack_webhook_url] end' });
    expect(Number(seen.headers['content-length'])).toBe(Buffer.byteLength(seen.body));
    expect(lastEvent().scrub?.findings.map((f) => [f.action, f.location]).sort()).toEqual([
      ['redacted', 'request.body'],
      ['redacted', 'request.header.x-note'],
      ['redacted', 'request.query.text'],
    ]);
    expectNoSecretLogged();
  });
});

describe('report mode', () => {
  it('records would_block and forwards the request unchanged', async () => {
    const body = JSON.stringify({ note: AWS_KEY });
    const response = await post('WATCHER', 'https://api.example.test/v1/notes', body);
    expect(response.status).toBe(200);
    expect(backend.requests.at(-1)?.body).toBe(body);
    // (The backend echoes the body back: that copy is redacted on its way to the tool, a separate finding.)
    const requestSide = lastEvent().scrub?.findings.filter((f) => f.location.startsWith('request.'));
    expect(requestSide).toEqual([expect.objectContaining({ action: 'would_block', kind: 'aws_access_key_id', location: 'request.body' })]);
    expectNoSecretLogged();
  });
});
