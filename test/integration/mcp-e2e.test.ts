/**
 * End to end, as an MCP host runs it: the MCP SDK client starts
 * `mcp-egress wrap --tool github -c <cfg> -- node <@modelcontextprotocol/server-github>` over stdio (the
 * host's minimal environment plus the GitHub token), against a running proxy and a fake api.github.com.
 * The server knows nothing about the proxy; the preload routes its calls. A read tool is allowed (the
 * token reaches GitHub), a write tool is denied by policy (nothing reaches GitHub, the tool call fails),
 * the audit records tool, actor with launch evidence, the token's fingerprint and each decision, and
 * neither the token nor the proxy credential appears in the proxy's logs, audit or metrics.
 */
import { createRequire } from 'node:module';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/audit/event.js';
import { launchContext } from '../../src/cli/wrap-env.js';
import { assertBuilt, BIN } from '../helpers/cli.js';
import { startFakeGitHub, type FakeGitHub } from '../helpers/fake-github.js';
import { makeBackendPki } from '../helpers/pki.js';
import { freePort } from '../helpers/ports.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';

const GITHUB_TOKEN = 'ghp_E2eFakeToken0123456789abcdefghijABCD';
const PROXY_SECRET = 'e2e-github-Pr0xy-Secret-7f6e5d4c';
const SERVER_GITHUB = createRequire(import.meta.url).resolve('@modelcontextprotocol/server-github/dist/index.js');
const CALL_TIMEOUT = { timeout: 15_000 };

let github: FakeGitHub;
let proxy: TestProxy;
let client: Client;
let transport: StdioClientTransport;
let stderr = '';

function configYaml(dir: string, listen: number, admin: number, backendPort: number, backendCa: string): string {
  return `listen: 127.0.0.1:${listen}
admin: 127.0.0.1:${admin}
dataDir: ${join(dir, 'state')}
mode: enforce
upstream:
  ca: ${backendCa}
  resolve:
    api.github.com:443: 127.0.0.1:${backendPort}
tools:
  github:
    secretFile: ./github.secret
    actor: { principal: alice@example.com, type: human }
    allow:
      - host: api.github.com
        methods: [GET]
        paths: ["/repos/*/*/issues", "/repos/*/*/issues/*", "/search/repositories"]
audit:
  sinks:
    - type: file
      path: ${join(dir, 'audit.jsonl')}
`;
}

beforeAll(async () => {
  assertBuilt();
  const pki = makeBackendPki(['api.github.com', 'localhost']);
  github = await startFakeGitHub(pki);
  const dir = mkdtempSync(join(tmpdir(), 'egress-mcp-e2e-'));
  writeFileSync(join(dir, 'github.secret'), `${PROXY_SECRET}\n`, { mode: 0o600 });
  const yaml = configYaml(dir, await freePort(), await freePort(), github.port, pki.caCert);
  // One file for both: the proxy in this process and wrap in the server's must agree on port and secret.
  writeFileSync(join(dir, 'config.yaml'), yaml);
  proxy = await startTestProxy(yaml, { dir });
  transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, 'wrap', '--tool', 'github', '-c', join(dir, 'config.yaml'), '--', process.execPath, SERVER_GITHUB],
    // What a host adds to its minimal default environment: the server's own token, nothing about proxies.
    env: { GITHUB_PERSONAL_ACCESS_TOKEN: GITHUB_TOKEN },
    stderr: 'pipe',
  });
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  client = new Client({ name: 'mcp-egress-e2e', version: '1.0.0' });
  await client.connect(transport, CALL_TIMEOUT);
});

afterAll(async () => {
  await client?.close(); // closes stdin and ends the wrap process and its server
  await proxy?.stop();
  await github?.close();
});

function githubEvents(): AuditEvent[] {
  return proxy.auditEvents().filter((event) => event.tool === 'github' && event.kind === 'request');
}

async function callTool(name: string, args: Record<string, unknown>): Promise<{ isError: boolean; text: string }> {
  try {
    const result = await client.callTool({ name, arguments: args }, undefined, CALL_TIMEOUT);
    const content = (result.content ?? []) as { type: string; text?: string }[];
    return { isError: result.isError === true, text: content.map((part) => part.text ?? '').join('\n') };
  } catch (error: unknown) {
    // server-github 2025.4.8 throws from its handler: the SDK turns that into a JSON-RPC error.
    return { isError: true, text: error instanceof Error ? error.message : String(error) };
  }
}

describe('an MCP host runs the GitHub server through mcp-egress wrap', () => {
  it('lists the tools', async () => {
    const { tools } = await client.listTools(undefined, CALL_TIMEOUT);
    expect(tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(['list_issues', 'create_issue', 'search_repositories']));
  });

  it('a read tool is allowed: GitHub receives the token, never a proxy header', async () => {
    const result = await callTool('list_issues', { owner: 'octo', repo: 'hello' });
    expect(result.isError).toBe(false);
    expect(JSON.parse(result.text)).toEqual([expect.objectContaining({ number: 7, title: 'Proxy all the things' })]);
    const search = await callTool('search_repositories', { query: 'mcp egress' });
    expect(JSON.parse(search.text)).toMatchObject({ total_count: 0, items: [] });
    expect(github.requests.map((r) => `${r.method} ${r.url.split('?')[0]}`)).toEqual(['GET /repos/octo/hello/issues', 'GET /search/repositories']);
    for (const request of github.requests) {
      expect(request.headers.authorization).toBe(`Bearer ${GITHUB_TOKEN}`);
      expect(Object.keys(request.headers).filter((name) => name.startsWith('proxy-'))).toEqual([]);
    }
  });

  it('a write tool is denied by policy: the tool call fails and GitHub receives nothing', async () => {
    const before = github.requests.length;
    const result = await callTool('create_issue', { owner: 'octo', repo: 'hello', title: 'exfiltrate', body: 'nope' });
    expect(result.isError).toBe(true);
    expect(result.text).toMatch(/Insufficient permissions|403|forbidden/i);
    expect(github.requests.length).toBe(before);
  });

  it('the audit records tool, actor with launch evidence, the token fingerprint and each decision', () => {
    const events = githubEvents();
    const read = events.find((e) => e.request.method === 'GET' && e.request.path === '/repos/octo/hello/issues');
    const write = events.find((e) => e.request.method === 'POST');
    const launch = launchContext(process.env, userInfo().username);
    const actor = { principal: 'alice@example.com', type: 'human', source: 'config', launch: { context: launch.context, user: launch.user, ci: launch.ci } };
    expect(read).toMatchObject({ actor, decision: { action: 'allow' }, result: 'forwarded', response: { status: 200 } });
    expect(read!.credentials).toEqual([expect.objectContaining({ source: 'authorization', scheme: 'bearer', fingerprint: expect.stringMatching(/^hmac-sha256:[0-9a-f]+$/) })]);
    expect(write).toMatchObject({ actor, request: { host: 'api.github.com', path: '/repos/octo/hello/issues' }, decision: { action: 'deny' }, result: 'refused' });
    expect(events.every((e) => e.actor.launch !== undefined)).toBe(true);
  });

  it('neither the token nor the proxy credential appears in logs, audit, metrics or stderr', async () => {
    const metrics = await (await fetch(`http://127.0.0.1:${proxy.adminPort}/metrics`)).text();
    expect(metrics).toContain('mcp_egress_requests_total');
    const basic = Buffer.from(`github:${PROXY_SECRET}`).toString('base64');
    for (const [where, text] of Object.entries({ logs: proxy.logs.join('\n'), audit: proxy.auditText(), metrics, stderr })) {
      for (const secret of [GITHUB_TOKEN, GITHUB_TOKEN.slice(4, -4), PROXY_SECRET, basic]) {
        expect(text.includes(secret), `${where} contains a secret`).toBe(false);
      }
    }
  });
});
