/**
 * CONNECT-time stages. The authority of the CONNECT line is the only target the tunnel will ever reach;
 * a tool with no rule for that host is refused before any TLS work (in enforce mode).
 */
import { hostReachable } from '../../policy/decide.js';
import { normalizeHost } from '../../policy/host.js';
import type { Decision } from '../../policy/types.js';
import type { RequestContext } from '../context.js';
import type { Runtime } from '../runtime.js';
import { denialCode, NEXT, refuse, type Stage, type StageVerdict } from '../stage.js';

export const connectTargetStage: Stage = {
  name: 'connect-target',
  run(ctx: RequestContext): StageVerdict {
    const authority = parseConnectAuthority(ctx.rawTarget);
    if (!authority) return refuse('bad_target', 'CONNECT target is not host:port');
    // Scheme is provisional (https) until the first bytes show TLS or plain HTTP; policy for the
    // requests inside uses the scheme the tunnel turns out to carry.
    ctx.target = { scheme: 'https', host: authority.host, port: authority.port, path: '/', pathAmbiguous: false, query: '', requestTarget: '/' };
    return NEXT;
  },
};

export const connectPolicyStage: Stage = {
  name: 'connect-policy',
  run(ctx: RequestContext, runtime: Runtime): StageVerdict {
    const target = ctx.target!;
    const tool = ctx.identity?.tool ?? null;
    // The tunnel's scheme is not known yet: it may carry TLS or plain HTTP (undici tunnels http:// URLs,
    // also to port 80), so the host is reachable if either scheme's rules admit this port.
    const asHttps = hostReachable(runtime.policy, tool, 'https', target.host, target.port);
    const decision = asHttps.action === 'allow' ? asHttps : pickReachable(asHttps, hostReachable(runtime.policy, tool, 'http', target.host, target.port));
    ctx.decision = decision;
    return decision.action === 'deny' ? refuse(denialCode(decision.reason)) : NEXT;
  },
};

function pickReachable(asHttps: Decision, asHttp: Decision): Decision {
  return asHttp.action === 'allow' ? asHttp : asHttps;
}

/** `host:port` or `[v6]:port`; the port is mandatory in CONNECT (RFC 9110 §9.3.6). */
export function parseConnectAuthority(raw: string): { host: string; port: number } | null {
  const colon = raw.lastIndexOf(':');
  if (colon <= 0) return null;
  const hostPart = raw.slice(0, colon);
  const portPart = raw.slice(colon + 1);
  if (!/^[0-9]{1,5}$/.test(portPart)) return null;
  const port = Number(portPart);
  if (port < 1 || port > 65535) return null;
  if (hostPart.includes(':') && !(hostPart.startsWith('[') && hostPart.endsWith(']'))) return null;
  const host = normalizeHost(hostPart);
  return host.ok ? { host: host.host, port } : null;
}
