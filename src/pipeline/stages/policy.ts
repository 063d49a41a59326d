/**
 * The allowlist decision, on the target the previous stage fixed (the CONNECT authority, never an inner
 * Host). A deny in enforce mode refuses; report mode records `would_deny` and lets the request through.
 * Inside a tunnel the tool and host are the tunnel's for life, so the rules that can apply to them are
 * picked once per tunnel and runtime (tunnel-memo.ts); only port, method and path are judged per request.
 */
import { decideInScope, scopeForHost } from '../../policy/decide.js';
import type { RequestContext } from '../context.js';
import type { Runtime } from '../runtime.js';
import { denialCode, NEXT, refuse, type Stage, type StageVerdict } from '../stage.js';
import { tunnelMemo } from '../tunnel-memo.js';

export const policyStage: Stage = {
  name: 'policy',
  run(ctx: RequestContext, runtime: Runtime): StageVerdict {
    const target = ctx.target!;
    const scope = tunnelMemo(ctx, runtime)?.policyScope ?? scopeForHost(runtime.policy, ctx.identity?.tool ?? null, target.host);
    const decision = decideInScope(scope, {
      scheme: target.scheme,
      port: target.port,
      method: ctx.method.toUpperCase(),
      path: target.path,
    });
    ctx.decision = decision;
    return decision.action === 'deny' ? refuse(denialCode(decision.reason)) : NEXT;
  },
};
