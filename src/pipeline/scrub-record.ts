/**
 * Recording what scrubbing did, aggregated per (action, kind, rule, location) so a response with 500
 * redacted tokens is one line with `count: 500`, not 500 lines.
 */
import type { Finding } from '../scanning/findings.js';
import type { RequestContext, ScrubAction, ScrubRecord } from './context.js';

export function scrubRecordOf(ctx: RequestContext): ScrubRecord {
  ctx.scrub ??= { requestBody: 'none', responseBody: 'none', findings: [] };
  return ctx.scrub;
}

export function recordScrubFinding(ctx: RequestContext, action: ScrubAction, finding: Finding, location: string): void {
  const findings = scrubRecordOf(ctx).findings;
  const same = findings.find(
    (entry) => entry.action === action && entry.ruleId === finding.ruleId && entry.location === location && entry.kind === finding.kind,
  );
  if (same) same.count += 1;
  else findings.push({ action, kind: finding.kind, ruleId: finding.ruleId, location, count: 1 });
}
