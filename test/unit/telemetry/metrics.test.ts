/**
 * The metric catalogue fed by audit events, on a private registry: the scrub counters
 * `mcp_egress_scrub_findings_total{tool,direction,action,kind}` (adding each finding's count; direction from
 * its location) and `mcp_egress_scrub_bodies_total{direction,handling}`. No label ever carries a
 * location, a parameter or header name, a rule id or a secret: those stay in the audit.
 */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { buildAuditEvent, type AuditEvent } from '../../../src/audit/event.js';
import type { ScrubRecord } from '../../../src/pipeline/context.js';
import { buildOutcome } from '../../../src/pipeline/run.js';
import { createMetrics } from '../../../src/telemetry/metrics.js';
import { allowDecision, httpsTarget, requestContext, toolIdentity } from '../../helpers/context-factory.js';

const FINDINGS = 'mcp_egress_scrub_findings_total';
const BODIES = 'mcp_egress_scrub_bodies_total';
const SECRET = 'ghp_R7c2Lq9XvB4nT8mK1pZs6YwH3dF0aJ5eGu2N';

type Labels = Record<string, string | number>;

function setup() {
  const registry = new Registry();
  const metrics = createMetrics({ registry, version: '0.0.0-test', tools: ['reader', 'writer'], collectProcessMetrics: false });
  const series = async (name: string): Promise<{ labels: Labels; value: number }[]> => {
    const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
    return (metric?.values ?? []).map(({ labels, value }) => ({ labels: { ...labels } as Labels, value }));
  };
  return { registry, metrics, series };
}

/** An audit event built the real way, from a context whose scrub record is `scrub` (none when undefined). */
function eventWith(scrub: ScrubRecord | undefined, tool: string | null = 'reader'): AuditEvent {
  const ctx = requestContext();
  if (tool !== null) ctx.identity = toolIdentity(tool);
  ctx.target = httpsTarget();
  ctx.decision = allowDecision();
  ctx.response = { status: 200, bytes: 10 };
  if (scrub !== undefined) ctx.scrub = scrub;
  return buildAuditEvent(buildOutcome(ctx));
}

function scrub(findings: readonly [action: ScrubRecord['findings'][number]['action'], kind: string, location: string, count: number][], bodies: Partial<Pick<ScrubRecord, 'requestBody' | 'responseBody'>> = {}): ScrubRecord {
  return {
    requestBody: bodies.requestBody ?? 'none',
    responseBody: bodies.responseBody ?? 'none',
    findings: findings.map(([action, kind, location, count]) => ({ action, kind, ruleId: `${kind.replaceAll('_', '-')}-rule`, location, count })),
  };
}

describe(FINDINGS, () => {
  it('adds each finding\'s count under tool, direction, action and kind', async () => {
    const { metrics, series } = setup();
    metrics.recordEvent(
      eventWith(
        scrub([
          ['redacted', 'github_classic_pat', 'request.header.x-note', 3],
          ['blocked', 'aws_access_key_id', 'request.query.text', 1],
          ['redacted', 'github_classic_pat', 'response.body', 500],
        ]),
      ),
    );
    expect(await series(FINDINGS)).toEqual([
      { labels: { tool: 'reader', direction: 'request', action: 'redacted', kind: 'github_classic_pat' }, value: 3 },
      { labels: { tool: 'reader', direction: 'request', action: 'blocked', kind: 'aws_access_key_id' }, value: 1 },
      { labels: { tool: 'reader', direction: 'response', action: 'redacted', kind: 'github_classic_pat' }, value: 500 },
    ]);
  });

  it('sums findings from different locations and events into one series', async () => {
    const { metrics, series } = setup();
    metrics.recordEvent(eventWith(scrub([['redacted', 'slack_webhook_url', 'request.body', 2], ['redacted', 'slack_webhook_url', 'request.header.x-hook', 1]])));
    metrics.recordEvent(eventWith(scrub([['redacted', 'slack_webhook_url', 'request.query.cb', 4]])));
    expect(await series(FINDINGS)).toEqual([{ labels: { tool: 'reader', direction: 'request', action: 'redacted', kind: 'slack_webhook_url' }, value: 7 }]);
  });

  it.each([
    ['request.header.x-note', 'request'],
    ['request.header', 'request'],
    ['request.path', 'request'],
    ['request.query.text', 'request'],
    ['request.query', 'request'],
    ['request.body', 'request'],
    ['request.websocket', 'request'],
    ['response.body', 'response'],
    ['response.websocket', 'response'],
  ])('a finding at %s counts as %s', async (location, direction) => {
    const { metrics, series } = setup();
    metrics.recordEvent(eventWith(scrub([['would_block', 'aws_access_key_id', location, 1]])));
    expect((await series(FINDINGS)).map((s) => s.labels.direction)).toEqual([direction]);
  });

  it.each([
    ['a configured tool', 'writer', 'writer'],
    ['a tool outside the configured list', 'intruder', '(none)'],
    ['no tool', null, '(none)'],
  ])('%s: tool label %s', async (_what, tool, label) => {
    const { metrics, series } = setup();
    metrics.recordEvent(eventWith(scrub([['redacted', 'github_classic_pat', 'request.body', 1]]), tool));
    expect((await series(FINDINGS)).map((s) => s.labels.tool)).toEqual([label]);
  });

  it('counts nothing for an event without scrubbing', async () => {
    const { metrics, series } = setup();
    metrics.recordEvent(eventWith(undefined));
    expect(eventWith(undefined).scrub).toBeNull();
    expect(await series(FINDINGS)).toEqual([]);
    expect(await series(BODIES)).toEqual([]);
  });
});

describe(BODIES, () => {
  it.each([
    ['scanned', 'none', [{ labels: { direction: 'request', handling: 'scanned' }, value: 1 }]],
    ['none', 'binary', [{ labels: { direction: 'response', handling: 'binary' }, value: 1 }]],
    ['too_large', 'undecodable', [{ labels: { direction: 'request', handling: 'too_large' }, value: 1 }, { labels: { direction: 'response', handling: 'undecodable' }, value: 1 }]],
    ['off', 'off', [{ labels: { direction: 'request', handling: 'off' }, value: 1 }, { labels: { direction: 'response', handling: 'off' }, value: 1 }]],
    ['none', 'none', []],
  ] as const)('request body %s, response body %s', async (requestBody, responseBody, expected) => {
    const { metrics, series } = setup();
    metrics.recordEvent(eventWith(scrub([], { requestBody, responseBody })));
    expect(await series(BODIES)).toEqual(expected);
  });

  it('counts one per event', async () => {
    const { metrics, series } = setup();
    for (let i = 0; i < 3; i++) metrics.recordEvent(eventWith(scrub([], { requestBody: 'scanned', responseBody: 'scanned' })));
    expect(await series(BODIES)).toEqual([
      { labels: { direction: 'request', handling: 'scanned' }, value: 3 },
      { labels: { direction: 'response', handling: 'scanned' }, value: 3 },
    ]);
  });
});

describe('scrub labels stay bounded', () => {
  it('no label holds a location, a header or parameter name, a rule id or a secret', async () => {
    const { registry, metrics, series } = setup();
    metrics.recordEvent(
      eventWith(
        scrub(
          [
            ['redacted', 'github_classic_pat', 'request.header.x-private-note', 1],
            ['blocked', 'github_classic_pat', 'request.query.my_custom_param', 1],
            // A location as an older build wrote it, with the secret as a parameter name: still not a label.
            ['would_block', 'github_classic_pat', `request.query.${SECRET}`, 1],
          ],
          { requestBody: 'scanned' },
        ),
      ),
    );
    for (const { labels } of [...(await series(FINDINGS)), ...(await series(BODIES))]) {
      expect(Object.keys(labels).sort()).toEqual(labels.handling === undefined ? ['action', 'direction', 'kind', 'tool'] : ['direction', 'handling']);
    }
    const text = await registry.metrics();
    for (const leak of ['x-private-note', 'my_custom_param', SECRET, 'request.query', 'request.header', 'github-classic-pat-rule']) {
      expect(text).not.toContain(leak);
    }
  });
});

// Counters fed by events are tallied outside prom-client and added at scrape time (event-metrics.ts).
describe('tallied counters', () => {
  const REQUESTS = 'mcp_egress_requests_total';
  const REDACTIONS = 'mcp_egress_redactions_total';

  it('read exact at every scrape, with new series in first-use order', async () => {
    const { metrics, series } = setup();
    const writer = { tool: 'writer', host: 'other', method: 'GET', decision: 'allow', status_class: '2xx' };
    const finding = scrub([['redacted', 'slack_webhook_url', 'request.body', 2]]);
    const steps: readonly [events: readonly AuditEvent[], logRedactions: number, findings: number, logs: number][] = [
      [[eventWith(finding, 'writer')], 0, 2, 0],
      [[eventWith(finding, 'writer'), eventWith(finding, 'writer')], 1, 6, 1],
      [[], 2, 6, 3],
      [[eventWith(undefined, 'writer'), eventWith(finding, 'writer')], 0, 8, 3],
    ];
    let writerRequests = 0;
    for (const [events, logRedactions, findings, logs] of steps) {
      for (const event of events) metrics.recordEvent(event);
      for (let i = 0; i < logRedactions; i++) metrics.recordLogRedaction('slack_webhook_url');
      writerRequests += events.length;
      expect((await series(REQUESTS)).filter(({ labels }) => labels.tool === 'writer' && labels.decision === 'allow')).toEqual([{ labels: writer, value: writerRequests }]);
      expect(await series(REDACTIONS)).toEqual([
        { labels: { kind: 'slack_webhook_url', location: 'request' }, value: findings },
        ...(logs === 0 ? [] : [{ labels: { kind: 'slack_webhook_url', location: 'log' }, value: logs }]),
      ]);
    }
  });

  it('refuse a negative count at record time, as prom-client does, not at scrape time', async () => {
    const { registry, metrics } = setup();
    const finding = scrub([['redacted', 'slack_webhook_url', 'request.body', 1]]);
    metrics.recordEvent(eventWith(finding));
    expect(() => metrics.recordEvent(eventWith(scrub([['redacted', 'slack_webhook_url', 'request.body', -1]])))).toThrow();
    await expect(registry.metrics()).resolves.toContain('mcp_egress_scrub_findings_total{tool="reader",direction="request",action="redacted",kind="slack_webhook_url"} 1');
  });
});
