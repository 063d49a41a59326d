/**
 * Every metric mcp-egress exports, declared in one place on an injected registry (never the global one,
 * never lazily: a metric created on first use leaves a dashboard blank until then). Names follow the
 * Prometheus conventions: the `mcp_egress_` prefix, base units (seconds, bytes), `_total` on counters.
 * Label names are fixed here; label values come only through labels.ts.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

// Proxy latencies: sub-millisecond local refusals up to slow upstream calls.
export const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
// Leaf certificates: a cached EC key signs in about a millisecond; a fresh RSA key can take a second.
export const CERT_MINT_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export type Catalogue = ReturnType<typeof declareCatalogue>;

/** The counters audit events feed; their increments are tallied outside prom-client (event-metrics.ts). */
export type TalliedCounter =
  | 'requests'
  | 'denials'
  | 'upstreamErrors'
  | 'scrubFindings'
  | 'scrubBodies'
  | 'redactions'
  | 'exfiltration'
  | 'credentials'
  | 'actorRequests'
  | 'actorConflicts';

/** Run at scrape time, each before its metrics are read (once per metric: they must be idempotent). */
export interface CatalogueHooks {
  /** Before the audit spool gauges are read. */
  readonly collectSinks: () => void;
  /** Before a tallied counter is read: adds its pending increments. */
  readonly flushTally: (metric: TalliedCounter) => void;
}

export function declareCatalogue(registry: Registry, hooks: CatalogueHooks) {
  const flush = (metric: TalliedCounter) => () => hooks.flushTally(metric);
  return {
    ...trafficMetrics(registry, flush),
    ...secretMetrics(registry, flush),
    ...tokenMetrics(registry, flush),
    ...auditMetrics(registry, hooks.collectSinks),
    ...proxyMetrics(registry),
  };
}

type Flush = (metric: TalliedCounter) => () => void;

function trafficMetrics(registry: Registry, flush: Flush) {
  const registers = [registry];
  return {
    requests: new Counter({
      name: 'mcp_egress_requests_total',
      help: 'Requests and refused CONNECTs by tool, host (as the policy names it, else "other"), method, final decision and response status class.',
      labelNames: ['tool', 'host', 'method', 'decision', 'status_class'] as const,
      registers,
      collect: flush('requests'),
    }),
    duration: new Histogram({
      name: 'mcp_egress_request_duration_seconds',
      help: 'Time from request received to response finished, by tool and final decision.',
      labelNames: ['tool', 'decision'] as const,
      buckets: DURATION_BUCKETS,
      registers,
    }),
    upstreamDuration: new Histogram({
      name: 'mcp_egress_upstream_duration_seconds',
      help: 'Time spent waiting on the upstream (connect to response end), by tool and host, for requests that reached one.',
      labelNames: ['tool', 'host'] as const,
      buckets: DURATION_BUCKETS,
      registers,
    }),
    denials: new Counter({
      name: 'mcp_egress_denials_total',
      help: 'Refused requests (deny) and those report mode let through (would_deny), by tool and reason code.',
      labelNames: ['tool', 'decision', 'reason'] as const,
      registers,
      collect: flush('denials'),
    }),
    upstreamErrors: new Counter({
      name: 'mcp_egress_upstream_errors_total',
      help: 'Requests that failed talking to the upstream (DNS, connect, TLS, reset, timeout, undecodable), by tool and reason code.',
      labelNames: ['tool', 'reason'] as const,
      registers,
      collect: flush('upstreamErrors'),
    }),
  };
}

function secretMetrics(registry: Registry, flush: Flush) {
  const registers = [registry];
  return {
    scrubFindings: new Counter({
      name: 'mcp_egress_scrub_findings_total',
      help: 'Secrets found in traffic, by tool, direction (request/response), action (redacted, blocked, would_block) and token kind.',
      labelNames: ['tool', 'direction', 'action', 'kind'] as const,
      registers,
      collect: flush('scrubFindings'),
    }),
    scrubBodies: new Counter({
      name: 'mcp_egress_scrub_bodies_total',
      help: 'Bodies by direction and how scrubbing treated them (scanned, binary, undecodable, too_large, off).',
      labelNames: ['direction', 'handling'] as const,
      registers,
      collect: flush('scrubBodies'),
    }),
    redactions: new Counter({
      name: 'mcp_egress_redactions_total',
      help: 'Secrets replaced by a marker, by pattern kind and location (request, response, log: a process log or audit line).',
      labelNames: ['kind', 'location'] as const,
      registers,
      collect: flush('redactions'),
    }),
    exfiltration: new Counter({
      name: 'mcp_egress_exfiltration_blocks_total',
      help: 'Requests carrying a secret the tool may not send there: refused (blocked) or, in report mode, let through (would_block).',
      labelNames: ['tool', 'action'] as const,
      registers,
      collect: flush('exfiltration'),
    }),
  };
}

function tokenMetrics(registry: Registry, flush: Flush) {
  const registers = [registry];
  return {
    credentials: new Counter({
      name: 'mcp_egress_credentials_seen_total',
      help: 'Credentials sent upstream, by token kind and the actor type the request was attributed to.',
      labelNames: ['kind', 'actor_type'] as const,
      registers,
      collect: flush('credentials'),
    }),
    actorRequests: new Counter({
      name: 'mcp_egress_actor_requests_total',
      help: 'Requests by tool and attributed actor type (human, automation, unknown).',
      labelNames: ['tool', 'actor_type'] as const,
      registers,
      collect: flush('actorRequests'),
    }),
    actorConflicts: new Counter({
      name: 'mcp_egress_actor_conflicts_total',
      help: 'Requests whose attribution evidence disagreed (human vs automation), by tool.',
      labelNames: ['tool'] as const,
      registers,
      collect: flush('actorConflicts'),
    }),
    tokenSignals: new Counter({
      name: 'mcp_egress_token_signals_total',
      help: 'Token inventory signals: new_token, shared_token, expired_token_used, dormant_token_reused.',
      labelNames: ['signal'] as const,
      registers,
    }),
  };
}

function auditMetrics(registry: Registry, collect: () => void) {
  const registers = [registry];
  return {
    auditWrites: new Counter({
      name: 'mcp_egress_audit_writes_total',
      help: 'Audit lines handed to sinks, by sink type and result (accepted: written or spooled; failed: refused by the sink).',
      labelNames: ['sink', 'result'] as const,
      registers,
    }),
    auditLost: new Counter({
      name: 'mcp_egress_audit_lost_events_total',
      help: 'Audit events no sink accepted (only possible with onAuditFailure: open), by event kind.',
      labelNames: ['kind'] as const,
      registers,
    }),
    spooledEvents: new Gauge({
      name: 'mcp_egress_audit_spooled_events',
      help: 'Audit events accepted by network sinks but not yet acknowledged by their receiver, by sink type.',
      labelNames: ['sink'] as const,
      registers,
      collect,
    }),
    spooledBytes: new Gauge({
      name: 'mcp_egress_audit_spooled_bytes',
      help: 'Bytes of audit events waiting in the spool, by sink type.',
      labelNames: ['sink'] as const,
      registers,
      collect,
    }),
    sinkConnected: new Gauge({
      name: 'mcp_egress_audit_sink_connected',
      help: '1 when every sink of this type reaches its receiver (always 1 for healthy file and stdout sinks), else 0.',
      labelNames: ['sink'] as const,
      registers,
      collect,
    }),
  };
}

function proxyMetrics(registry: Registry) {
  const registers = [registry];
  return {
    certMint: new Histogram({
      name: 'mcp_egress_cert_mint_duration_seconds',
      help: 'Time to mint an interception leaf certificate (cache misses only).',
      buckets: CERT_MINT_BUCKETS,
      registers,
    }),
    tunnels: new Gauge({ name: 'mcp_egress_open_tunnels', help: 'CONNECT tunnels currently open.', registers }),
    connections: new Gauge({ name: 'mcp_egress_open_connections', help: 'Client connections to the proxy port currently open.', registers }),
    reloads: new Counter({
      name: 'mcp_egress_policy_reloads_total',
      help: 'Configuration reloads by result (failure: the running configuration was kept).',
      labelNames: ['result'] as const,
      registers,
    }),
    policyInfo: new Gauge({
      name: 'mcp_egress_policy_info',
      help: 'Always 1; the labels say which policy runs: global mode and a short hash of the policy (tools, rules, modes; no secret).',
      labelNames: ['mode', 'config_hash'] as const,
      registers,
    }),
    policyTools: new Gauge({ name: 'mcp_egress_policy_tools', help: 'Tools configured in the running policy.', registers }),
    buildInfo: new Gauge({
      name: 'mcp_egress_build_info',
      help: 'Always 1; the version label says which build runs.',
      labelNames: ['version'] as const,
      registers,
    }),
  };
}
