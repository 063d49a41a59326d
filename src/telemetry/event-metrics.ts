/**
 * What one audit event adds to the catalogue. The audit event is the single source: metrics never see a
 * request, only the allowlisted, already-built record of it, and take from it only bounded values
 * (labels.ts). Locations, paths, queries, fingerprints and hints stay in the audit log.
 */
import type { AuditEvent } from '../audit/event.js';
import type { Catalogue } from './catalogue.js';
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

const UPSTREAM_ERRORS: ReadonlySet<string> = new Set(UPSTREAM_ERROR_REASONS);

export function recordEvent(catalogue: Catalogue, scope: LabelScope, event: AuditEvent): void {
  const tool = event.tool !== null && scope.tools.has(event.tool) ? event.tool : NONE;
  const host = scope.hosts.label(event.request.host);
  const decision = event.decision.action;
  catalogue.requests.inc({ tool, host, method: methodLabel(event.request.method), decision, status_class: statusClassLabel(event.response.status) });
  catalogue.duration.observe({ tool, decision }, event.duration_ms.total / 1000);
  if (event.duration_ms.upstream !== null) catalogue.upstreamDuration.observe({ tool, host }, event.duration_ms.upstream / 1000);
  if (decision !== 'allow') catalogue.denials.inc({ tool, decision, reason: reasonLabel(event.decision.reason) });
  const errorReason = event.error?.reason;
  if (errorReason !== undefined && UPSTREAM_ERRORS.has(errorReason)) catalogue.upstreamErrors.inc({ tool, reason: errorReason });
  recordAttribution(catalogue, tool, event);
  if (event.scrub !== null) recordScrub(catalogue, tool, event.scrub);
}

function recordAttribution(catalogue: Catalogue, tool: string, event: AuditEvent): void {
  const actorType = actorTypeLabel(event.actor.type);
  catalogue.actorRequests.inc({ tool, actor_type: actorType });
  if (event.actor.conflict) catalogue.actorConflicts.inc({ tool });
  for (const credential of event.credentials) catalogue.credentials.inc({ kind: kindLabel(credential.kind), actor_type: actorType });
}

function recordScrub(catalogue: Catalogue, tool: string, scrub: NonNullable<AuditEvent['scrub']>): void {
  let exfiltration: 'blocked' | 'would_block' | null = null;
  for (const finding of scrub.findings) {
    const direction: RedactionLocation = finding.location.startsWith('response.') ? 'response' : 'request';
    const kind = kindLabel(finding.kind);
    catalogue.scrubFindings.inc({ tool, direction, action: finding.action, kind }, finding.count);
    if (finding.action === 'redacted') catalogue.redactions.inc({ kind, location: direction }, finding.count);
    // One request is one attempt, however many secrets it carried; a refusal outranks a report.
    if (finding.action === 'blocked') exfiltration = 'blocked';
    else if (finding.action === 'would_block' && exfiltration === null) exfiltration = 'would_block';
  }
  if (exfiltration !== null) catalogue.exfiltration.inc({ tool, action: exfiltration });
  if (scrub.request_body !== 'none') catalogue.scrubBodies.inc({ direction: 'request', handling: scrub.request_body });
  if (scrub.response_body !== 'none') catalogue.scrubBodies.inc({ direction: 'response', handling: scrub.response_body });
}
