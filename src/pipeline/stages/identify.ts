/**
 * Who is calling. Inside a tunnel the identity was bound at CONNECT (undici sends many requests through
 * one CONNECT and only authenticates the CONNECT). Otherwise it comes from this request's
 * Proxy-Authorization. With no tools configured, anonymous use is allowed: the policy then only reports.
 */
import { LAUNCH_HEADER, parseLaunchAttestation } from '../../identity/launch-attestation.js';
import type { Identity, RequestContext } from '../context.js';
import type { Runtime } from '../runtime.js';
import { NEXT, refuse, type Stage, type StageVerdict } from '../stage.js';

export const ANONYMOUS: Identity = Object.freeze({
  tool: null,
  actor: Object.freeze({ principal: 'anonymous', type: 'unknown' as const, source: 'none' as const }),
});

export const identifyStage: Stage = {
  name: 'identify',
  run(ctx: RequestContext, runtime: Runtime): StageVerdict {
    if (ctx.tunnel) {
      ctx.identity = ctx.tunnel.identity;
      return NEXT;
    }
    const identity = identifyByHeader(ctx.req.headers['proxy-authorization'], runtime);
    if ('reason' in identity) return refuse(identity.reason);
    ctx.identity = withLaunch(identity, ctx.req.headers[LAUNCH_HEADER]);
    return NEXT;
  },
};

/**
 * The launch attestation rides with the credential that was just accepted: on a CONNECT it becomes part
 * of the tunnel's identity, so every request inside inherits it. Malformed or absent: no `launch`.
 */
function withLaunch(identity: Identity, header: string | string[] | undefined): Identity {
  const launch = parseLaunchAttestation(header);
  return launch ? { tool: identity.tool, actor: identity.actor, launch } : identity;
}

export function identifyByHeader(
  header: string | undefined,
  runtime: Runtime,
): Identity | { reason: 'proxy_auth_missing' | 'proxy_auth_invalid' } {
  if (runtime.config.tools.size === 0) return ANONYMOUS;
  const result = runtime.verifier.verify(header);
  if (!result.ok) return { reason: result.reason };
  const tool = runtime.config.tools.get(result.tool);
  if (!tool) return { reason: 'proxy_auth_invalid' };
  return { tool: tool.name, actor: { principal: tool.actor.principal, type: tool.actor.type, source: 'config' } };
}
