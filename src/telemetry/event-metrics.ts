/**
 * What one audit event adds to the catalogue. The audit event is the single source: metrics never see a
 * request, only the allowlisted, already-built record of it, and take from it only bounded values
 * (labels.ts). Locations, paths, queries, fingerprints and hints stay in the audit log.
 *
 * Counters are tallied here, per label set, and handed to prom-client at scrape time (each counter's
 * `collect` hook calls `flush`): a prom-client inc costs label validation and hashing on every event, a
 * tally one Map lookup. A label set's first increment still goes straight to prom-client, so its series
 * appears where it always did (series are exported in creation order) and its labels are validated once.
 * Histograms are observed directly: deferring them would add their sums in a different order, and
 * floating-point sums would then differ in the last digits.
 */
import type { Counter } from 'prom-client';
import type { AuditEvent } from '../audit/event.js';
import type { Catalogue, TalliedCounter } from './catalogue.js';
import {
  actorTypeLabel,
  kindLabel,
  methodLabel,
  NONE,
  reasonLabel,
  statusClassLabel,
  UPSTREAM_ERROR_REASONS,
  type HostLabeler,
  type RedactionLocation,
} from './labels.js';

/** The configured names an event's tool and host are mapped onto (replaced whole on reload). */
export interface LabelScope {
  readonly tools: ReadonlySet<string>;
  readonly hosts: HostLabeler;
}

export interface EventRecorder {
  record(scope: LabelScope, event: AuditEvent): void;
  /** Adds what `metric` tallied since the last flush to its prom-client series (idempotent). */
  flush(metric: TalliedCounter): void;
}

type Labels = Record<string, string>;

/** Increments of one counter not yet handed to prom-client, by label set. */
interface Tally {
  /** False when the key is new (or the count is no valid increment): the caller then uses `first`. */
  add(key: string, count: number): boolean;
  first(key: string, labels: Labels, count: number): void;
  flush(): void;
}

// Label values are bounded names (tool names, host patterns, codes, snake_case kinds): none holds a NUL.
const SEP = '\u0000';
const UPSTREAM_ERRORS: ReadonlySet<string> = new Set(UPSTREAM_ERROR_REASONS);

function createTally(counter: Counter<string>): Tally {
  const pending = new Map<string, { readonly labels: Labels; count: number }>();
  return {
    add(key, count) {
      const entry = pending.get(key);
      // An invalid count goes to prom-client at once, so it throws here as it always did, not at scrape.
      if (entry === undefined || !(count >= 0 && count < Infinity)) return false;
      entry.count += count;
      return true;
    },
    first(key, labels, count) {
      counter.inc(labels, count);
      if (!pending.has(key)) pending.set(key, { labels, count: 0 });
    },
    flush() {
      for (const entry of pending.values()) {
        if (entry.count === 0) continue;
        counter.inc(entry.labels, entry.count);
        entry.count = 0;
      }
    },
  };
}

export function createEventRecorder(catalogue: Catalogue): EventRecorder {
  const tallies: Record<TalliedCounter, Tally> = {
    requests: createTally(catalogue.requests),
    denials: createTally(catalogue.denials),
    upstreamErrors: createTally(catalogue.upstreamErrors),
    scrubFindings: createTally(catalogue.scrubFindings),
    scrubBodies: createTally(catalogue.scrubBodies),
    redactions: createTally(catalogue.redactions),
    exfiltration: createTally(catalogue.exfiltration),
    credentials: createTally(catalogue.credentials),
    actorRequests: createTally(catalogue.actorRequests),
    actorConflicts: createTally(catalogue.actorConflicts),
  };
  return {
    record: (scope, event) => recordEvent(catalogue, tallies, scope, event),
    flush: (metric) => tallies[metric].flush(),
  };
}

type Tallies = Readonly<Record<TalliedCounter, Tally>>;

function recordEvent(catalogue: Catalogue, tallies: Tallies, scope: LabelScope, event: AuditEvent): void {
  const tool = event.tool !== null && scope.tools.has(event.tool) ? event.tool : NONE;
  const host = scope.hosts.label(event.request.host);
  const decision = event.decision.action;
  const method = methodLabel(event.request.method);
  const statusClass = statusClassLabel(event.response.status);
  const requestKey = tool + SEP + host + SEP + method + SEP + decision + SEP + statusClass;
  if (!tallies.requests.add(requestKey, 1)) tallies.requests.first(requestKey, { tool, host, method, decision, status_class: statusClass }, 1);
  catalogue.duration.observe({ tool, decision }, event.duration_ms.total / 1000);
  if (event.duration_ms.upstream !== null) catalogue.upstreamDuration.observe({ tool, host }, event.duration_ms.upstream / 1000);
  if (decision !== 'allow') {
    const reason = reasonLabel(event.decision.reason);
    const key = tool + SEP + decision + SEP + reason;
    if (!tallies.denials.add(key, 1)) tallies.denials.first(key, { tool, decision, reason }, 1);
  }
  const errorReason = event.error?.reason;
  if (errorReason !== undefined && UPSTREAM_ERRORS.has(errorReason)) {
    const key = tool + SEP + errorReason;
    if (!tallies.upstreamErrors.add(key, 1)) tallies.upstreamErrors.first(key, { tool, reason: errorReason }, 1);
  }
  recordAttribution(tallies, tool, event);
  if (event.scrub !== null) recordScrub(tallies, tool, event.scrub);
}

function recordAttribution(tallies: Tallies, tool: string, event: AuditEvent): void {
  const actorType = actorTypeLabel(event.actor.type);
  const actorKey = tool + SEP + actorType;
  if (!tallies.actorRequests.add(actorKey, 1)) tallies.actorRequests.first(actorKey, { tool, actor_type: actorType }, 1);
  if (event.actor.conflict && !tallies.actorConflicts.add(tool, 1)) tallies.actorConflicts.first(tool, { tool }, 1);
  for (const credential of event.credentials) {
    const kind = kindLabel(credential.kind);
    const key = kind + SEP + actorType;
    if (!tallies.credentials.add(key, 1)) tallies.credentials.first(key, { kind, actor_type: actorType }, 1);
  }
}

function recordScrub(tallies: Tallies, tool: string, scrub: NonNullable<AuditEvent['scrub']>): void {
  let exfiltration: 'blocked' | 'would_block' | null = null;
  for (const finding of scrub.findings) {
    const direction: RedactionLocation = finding.location.startsWith('response.') ? 'response' : 'request';
    const { action, count } = finding;
    const kind = kindLabel(finding.kind);
    const key = tool + SEP + direction + SEP + action + SEP + kind;
    if (!tallies.scrubFindings.add(key, count)) tallies.scrubFindings.first(key, { tool, direction, action, kind }, count);
    if (action === 'redacted') {
      const redactionKey = kind + SEP + direction;
      if (!tallies.redactions.add(redactionKey, count)) tallies.redactions.first(redactionKey, { kind, location: direction }, count);
    }
    // One request is one attempt, however many secrets it carried; a refusal outranks a report.
    if (action === 'blocked') exfiltration = 'blocked';
    else if (action === 'would_block' && exfiltration === null) exfiltration = 'would_block';
  }
  if (exfiltration !== null) {
    const key = tool + SEP + exfiltration;
    if (!tallies.exfiltration.add(key, 1)) tallies.exfiltration.first(key, { tool, action: exfiltration }, 1);
  }
  recordBody(tallies.scrubBodies, 'request', scrub.request_body);
  recordBody(tallies.scrubBodies, 'response', scrub.response_body);
}

function recordBody(tally: Tally, direction: 'request' | 'response', handling: string): void {
  if (handling === 'none') return;
  const key = direction + SEP + handling;
  if (!tally.add(key, 1)) tally.first(key, { direction, handling }, 1);
}
