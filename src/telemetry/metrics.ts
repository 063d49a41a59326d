/**
 * The declared metric catalogue: every metric is created here, up front, on an injected registry, and
 * this module is the only writer. Labels come only from bounded sets (configured tool names, decision
 * actions, reason codes, status classes): never a host outside the policy, a path, a token or free text.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { AuditEvent } from '../audit/event.js';

export interface MetricsOptions {
  readonly registry: Registry;
  readonly version: string;
  readonly tools: readonly string[];
  readonly collectProcessMetrics?: boolean;
}

export interface Metrics {
  recordEvent(event: AuditEvent): void;
  tunnelChanged(delta: 1 | -1): void;
  /** Re-seeds the zero series for a new tool list after a reload. */
  setTools(tools: readonly string[]): void;
}

// Proxy latencies: sub-millisecond local refusals up to slow upstream calls.
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const ACTIONS = ['allow', 'deny', 'would_deny'] as const;
const NO_TOOL = '(none)';

export function createMetrics(options: MetricsOptions): Metrics {
  const registers = [options.registry];
  const requests = new Counter({
    name: 'mcp_egress_requests_total',
    help: 'Requests and refused CONNECTs by tool, final decision and response status class.',
    labelNames: ['tool', 'decision', 'status_class'] as const,
    registers,
  });
  const duration = new Histogram({
    name: 'mcp_egress_request_duration_seconds',
    help: 'Time from request received to response finished, by tool and final decision.',
    labelNames: ['tool', 'decision'] as const,
    buckets: DURATION_BUCKETS,
    registers,
  });
  const scrubFindings = new Counter({
    name: 'mcp_egress_scrub_findings_total',
    help: 'Secrets found in traffic, by tool, direction (request/response), action (redacted, blocked, would_block) and token kind.',
    labelNames: ['tool', 'direction', 'action', 'kind'] as const,
    registers,
  });
  const scrubBodies = new Counter({
    name: 'mcp_egress_scrub_bodies_total',
    help: 'Bodies by direction and how scrubbing treated them (scanned, binary, undecodable, too_large, off).',
    labelNames: ['direction', 'handling'] as const,
    registers,
  });
  const tunnels = new Gauge({ name: 'mcp_egress_open_tunnels', help: 'CONNECT tunnels currently open.', registers });
  const buildInfo = new Gauge({
    name: 'mcp_egress_build_info',
    help: 'Always 1; the version label says which build runs.',
    labelNames: ['version'] as const,
    registers,
  });
  buildInfo.set({ version: options.version }, 1);
  if (options.collectProcessMetrics !== false) collectDefaultMetrics({ register: options.registry, prefix: 'mcp_egress_' });

  let known = new Set<string>();
  const seed = (tools: readonly string[]): void => {
    known = new Set(tools);
    for (const tool of [...tools, NO_TOOL]) {
      for (const decision of ACTIONS) {
        requests.inc({ tool, decision, status_class: '2xx' }, 0);
        duration.zero({ tool, decision });
      }
    }
  };
  seed(options.tools);

  // Kinds come from the patterns/ catalogue (a bounded set); locations carry request names and stay out.
  const recordScrub = (tool: string, scrub: NonNullable<AuditEvent['scrub']>): void => {
    for (const finding of scrub.findings) {
      const direction = finding.location.startsWith('response.') ? 'response' : 'request';
      scrubFindings.inc({ tool, direction, action: finding.action, kind: finding.kind }, finding.count);
    }
    if (scrub.request_body !== 'none') scrubBodies.inc({ direction: 'request', handling: scrub.request_body });
    if (scrub.response_body !== 'none') scrubBodies.inc({ direction: 'response', handling: scrub.response_body });
  };

  return {
    recordEvent(event) {
      const tool = event.tool !== null && known.has(event.tool) ? event.tool : NO_TOOL;
      const decision = event.decision.action;
      requests.inc({ tool, decision, status_class: statusClass(event.response.status) });
      duration.observe({ tool, decision }, event.duration_ms.total / 1000);
      if (event.scrub !== null) recordScrub(tool, event.scrub);
    },
    tunnelChanged(delta) {
      tunnels.inc(delta);
    },
    setTools: seed,
  };
}

function statusClass(status: number | null): string {
  if (status === null) return 'none';
  return `${Math.floor(status / 100)}xx`;
}
