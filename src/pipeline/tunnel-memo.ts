/**
 * What every request of one tunnel shares under one runtime snapshot, worked out once and reused: a tunnel
 * is bound to one CONNECT authority and one identity for life, and a runtime (policy, resolver settings,
 * scanner) never changes. The memo hangs on the tunnel and names the runtime it was made under; a request
 * judged under any other runtime (after a hot reload) starts a fresh memo, so nothing worked out under an
 * old policy survives into a new one. A closed tunnel's memo goes with it.
 */
import { authorityKey } from '../policy/host.js';
import { scopeForHost, type HostScope } from '../policy/decide.js';
import type { Scheme } from '../policy/types.js';
import type { Destination, RequestContext, TunnelInfo } from './context.js';
import type { Runtime } from './runtime.js';
import type { CredentialServices } from './stages/credentials.js';

export interface TunnelMemo {
  readonly runtime: Runtime;
  /** Host header values that name exactly the tunnel's authority, accepted without parsing. */
  readonly hostHeaders: readonly string[];
  /** The policy's view of the tunnel's tool and host (rules prefiltered by host). */
  readonly policyScope: HostScope;
  /** The last dialable destination resolved for the authority; reused until `until` (null: for good). */
  destination: { readonly value: Destination; readonly until: bigint | null } | null;
  /** Header lines of the last request whose names and values the exfiltration scan found nothing in. */
  cleanHeaders: readonly string[] | null;
  /** Token intelligence's scan and fingerprint, remembering their last input (stages/credentials.ts). */
  credentialServices: CredentialServices | null;
}

const DEFAULT_PORT: Readonly<Record<Scheme, number>> = { http: 80, https: 443 };

/**
 * The memo for this request's tunnel and runtime, or null outside a tunnel or when the request is not
 * (yet) bound to the tunnel's authority and identity: callers then take the general path.
 */
export function tunnelMemo(ctx: RequestContext, runtime: Runtime): TunnelMemo | null {
  const tunnel = ctx.tunnel;
  if (tunnel === null) return null;
  const target = ctx.target;
  if (target !== undefined && (target.host !== tunnel.host || target.port !== tunnel.port)) return null;
  if (ctx.identity?.tool !== tunnel.identity.tool) return null;
  const memo = tunnel.memo;
  if (memo !== undefined && memo.runtime === runtime) return memo;
  if (!Object.isExtensible(tunnel)) return null; // a frozen tunnel record cannot hold one: general path
  const fresh = newMemo(tunnel, runtime);
  // Not enumerable: the memo holds header lines and a credential (and the runtime holds the config's
  // secrets), so a tunnel record that ever reaches a log or JSON.stringify() must not carry it along.
  Object.defineProperty(tunnel, 'memo', { value: fresh, writable: true, configurable: true, enumerable: false });
  return fresh;
}

function newMemo(tunnel: TunnelInfo, runtime: Runtime): TunnelMemo {
  // `Host: api.example.test:443` and, on the scheme's default port, `Host: api.example.test`: what
  // parseHostHeader() reads as exactly this authority when written in canonical form (IPv6 bracketed).
  const named = authorityKey(tunnel.host, tunnel.port);
  const bare = named.slice(0, named.lastIndexOf(':'));
  const hostHeaders = tunnel.port === DEFAULT_PORT[tunnel.scheme] ? [named, bare] : [named];
  return {
    runtime,
    hostHeaders,
    policyScope: scopeForHost(runtime.policy, tunnel.identity.tool, tunnel.host),
    destination: null,
    cleanHeaders: null,
    credentialServices: null,
  };
}

/** Whether two header lists ([name, value, …]) are the same lines in the same order. */
export function sameHeaderLines(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
