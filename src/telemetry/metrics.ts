/**
 * The metric catalogue's one writer. Every metric is declared up front (catalogue.ts) on an injected
 * registry, and every bounded label combination that makes sense is seeded at zero: a dashboard is never
 * blank, and rate()/increase() see a series' first increment (a counter that appears at 1 shows no
 * increase). Labels come only from bounded sets (labels.ts): configured tools and policy hosts, decision
 * actions, reason codes, status classes, pattern kinds; never a path, a token or free text.
 *
 * Not seeded: series keyed by a pattern or credential kind (hundreds of kinds; they appear on first use).
 */
import { collectDefaultMetrics, type Registry } from 'prom-client';
import type { AuditEvent } from '../audit/event.js';
import type { SinkStatus } from '../audit/sinks.js';
import { TOKEN_SIGNALS, type TokenSignalKind } from '../tokens/signals.js';
import { declareCatalogue, type Catalogue } from './catalogue.js';
import { createEventRecorder, type LabelScope } from './event-metrics.js';
import {
  ACTOR_TYPES,
  ANONYMOUS_DENY_REASONS,
  AUDIT_LOST_KINDS,
  AUDIT_WRITE_RESULTS,
  createHostLabeler,
  DECISIONS,
  EXFILTRATION_ACTIONS,
  kindLabel,
  NONE,
  OTHER,
  RELOAD_RESULTS,
  sinkTypeLabel,
  TOOL_DENY_REASONS,
  UPSTREAM_ERROR_REASONS,
  usualStatusClass,
  WOULD_DENY_REASONS,
  type ReloadResult,
} from './labels.js';
import type { PolicyLabels } from './policy-labels.js';

export type { PolicyLabels } from './policy-labels.js';
export { policyLabels } from './policy-labels.js';

export interface MetricsOptions extends Partial<Omit<PolicyLabels, 'tools'>> {
  readonly registry: Registry;
  readonly version: string;
  readonly tools: readonly string[];
  readonly collectProcessMetrics?: boolean;
}

/** What the audit log reports per sink; `type` is the metric label. */
export interface WatchedSink {
  readonly type: string;
  readonly status: SinkStatus;
}

export interface Metrics {
  recordEvent(event: AuditEvent): void;
  /** Re-seeds the zero series for a new policy (at start and after each reload) and updates policy_info. */
  setPolicy(policy: PolicyLabels): void;
  tunnelChanged(delta: 1 | -1): void;
  connectionChanged(delta: 1 | -1): void;
  recordTokenSignal(signal: TokenSignalKind): void;
  /** A secret the line scrubber replaced in a process log or audit line. */
  recordLogRedaction(kind: string, count?: number): void;
  recordAuditWrite(sinkType: string, accepted: boolean): void;
  recordAuditLost(kind: 'request' | 'alert'): void;
  /** Spool depth and connectivity are read from `sinks` at every scrape; their types are seeded now. */
  watchAuditSinks(sinks: () => readonly WatchedSink[]): void;
  recordCertMint(seconds: number): void;
  recordReload(result: ReloadResult): void;
}

export function createMetrics(options: MetricsOptions): Metrics {
  let watched: (() => readonly WatchedSink[]) | null = null;
  const catalogue: Catalogue = declareCatalogue(options.registry, {
    collectSinks: () => collectSinks(catalogue, watched),
    flushTally: (metric) => events.flush(metric),
  });
  const events = createEventRecorder(catalogue);
  catalogue.buildInfo.set({ version: options.version }, 1);
  if (options.collectProcessMetrics !== false) collectProcessMetrics(options.registry);
  seedStatic(catalogue);
  let policy: PolicyLabels = { tools: options.tools, hosts: options.hosts ?? [], ...optionalInfo(options) };
  let scope = applyPolicy(catalogue, policy);
  const auditWriteLabels = auditWriteLabeler();

  return {
    recordEvent: (event) => events.record(scope, event),
    setPolicy(next) {
      policy = next;
      scope = applyPolicy(catalogue, next);
    },
    tunnelChanged: (delta) => catalogue.tunnels.inc(delta),
    connectionChanged: (delta) => catalogue.connections.inc(delta),
    recordTokenSignal: (signal) => catalogue.tokenSignals.inc({ signal }),
    recordLogRedaction: (kind, count = 1) => catalogue.redactions.inc({ kind: kindLabel(kind), location: 'log' }, count),
    recordAuditWrite: (sinkType, accepted) => catalogue.auditWrites.inc(auditWriteLabels(sinkType, accepted)),
    recordAuditLost: (kind) => catalogue.auditLost.inc({ kind }),
    watchAuditSinks(sinks) {
      watched = sinks;
      for (const { type } of sinks()) seedSinkType(catalogue, sinkTypeLabel(type));
    },
    recordCertMint: (seconds) => catalogue.certMint.observe(seconds),
    recordReload: (result) => catalogue.reloads.inc({ result }),
  };
}

interface AuditWriteLabels {
  readonly sink: string;
  readonly result: (typeof AUDIT_WRITE_RESULTS)[number];
}

/** Sink types are a fixed set; anything past this many distinct names is labelled afresh each time. */
const MAX_SINK_TYPES_REMEMBERED = 16;

/** Called once per line per sink: the label objects are made once per sink type (a handful), not per call. */
function auditWriteLabeler(): (sinkType: string, accepted: boolean) => AuditWriteLabels {
  const known = new Map<string, { readonly accepted: AuditWriteLabels; readonly failed: AuditWriteLabels }>();
  return (sinkType, accepted) => {
    let labels = known.get(sinkType);
    if (labels === undefined) {
      const sink = sinkTypeLabel(sinkType);
      labels = { accepted: Object.freeze({ sink, result: 'accepted' }), failed: Object.freeze({ sink, result: 'failed' }) };
      if (known.size < MAX_SINK_TYPES_REMEMBERED) known.set(sinkType, labels);
    }
    return accepted ? labels.accepted : labels.failed;
  };
}

// prom-client's gauges named `*_total` break the naming rule `promtool check metrics` enforces (only
// counters end in _total); each is the sum of a per-type gauge it also exports, so nothing is lost.
const MISNAMED_PROCESS_GAUGES = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

function collectProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry, prefix: 'mcp_egress_' });
  for (const name of MISNAMED_PROCESS_GAUGES) registry.removeSingleMetric(`mcp_egress_${name}`);
}

function optionalInfo(options: MetricsOptions): Partial<PolicyLabels> {
  return {
    ...(options.mode === undefined ? {} : { mode: options.mode }),
    ...(options.configHash === undefined ? {} : { configHash: options.configHash }),
  };
}

function seedStatic(catalogue: Catalogue): void {
  for (const signal of TOKEN_SIGNALS) catalogue.tokenSignals.inc({ signal }, 0);
  for (const kind of AUDIT_LOST_KINDS) catalogue.auditLost.inc({ kind }, 0);
  for (const result of RELOAD_RESULTS) catalogue.reloads.inc({ result }, 0);
}

function seedSinkType(catalogue: Catalogue, sink: string): void {
  for (const result of AUDIT_WRITE_RESULTS) catalogue.auditWrites.inc({ sink, result }, 0);
  for (const gauge of [catalogue.spooledEvents, catalogue.spooledBytes]) gauge.set({ sink }, 0);
  catalogue.sinkConnected.set({ sink }, 1);
}

/** Seeds every series the policy's names make bounded, and returns the scope events are labelled in. */
function applyPolicy(catalogue: Catalogue, policy: PolicyLabels): LabelScope {
  const hosts = createHostLabeler(policy.hosts);
  const tools = [...new Set(policy.tools)];
  for (const tool of [...tools, NONE]) seedTool(catalogue, tool, [...hosts.labels, OTHER]);
  for (const tool of tools) {
    for (const host of hosts.labels) catalogue.upstreamDuration.zero({ tool, host });
    for (const reason of TOOL_DENY_REASONS) catalogue.denials.inc({ tool, decision: 'deny', reason }, 0);
    for (const reason of WOULD_DENY_REASONS) catalogue.denials.inc({ tool, decision: 'would_deny', reason }, 0);
    for (const reason of UPSTREAM_ERROR_REASONS) catalogue.upstreamErrors.inc({ tool, reason }, 0);
  }
  for (const reason of ANONYMOUS_DENY_REASONS) catalogue.denials.inc({ tool: NONE, decision: 'deny', reason }, 0);
  catalogue.policyInfo.reset();
  catalogue.policyInfo.set({ mode: policy.mode ?? 'unknown', config_hash: policy.configHash ?? 'unknown' }, 1);
  catalogue.policyTools.set(tools.length);
  return { tools: new Set(tools), hosts };
}

function seedTool(catalogue: Catalogue, tool: string, hosts: readonly string[]): void {
  for (const decision of DECISIONS) {
    // One status class per decision (the one it usually ends in) keeps the seed small; others appear on use.
    for (const host of hosts) catalogue.requests.inc({ tool, host, method: 'GET', decision, status_class: usualStatusClass(decision) }, 0);
    catalogue.duration.zero({ tool, decision });
  }
  for (const action of EXFILTRATION_ACTIONS) catalogue.exfiltration.inc({ tool, action }, 0);
  for (const actorType of ACTOR_TYPES) catalogue.actorRequests.inc({ tool, actor_type: actorType }, 0);
  catalogue.actorConflicts.inc({ tool }, 0);
}

/** Scrape time: sums spool depth per sink type; a type is connected only when all its sinks are. */
function collectSinks(catalogue: Catalogue, watched: (() => readonly WatchedSink[]) | null): void {
  if (watched === null) return;
  const byType = new Map<string, { events: number; bytes: number; connected: boolean }>();
  for (const { type, status } of watched()) {
    const sink = sinkTypeLabel(type);
    const entry = byType.get(sink) ?? { events: 0, bytes: 0, connected: true };
    byType.set(sink, { events: entry.events + status.spooledEvents, bytes: entry.bytes + status.spooledBytes, connected: entry.connected && status.connected });
  }
  for (const [sink, entry] of byType) {
    catalogue.spooledEvents.set({ sink }, entry.events);
    catalogue.spooledBytes.set({ sink }, entry.bytes);
    catalogue.sinkConnected.set({ sink }, entry.connected ? 1 : 0);
  }
}
