/**
 * The metrics, dashboard and alerts against a real Prometheus (Debian `prometheus`, private config and data
 * dir, loopback, 1 s scrapes of the proxy's admin port). A traffic run exercises every kind of event: allow,
 * deny, report (would_deny), a response redaction, an exfiltration block, a shared token (one bearer token
 * sent by two tools) and audit spooling (a RELP sink whose receiver is a closed port). Then, through the
 * Prometheus HTTP API: every panel query and alert expression parses, every panel query returns data, and
 * the rules load. `promtool check metrics` passes on the scrape, and no secret of the run appears in it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { panelQueries } from '../../grafana/dashboard.js';
import { startBackend, type Backend } from '../helpers/backend.js';
import { curl } from '../helpers/clients.js';
import { makeBackendPki } from '../helpers/pki.js';
import { freePort } from '../helpers/ports.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { promtoolCheckMetrics, waitFor } from '../helpers/prometheus.js';

const RULES = fileURLToPath(new URL('../../grafana/alerts/mcp-egress.rules.yml', import.meta.url));
const DASHBOARD = JSON.parse(readFileSync(fileURLToPath(new URL('../../grafana/dashboards/mcp-egress.json', import.meta.url)), 'utf8')) as Parameters<typeof panelQueries>[0];
const TOOL_SECRETS = { READER: 'reader-Secr3t-7f6e5d4c3b2a', WRITER: 'writer-Secr3t-1a2b3c4d5e6f', WATCHER: 'watcher-Secr3t-9e8d7c6b5a4f', REDACTOR: 'redactor-Secr3t-0a9b8c7d6e5f' };
const AWS_KEY = 'AKIAZ7QX3MPL4RT2VW6Y';
const SHARED_TOKEN = 'ghp_R7c2Lq9XvB4nT8mK1pZs6YwH3dF0aJ5eGu2N';
const ECHOED_TOKEN = 'ghp_0123456789abcdefghijABCDEFGHIJ0123wxyz';
const PATH_TOKEN = 'ghp_R7q2VxK9mB4tY8wZ1cN6pL3sD5fH0jA2kE9u';
const SECRETS = [...Object.values(TOOL_SECRETS), AWS_KEY, SHARED_TOKEN, ECHOED_TOKEN, PATH_TOKEN];
// Grafana's own variables, as the dashboard would expand them for "All" over the last few minutes.
const GRAFANA_VARIABLES: readonly [RegExp, string][] = [
  [/\$tool\b/g, '.*'],
  [/\$host\b/g, '.*'],
  [/\$__rate_interval\b/g, '15s'],
  [/\$__range\b/g, '5m'],
];

let backend: Backend;
let proxy: TestProxy | undefined;
let spoolSinkProblem: string | null = null;
let prometheus: ChildProcess | undefined;
let promUrl = '';
let promDir = '';

function config(port: number, caCert: string, auditSinks: string): string {
  const tool = (name: string, actor: string, extra = '') =>
    `  ${name}:\n    secretEnv: ${name.toUpperCase()}\n    actor: { principal: ${name}, type: ${actor} }\n${extra}    allow:\n      - host: api.example.test\n`;
  return `mode: enforce
upstream:
  ca: ${caCert}
  resolve:
    api.example.test:443: 127.0.0.1:${port}
    other.example.test:443: 127.0.0.1:${port}
tools:
${tool('reader', 'human')}${tool('writer', 'automation')}${tool('watcher', 'automation', '    mode: report\n')}${tool('redactor', 'automation', '    scrub: { requests: redact }\n')}audit:
  sinks:
${auditSinks}`;
}

async function startProxy(pki: ReturnType<typeof makeBackendPki>): Promise<TestProxy> {
  const file = '    - type: file\n      path: "{{dir}}/audit.jsonl"\n';
  const relp = `    - type: syslog\n      transport: relp\n      address: "127.0.0.1:${await freePort()}"\n      format: native\n`;
  try {
    return await startTestProxy(config(backend.port, pki.caCert, file + relp), { env: TOOL_SECRETS });
  } catch (error) {
    // The RELP sink is being built elsewhere: without it the rest of the proof still runs.
    spoolSinkProblem = error instanceof Error ? error.message : String(error);
    return startTestProxy(config(backend.port, pki.caCert, file), { env: TOOL_SECRETS });
  }
}

async function startPrometheus(adminPort: number): Promise<void> {
  promDir = mkdtempSync(join(tmpdir(), 'egress-prometheus-'));
  const port = await freePort();
  promUrl = `http://127.0.0.1:${port}`;
  writeFileSync(
    join(promDir, 'prometheus.yml'),
    `global: { scrape_interval: 1s, evaluation_interval: 1s }\nrule_files: ['${RULES}']\nscrape_configs:\n  - job_name: mcp-egress\n    static_configs: [{ targets: ['127.0.0.1:${adminPort}'] }]\n`,
  );
  prometheus = spawn('prometheus', [
    `--config.file=${join(promDir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(promDir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn',
  ], { stdio: 'ignore' });
  await waitFor('Prometheus ready', 30_000, async () => (await request(`${promUrl}/-/ready`).then((r) => (r.body.dump(), r.statusCode)).catch(() => 0)) === 200);
}

async function query(expr: string): Promise<{ status: string; error?: string; data?: { result: unknown[] } }> {
  const res = await request(`${promUrl}/api/v1/query?${new URLSearchParams({ query: expr })}`);
  return (await res.body.json()) as { status: string; error?: string; data?: { result: unknown[] } };
}

async function scalar(expr: string): Promise<number> {
  const result = (await query(expr)).data?.result as { value: [number, string] }[] | undefined;
  return Number(result?.[0]?.value[1] ?? Number.NaN);
}

async function trafficRun(target: TestProxy): Promise<number> {
  const via = (tool: keyof typeof TOOL_SECRETS) => ({ proxy: target.url(tool.toLowerCase(), TOOL_SECRETS[tool]), cacert: target.caCert });
  const bearer = (token: string) => ['-H', `Authorization: Bearer ${token}`];
  const statuses = [
    (await curl('https://api.example.test/repos/a/b', via('READER'))).status, // allow
    // deny (no_rule_for_host): refused at CONNECT, so curl reports no HTTP status (000).
    (await curl('https://other.example.test/repos/a/b', via('READER'))).status,
    (await curl('https://other.example.test/x', via('WATCHER'))).status, // report mode: would_deny
    // The backend echoes the URL: the credential sent in ?access_token= comes back and is scrubbed.
    (await curl(`https://api.example.test/echo?access_token=${ECHOED_TOKEN}`, via('READER'))).status,
    // A secret in a body the tool may not send there: 403 exfiltration.
    (await curl('https://api.example.test/notes', { ...via('WRITER'), args: ['-X', 'POST', '--data-binary', '@-'], input: JSON.stringify({ key: AWS_KEY }) })).status,
    // One bearer token from two tools: a shared token.
    (await curl('https://api.example.test/user', { ...via('READER'), args: bearer(SHARED_TOKEN) })).status,
    (await curl('https://api.example.test/user', { ...via('WRITER'), args: bearer(SHARED_TOKEN) })).status,
    // scrub.requests: redact: the secrets in path and header leave as markers; the audit line scrubber
    // also meets the path's token (a log redaction).
    (await curl(`https://api.example.test/v1/${PATH_TOKEN}`, { ...via('REDACTOR'), args: ['-H', `X-Note: ${AWS_KEY}`] })).status,
  ];
  expect(statuses).toEqual([200, 0, 200, 200, 403, 200, 200, 200]);
  return statuses.length;
}

beforeAll(async () => {
  const pki = makeBackendPki();
  backend = await startBackend({ pki });
  proxy = await startProxy(pki);
  await startPrometheus(proxy.adminPort);
  // The zero series are scraped before any traffic, so increase() sees every first event.
  await waitFor('first scrape', 30_000, async () => (await scalar('count(up{job="mcp-egress"} == 1)')) === 1);
  await waitFor('zero series scraped', 15_000, async () => (await scalar('count(mcp_egress_requests_total)')) > 0);
  const requests = await trafficRun(proxy);
  await waitFor('traffic scraped', 30_000, async () => (await scalar('sum(mcp_egress_requests_total)')) >= requests);
  // A few more scrapes: every rate() window then holds samples after the last change.
  await new Promise((resolve) => setTimeout(resolve, 4000));
}, 120_000);

afterAll(async () => {
  if (prometheus && prometheus.exitCode === null) {
    const exited = new Promise((resolve) => prometheus!.once('exit', resolve));
    prometheus.kill('SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
  }
  await proxy?.stop();
  await backend?.close();
  if (promDir !== '') rmSync(promDir, { recursive: true, force: true });
});

const expand = (expr: string): string => GRAFANA_VARIABLES.reduce((text, [pattern, value]) => text.replace(pattern, value), expr);
const PANEL_QUERIES = panelQueries(DASHBOARD).map(({ panel, expr }) => [panel, expr] as const);
const ALERTS = (parse(readFileSync(RULES, 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] }).groups.flatMap((g) => g.rules.map((r) => [r.alert, r.expr] as const));

describe('a real Prometheus scraping the proxy', () => {
  it.each(PANEL_QUERIES)('panel "%s": its query parses and returns data', async (_panel, expr) => {
    const answer = await query(expand(expr));
    expect(answer.error).toBeUndefined();
    expect(answer.status).toBe('success');
    expect(answer.data?.result.length).toBeGreaterThan(0);
  });

  it.each(ALERTS)('alert %s: its expression parses', async (_alert, expr) => {
    const answer = await query(expr);
    expect(answer.error).toBeUndefined();
    expect(answer.status).toBe('success');
  });

  it('loaded every alert rule, each healthy', async () => {
    const res = await request(`${promUrl}/api/v1/rules`);
    const body = (await res.body.json()) as { data: { groups: { rules: { name: string; health: string }[] }[] } };
    const rules = body.data.groups.flatMap((group) => group.rules);
    expect(rules.map((rule) => rule.name).sort()).toEqual(ALERTS.map(([alert]) => alert).sort());
    expect(rules.filter((rule) => rule.health !== 'ok')).toEqual([]);
  });

  it.each([
    ['allow', 'sum(mcp_egress_requests_total{decision="allow"})'],
    ['deny', 'sum(mcp_egress_denials_total{decision="deny",reason="no_rule_for_host"})'],
    ['report (would_deny)', 'sum(mcp_egress_denials_total{decision="would_deny"})'],
    ['a response redaction', 'sum(mcp_egress_redactions_total{location="response"})'],
    ['an exfiltration block', 'sum(mcp_egress_exfiltration_blocks_total{tool="writer",action="blocked"})'],
    ['credentials by actor type', 'sum(mcp_egress_credentials_seen_total{actor_type="automation"})'],
    ['a request redaction', 'sum(mcp_egress_redactions_total{location="request"})'],
  ])('counted %s', async (_what, expr) => {
    expect(await scalar(expr)).toBeGreaterThan(0);
  });

  // Wired by src/main.ts (line scrubber → recordLogRedaction).
  it('counted a secret scrubbed from an audit line', async () => {
    expect(await scalar('sum(mcp_egress_redactions_total{location="log"})')).toBeGreaterThan(0);
  });

  // Wired by src/main.ts (token inventory → recordTokenSignal).
  it('counted the shared token', async () => {
    expect(await scalar('sum(mcp_egress_token_signals_total{signal="shared_token"})')).toBeGreaterThan(0);
  });

  // Needs the syslog (RELP) sink and src/main.ts wiring (audit log → recordAuditWrite, watchAuditSinks).
  it('shows the RELP sink spooling while its receiver is away', async () => {
    expect(spoolSinkProblem).toBeNull();
    expect(await scalar('sum(mcp_egress_audit_spooled_events{sink="syslog"})')).toBeGreaterThan(0);
    expect(await scalar('sum(mcp_egress_audit_sink_connected{sink="syslog"})')).toBe(0);
    expect(await scalar('sum(mcp_egress_audit_writes_total{sink="syslog",result="accepted"})')).toBeGreaterThan(0);
  });

  it('our /metrics passes promtool check metrics and holds no secret of the run', async () => {
    const res = await request(`http://127.0.0.1:${proxy!.adminPort}/metrics`);
    const text = await res.body.text();
    expect(await promtoolCheckMetrics(text)).toEqual({ code: 0, output: '' });
    for (const secret of SECRETS) expect(text).not.toContain(secret);
    for (const secret of SECRETS) expect(JSON.stringify(await query(`{__name__=~"mcp_egress_.+"}`))).not.toContain(secret);
  });
});
