/**
 * The allowlist decision, on the target the previous stage fixed (the CONNECT authority, never an inner
 * Host). A deny in enforce mode refuses; report mode records `would_deny` and lets the request through.
 */
import { decide } from '../../policy/decide.js';
import type { RequestContext } from '../context.js';
import type { Runtime } from '../runtime.js';
import { denialCode, NEXT, refuse, type Stage, type StageVerdict } from '../stage.js';

export const policyStage: Stage = {
  name: 'policy',
  run(ctx: RequestContext, runtime: Runtime): StageVerdict {
    const target = ctx.target!;
    const decision = decide(runtime.policy, {
      tool: ctx.identity?.tool ?? null,
      scheme: target.scheme,
      host: target.host,
      port: target.port,
      method: ctx.method.toUpperCase(),
      path: target.path,
    });
    ctx.decision = decision;
    return decision.action === 'deny' ? refuse(denialCode(decision.reason)) : NEXT;
  },
};
