/**
 * Fail closed: when no audit sink can record, a request that cannot be accounted for is not served
 * (unless the operator chose `audit.onAuditFailure: open`).
 */
import type { RequestContext } from '../context.js';
import type { Runtime } from '../runtime.js';
import { NEXT, refuse, type Stage, type StageVerdict } from '../stage.js';

export const auditGateStage: Stage = {
  name: 'audit-gate',
  run(_ctx: RequestContext, runtime: Runtime): StageVerdict {
    if (runtime.config.audit.onAuditFailure === 'open' || runtime.auditHealthy()) return NEXT;
    return refuse('audit_unavailable');
  },
};
