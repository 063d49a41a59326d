/**
 * The SSRF guard: resolve the destination once, classify the address, and fix exactly that address for
 * the dial (no second lookup, so DNS cannot change its answer between the check and the connect).
 * Applies in report mode too: it protects the proxy's own network, not a tool's allowlist.
 *
 * Inside a tunnel every request goes to the one CONNECT authority, so a dialable answer is kept in the
 * tunnel's memo for the runtime it was resolved under (tunnel-memo.ts) and the next requests dial the
 * same, already judged address: a reload resolves afresh. An `upstream.resolve` entry or an IP literal
 * cannot change under one runtime; a DNS answer is kept for DNS_REUSE_NS and then resolved and judged
 * again. Refusals are never kept: the next request asks again.
 */
import type { Destination, RequestContext } from '../context.js';
import type { Runtime } from '../runtime.js';
import { NEXT, refuse, type Stage, type StageVerdict } from '../stage.js';
import { tunnelMemo, type TunnelMemo } from '../tunnel-memo.js';

/** How long a tunnel dials the address a DNS answer gave before asking the resolver again. */
export const DNS_REUSE_NS = 30_000_000_000n;

export const destinationStage: Stage = {
  name: 'destination',
  run(ctx: RequestContext, runtime: Runtime): StageVerdict | Promise<StageVerdict> {
    const memo = tunnelMemo(ctx, runtime);
    const kept = memo?.destination;
    if (kept && (kept.until === null || ctx.timings.startNs < kept.until)) {
      ctx.destination = kept.value;
      return NEXT;
    }
    return resolve(ctx, runtime, memo);
  },
};

async function resolve(ctx: RequestContext, runtime: Runtime, memo: TunnelMemo | null): Promise<StageVerdict> {
  const target = ctx.target!;
  const resolution = await runtime.resolveDestination(target.host, target.port);
  if (!resolution.ok) return refuse(resolution.reason, resolution.detail);
  const destination: Destination = Object.freeze({ address: resolution.address, port: resolution.port, via: resolution.via });
  ctx.destination = destination;
  if (memo !== null) {
    memo.destination = { value: destination, until: resolution.via === 'dns' ? ctx.timings.startNs + DNS_REUSE_NS : null };
  }
  return NEXT;
}
