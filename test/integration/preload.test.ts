/**
 * The wrap preload (bin/preload.cjs) in real Node processes: `node --require preload.cjs -e …` with the
 * environment wrap gives a server, a recording proxy and real backends on loopback. Global fetch (Node's
 * bundled undici reading the npm undici's global dispatcher) and http/https.get must both go through
 * the proxy with the credential and the launch header, NO_PROXY must send them direct (with neither),
 * and nothing may reach stdout but what the script itself prints.
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackend, type Backend } from '../helpers/backend.js';
import { cleanEnv } from '../helpers/clients.js';
import { makeBackendPki, type BackendPki } from '../helpers/pki.js';
import { startRecordingProxy, type RecordingProxy } from '../helpers/recording-proxy.js';

const PRELOAD = fileURLToPath(new URL('../../bin/preload.cjs', import.meta.url));
const PROXY_PASSWORD = 'preload-Pr0xy-Secret-4d5e6f';
const LAUNCH = 'context=interactive;user=alice';

interface Preload {
  parseNoProxy(value: string | undefined): unknown;
  shouldProxy(noProxy: unknown, host: string, port: number): boolean;
  proxyUrlFor(env: Record<string, string>, secure: boolean): string | null;
  launchHeaders(env: Record<string, string>): Record<string, string>;
}
const preload = createRequire(import.meta.url)(PRELOAD) as Preload;

// Each client prints one JSON line: what answered (status and body) or the error code.
const CLIENTS = {
  fetch: `fetch(process.argv[1]).then(async (r) => console.log(JSON.stringify({ status: r.status, body: await r.text() })), (e) => console.log(JSON.stringify({ error: String(e.cause?.code ?? e.message) })))`,
  // A server that brings its own undici (v7 here, resolved from the working directory) uses the same global dispatcher.
  undici: `require('undici').request(process.argv[1]).then(async (r) => console.log(JSON.stringify({ status: r.statusCode, body: await r.body.text() })), (e) => console.log(JSON.stringify({ error: String(e.code ?? e.message) })))`,
  composed: `const { getGlobalDispatcher, request } = require('undici');
const dispatcher = getGlobalDispatcher().compose((dispatch) => (opts, handler) => dispatch(opts, handler));
request(process.argv[1], { dispatcher }).then(async (r) => console.log(JSON.stringify({ status: r.statusCode, body: await r.body.text() })), (e) => console.log(JSON.stringify({ error: String(e.code ?? e.message) })))`,
  get: `const m = process.argv[1].startsWith('https:') ? require('node:https') : require('node:http');
m.get(process.argv[1], (r) => { let b = ''; r.on('data', (c) => (b += c)); r.on('end', () => console.log(JSON.stringify({ status: r.statusCode, body: b }))); })
 .on('error', (e) => console.log(JSON.stringify({ error: String(e.code ?? e.message) })));`,
} as const;

interface ChildResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function runNode(script: string, url: string, env: Record<string, string>): Promise<ChildResult> {
  return new Promise((resolve) => {
    const args = ['--require', PRELOAD, '-e', script, url];
    execFile(process.execPath, args, { env: cleanEnv(env), timeout: 15_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

let pki: BackendPki;
let tlsBackend: Backend;
let plainBackend: Backend;
let tlsProxy: RecordingProxy;
let plainProxy: RecordingProxy;

beforeAll(async () => {
  pki = makeBackendPki();
  tlsBackend = await startBackend({ pki });
  plainBackend = await startBackend();
  tlsProxy = await startRecordingProxy({ tunnelTo: tlsBackend.port });
  plainProxy = await startRecordingProxy({ tunnelTo: plainBackend.port });
});
afterAll(async () => {
  await Promise.all([tlsProxy?.close(), plainProxy?.close(), tlsBackend?.close(), plainBackend?.close()]);
});

function wrapEnv(proxyPort: number, extra: Record<string, string> = {}): Record<string, string> {
  const url = `http://github:${encodeURIComponent(PROXY_PASSWORD)}@127.0.0.1:${proxyPort}`;
  return { HTTPS_PROXY: url, HTTP_PROXY: url, NO_PROXY: 'localhost,127.0.0.1,::1', NODE_EXTRA_CA_CERTS: pki.caCert, MCP_EGRESS_LAUNCH: LAUNCH, ...extra };
}

const basic = `Basic ${Buffer.from(`github:${PROXY_PASSWORD}`).toString('base64')}`;

describe('preload: requests go through the proxy', () => {
  it.each([
    { client: 'fetch' as const, scheme: 'https' },
    { client: 'get' as const, scheme: 'https' },
    { client: 'fetch' as const, scheme: 'http' },
    { client: 'undici' as const, scheme: 'https' },
    { client: 'composed' as const, scheme: 'https' },
  ])('$client $scheme:// is tunnelled with the credential and the launch header', async ({ client, scheme }) => {
    const proxy = scheme === 'https' ? tlsProxy : plainProxy;
    const backend = scheme === 'https' ? tlsBackend : plainBackend;
    const before = { proxy: proxy.seen.length, backend: backend.requests.length };
    const result = await runNode(CLIENTS[client], `${scheme}://api.example.test:${backend.port}/v1/items`, wrapEnv(proxy.port));
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 200 });
    const seen = proxy.seen.slice(before.proxy);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ kind: 'connect', target: `api.example.test:${backend.port}` });
    expect(seen[0]!.headers['proxy-authorization']).toBe(basic);
    expect(seen[0]!.headers['proxy-mcp-egress-launch']).toBe(LAUNCH);
    const reached = backend.requests.slice(before.backend);
    expect(reached.map((r) => r.url)).toEqual(['/v1/items']);
    expect(reached[0]!.headers['proxy-authorization']).toBeUndefined();
  });

  it('http.get http:// is sent in absolute form with the credential and the launch header', async () => {
    const before = plainProxy.seen.length;
    const result = await runNode(CLIENTS.get, 'http://api.example.test/v1/plain', wrapEnv(plainProxy.port));
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 200 });
    const seen = plainProxy.seen.slice(before);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ kind: 'absolute', target: 'http://api.example.test/v1/plain' });
    expect(seen[0]!.headers['proxy-authorization']).toBe(basic);
    expect(seen[0]!.headers['proxy-mcp-egress-launch']).toBe(LAUNCH);
  });

  it('without MCP_EGRESS_LAUNCH no launch header is sent', async () => {
    const before = tlsProxy.seen.length;
    const env = wrapEnv(tlsProxy.port);
    delete env.MCP_EGRESS_LAUNCH;
    await runNode(CLIENTS.fetch, `https://api.example.test:${tlsBackend.port}/`, env);
    expect(tlsProxy.seen.slice(before).map((s) => s.headers['proxy-mcp-egress-launch'])).toEqual([undefined]);
  });
});

describe('preload: NO_PROXY and no proxy at all', () => {
  it.each([
    { client: 'fetch' as const, env: {} },
    { client: 'get' as const, env: {} },
    { client: 'fetch' as const, env: { NO_PROXY: 'localhost,127.0.0.1:1,*.example.test' }, host: 'api.example.test' },
    { client: 'get' as const, env: { NO_PROXY: '.example.test' }, host: 'api.example.test' },
  ])('$client with NO_PROXY $env.NO_PROXY goes direct, without credential or launch header', async ({ client, env, host }) => {
    const before = { proxy: tlsProxy.seen.length, backend: tlsBackend.requests.length };
    // A name in NO_PROXY is dialled by the client itself. api.example.test does not resolve here, so
    // for those cases the proof is: the proxy saw nothing and the client's own DNS lookup failed.
    const target = host ? `https://${host}:${tlsBackend.port}/direct` : `https://127.0.0.1:${tlsBackend.port}/direct`;
    const result = await runNode(CLIENTS[client], target, wrapEnv(tlsProxy.port, env));
    expect(tlsProxy.seen.slice(before.proxy)).toEqual([]);
    if (host) {
      expect((JSON.parse(result.stdout) as { error?: string }).error).toMatch(/ENOTFOUND|EAI_AGAIN/);
      return;
    }
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 200 });
    const reached = tlsBackend.requests.slice(before.backend);
    expect(reached).toHaveLength(1);
    expect(reached[0]!.headers['proxy-authorization']).toBeUndefined();
    expect(reached[0]!.headers['proxy-mcp-egress-launch']).toBeUndefined();
  });

  it('no HTTPS_PROXY/HTTP_PROXY: the preload changes nothing', async () => {
    const before = tlsBackend.requests.length;
    const result = await runNode(CLIENTS.fetch, `https://127.0.0.1:${tlsBackend.port}/plain-node`, { NODE_EXTRA_CA_CERTS: pki.caCert });
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 200 });
    expect(tlsBackend.requests.length).toBe(before + 1);
  });

  it.each([
    { name: 'an unparseable proxy URL', env: { HTTPS_PROXY: 'http://[not-a-url', HTTP_PROXY: 'http://[not-a-url' } },
    { name: 'a launch value with control characters', env: { MCP_EGRESS_LAUNCH: 'context=ci\r\nX-Evil: 1' } },
  ])('$name: the server still runs and stdout carries only its own output', async ({ env }) => {
    const result = await runNode(`console.log('ready')`, '', { ...wrapEnv(tlsProxy.port), ...env });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('ready\n');
  });
});

describe('preload: pure parts', () => {
  it.each([
    { noProxy: '', host: 'api.github.com', port: 443, proxied: true },
    { noProxy: '*', host: 'api.github.com', port: 443, proxied: false },
    { noProxy: 'localhost,127.0.0.1,::1,registry.npmjs.org', host: 'registry.npmjs.org', port: 443, proxied: false },
    { noProxy: 'registry.npmjs.org', host: 'evil-registry.npmjs.org.example', port: 443, proxied: true },
    { noProxy: 'npmjs.org', host: 'registry.npmjs.org', port: 443, proxied: false },
    { noProxy: 'npmjs.org', host: 'notnpmjs.org', port: 443, proxied: true },
    { noProxy: '.example.test', host: 'api.example.test', port: 443, proxied: false },
    { noProxy: '*.example.test', host: 'API.Example.Test.', port: 443, proxied: false },
    { noProxy: 'example.test:8443', host: 'example.test', port: 443, proxied: true },
    { noProxy: 'example.test:8443', host: 'example.test', port: 8443, proxied: false },
    { noProxy: '::1', host: '[::1]', port: 443, proxied: false },
    { noProxy: '[::1]:443', host: '::1', port: 443, proxied: false },
    { noProxy: 'localhost 127.0.0.1', host: '127.0.0.1', port: 80, proxied: false },
  ])('NO_PROXY=$noProxy: $host:$port proxied=$proxied', ({ noProxy, host, port, proxied }) => {
    expect(preload.shouldProxy(preload.parseNoProxy(noProxy), host, port)).toBe(proxied);
  });

  it.each([
    { env: { HTTPS_PROXY: 'http://a', HTTP_PROXY: 'http://b' }, https: 'http://a', http: 'http://b' },
    { env: { https_proxy: 'http://lower', HTTPS_PROXY: 'http://upper' }, https: 'http://lower', http: null },
    { env: { HTTP_PROXY: 'http://b' }, https: 'http://b', http: 'http://b' },
    { env: {}, https: null, http: null },
  ])('proxy for $env', ({ env, https, http }) => {
    expect(preload.proxyUrlFor(env, true)).toBe(https);
    expect(preload.proxyUrlFor(env, false)).toBe(http);
  });

  it.each([
    { value: LAUNCH, headers: { 'proxy-mcp-egress-launch': LAUNCH } },
    { value: 'context=ci\nx', headers: {} },
    { value: 'context=interactive;user=jürgen', headers: {} },
    { value: 'x'.repeat(257), headers: {} },
  ])('launch header for $value', ({ value, headers }) => {
    expect(preload.launchHeaders({ MCP_EGRESS_LAUNCH: value })).toEqual(headers);
  });
});
