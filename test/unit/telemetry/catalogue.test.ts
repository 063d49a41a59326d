/**
 * The catalogue beyond scrub counters: bounded labels (hosts as the policy names them, else `other`;
 * methods, status classes, reason codes and kinds from fixed sets), series seeded at zero from start and
 * on setPolicy, and the methods the composition root calls (token signals, audit writes and spool
 * gauges, log redactions, certificate minting, reloads, connections).
 */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { buildAuditEvent } from '../../../src/audit/event.js';
import { buildOutcome } from '../../../src/pipeline/run.js';
import { createHostLabeler } from '../../../src/telemetry/labels.js';
import { createMetrics } from '../../../src/telemetry/metrics.js';
import { allowDecision, httpsTarget, requestContext, toolIdentity } from '../../helpers/context-factory.js';

function setup(hosts: readonly string[] = ['api.example.test', '*.example.org']) {
  const registry = new Registry();
  const metrics = createMetrics({ registry, version: '0.0.0-test', tools: ['reader'], hosts, mode: 'enforce', configHash: 'abc123', collectProcessMetrics: false });
  const value = async (name: string, labels: Record<string, string>): Promise<number | undefined> => {
    const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
    return metric?.values.find((v) => Object.entries(labels).every(([k, l]) => String(v.labels[k]) === l))?.value;
  };
  return { registry, metrics, value };
}

describe('host labels', () => {
  const labeler = createHostLabeler(['API.Example.test', '*.example.org', '*.deep.example.org', 'bad host']);
  it.each([
    ['api.example.test', 'api.example.test'],
    ['x.example.org', '*.example.org'],
    ['a.deep.example.org', '*.deep.example.org'],
    ['example.org', 'other'],
    ['evil.test', 'other'],
    [null, '(none)'],
  ])('%s → %s', (host, label) => {
    expect(labeler.label(host)).toBe(label);
  });
});

describe('seeded at zero from start', () => {
  it.each([
    ['mcp_egress_requests_total', { tool: 'reader', host: 'api.example.test', decision: 'allow', status_class: '2xx' }],
    ['mcp_egress_requests_total', { tool: 'reader', host: 'other', decision: 'deny', status_class: '4xx' }],
    ['mcp_egress_denials_total', { tool: 'reader', decision: 'deny', reason: 'exfiltration' }],
    ['mcp_egress_denials_total', { tool: '(none)', decision: 'deny', reason: 'proxy_auth_missing' }],
    ['mcp_egress_upstream_errors_total', { tool: 'reader', reason: 'upstream_timeout' }],
    ['mcp_egress_exfiltration_blocks_total', { tool: 'reader', action: 'would_block' }],
    ['mcp_egress_actor_requests_total', { tool: 'reader', actor_type: 'human' }],
    ['mcp_egress_token_signals_total', { signal: 'shared_token' }],
    ['mcp_egress_audit_lost_events_total', { kind: 'alert' }],
    ['mcp_egress_policy_reloads_total', { result: 'failure' }],
    ['mcp_egress_open_connections', {}],
    ['mcp_egress_policy_info', { mode: 'enforce', config_hash: 'abc123' }],
  ])('%s %j', async (name, labels) => {
    const { value } = setup();
    expect(await value(name, labels)).toBe(name === 'mcp_egress_policy_info' ? 1 : 0);
  });

  it('setPolicy seeds the new names and replaces policy_info', async () => {
    const { metrics, value } = setup();
    metrics.setPolicy({ tools: ['reader', 'writer'], hosts: ['new.example.test'], mode: 'report', configHash: 'def456' });
    expect(await value('mcp_egress_requests_total', { tool: 'writer', host: 'new.example.test', decision: 'would_deny' })).toBe(0);
    expect(await value('mcp_egress_policy_info', { config_hash: 'abc123' })).toBeUndefined();
    expect(await value('mcp_egress_policy_info', { mode: 'report', config_hash: 'def456' })).toBe(1);
    expect(await value('mcp_egress_policy_tools', {})).toBe(2);
  });
});

describe('recordEvent', () => {
  it('labels a request by tool, policy host, method, decision and status class, and times it', async () => {
    const { metrics, value } = setup();
    const ctx = requestContext();
    ctx.identity = toolIdentity('reader');
    ctx.target = httpsTarget();
    ctx.decision = allowDecision();
    ctx.response = { status: 201, bytes: 10 };
    const event = buildAuditEvent(buildOutcome(ctx));
    metrics.recordEvent(event);
    const host = createHostLabeler(['api.example.test', '*.example.org']).label(event.request.host);
    expect(await value('mcp_egress_requests_total', { tool: 'reader', host, method: event.request.method, decision: 'allow', status_class: '2xx' })).toBe(1);
    expect(await value('mcp_egress_actor_requests_total', { tool: 'reader', actor_type: event.actor.type })).toBe(1);
  });
});

describe('the composition root\'s methods', () => {
  it('count token signals, log redactions, audit writes and losses, mints, reloads and connections', async () => {
    const { metrics, value } = setup();
    metrics.recordTokenSignal('shared_token');
    metrics.recordLogRedaction('github_classic_pat');
    metrics.recordLogRedaction('Not A Kind!');
    metrics.recordAuditWrite('syslog', true);
    metrics.recordAuditWrite('syslog', false);
    metrics.recordAuditLost('request');
    metrics.recordCertMint(0.02);
    metrics.recordReload('success');
    metrics.connectionChanged(1);
    expect(await value('mcp_egress_token_signals_total', { signal: 'shared_token' })).toBe(1);
    expect(await value('mcp_egress_redactions_total', { kind: 'github_classic_pat', location: 'log' })).toBe(1);
    expect(await value('mcp_egress_redactions_total', { kind: 'other', location: 'log' })).toBe(1);
    expect(await value('mcp_egress_audit_writes_total', { sink: 'syslog', result: 'failed' })).toBe(1);
    expect(await value('mcp_egress_audit_lost_events_total', { kind: 'request' })).toBe(1);
    expect(await value('mcp_egress_cert_mint_duration_seconds', { le: '0.025' })).toBe(1);
    expect(await value('mcp_egress_policy_reloads_total', { result: 'success' })).toBe(1);
    expect(await value('mcp_egress_open_connections', {})).toBe(1);
  });

  it('read spool depth and connectivity per sink type at scrape time', async () => {
    const { metrics, value, registry } = setup();
    let spooled = 0;
    metrics.watchAuditSinks(() => [
      { type: 'file', status: { spooledEvents: 0, spooledBytes: 0, connected: true } },
      { type: 'syslog', status: { spooledEvents: spooled, spooledBytes: spooled * 100, connected: spooled === 0 } },
    ]);
    expect(await value('mcp_egress_audit_writes_total', { sink: 'syslog', result: 'accepted' })).toBe(0);
    spooled = 7;
    await registry.metrics();
    expect(await value('mcp_egress_audit_spooled_events', { sink: 'syslog' })).toBe(7);
    expect(await value('mcp_egress_audit_spooled_bytes', { sink: 'syslog' })).toBe(700);
    expect(await value('mcp_egress_audit_sink_connected', { sink: 'syslog' })).toBe(0);
    expect(await value('mcp_egress_audit_sink_connected', { sink: 'file' })).toBe(1);
  });
});
