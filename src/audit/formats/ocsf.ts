/**
 * The OCSF format (1.x): request and connect events as HTTP Activity (ocsf-http.ts), token alerts as
 * Detection Finding (ocsf-alert.ts), header and checkpoint lines as Application Lifecycle (below).
 * Our fields without an OCSF home go under `unmapped.mcp_egress`, with the chain's seq and prev_hash;
 * `metadata.sequence` repeats seq where consumers look for ordering.
 */
import type { AuditRecord, ChainRef, FormatContext, LifecycleBody } from './index.js';
import { detectionFinding } from './ocsf-alert.js';
import { classification, metadata, severity, status, unmapped } from './ocsf-base.js';
import { APPLICATION_LIFECYCLE, lifecycleActivity, STATUS_SUCCESS, type Coded } from './ocsf-enums.js';
import { httpActivity } from './ocsf-http.js';
import { epochMs, lifecycleExtras, lifecycleReason, product, type Json } from './shared.js';

export function toOcsf(record: AuditRecord, chain: ChainRef, context: FormatContext): Record<string, unknown> {
  switch (record.kind) {
    case 'request':
      return httpActivity(record.event, chain, context);
    case 'alert':
      return detectionFinding(record.event, chain, context);
    case 'lifecycle':
      return applicationLifecycle(record.body, chain, context);
  }
}

const INFORMATIONAL: Coded = { id: 1, caption: 'Informational' };

/**
 * Header and checkpoint lines as Application Lifecycle (6002), the application being mcp-egress itself:
 * they mark the log starting, rotating, reopening, checkpointing and stopping. Chain positions
 * (`continues`, `checkpoint`) have no OCSF field and travel in unmapped.mcp_egress.
 */
function applicationLifecycle(body: LifecycleBody, chain: ChainRef, context: FormatContext): Json {
  const reason = lifecycleReason(body);
  return {
    ...classification(APPLICATION_LIFECYCLE, lifecycleActivity(body.kind, reason)),
    time: epochMs(body.time),
    ...severity(INFORMATIONAL),
    ...status(STATUS_SUCCESS),
    message: `audit log ${body.kind} (${reason})`,
    app: product(context),
    metadata: metadata(context, chain, {}),
    unmapped: unmapped(lifecycleExtras(body, chain)),
  };
}
