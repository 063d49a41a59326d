/**
 * The SSRF guard: resolve the destination once, classify the address, and fix exactly that address for
 * the dial (no second lookup, so DNS cannot change its answer between the check and the connect).
 * Applies in report mode too: it protects the proxy's own network, not a tool's allowlist.
 */
import type { RequestContext } from '../context.js';
import type { Runtime } from '../runtime.js';
import { NEXT, refuse, type Stage, type StageVerdict } from '../stage.js';

export const destinationStage: Stage = {
  name: 'destination',
  async run(ctx: RequestContext, runtime: Runtime): Promise<StageVerdict> {
    const target = ctx.target!;
    const resolution = await runtime.resolveDestination(target.host, target.port);
    if (!resolution.ok) return refuse(resolution.reason, resolution.detail);
    ctx.destination = { address: resolution.address, port: resolution.port, via: resolution.via };
    return NEXT;
  },
};
