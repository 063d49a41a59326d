/**
 * What is being asked for. Inside a tunnel the authority is the CONNECT target, full stop: the Host header
 * must name the same host and port (http-mitm-proxy dialled the inner Host; we refuse a mismatch as
 * `host_mismatch`). Outside a tunnel only absolute-form targets are accepted.
 */
import { normalizeHost } from '../../policy/host.js';
import { normalizePath } from '../../policy/path.js';
import type { Scheme } from '../../policy/types.js';
import type { RequestContext, Target, TunnelInfo } from '../context.js';
import type { Runtime } from '../runtime.js';
import { NEXT, refuse, type Stage, type StageVerdict } from '../stage.js';
import { tunnelMemo } from '../tunnel-memo.js';

const DEFAULT_PORT: Readonly<Record<Scheme, number>> = { http: 80, https: 443 };

export const targetStage: Stage = {
  name: 'target',
  run(ctx: RequestContext, runtime: Runtime): StageVerdict {
    const authority = ctx.tunnel ? tunnelAuthority(ctx, runtime) : absoluteAuthority(ctx.rawTarget);
    if ('reason' in authority) {
      // Inside a tunnel the authority is known whatever the request said: the audit records it.
      if (ctx.tunnel) ctx.target = tunnelTarget(ctx.tunnel, ctx.rawTarget);
      return refuse(authority.reason, authority.detail);
    }
    const pathAndQuery = ctx.tunnel ? originForm(ctx.rawTarget) : authority.pathAndQuery;
    if (pathAndQuery === null) return refuse('bad_target', 'request-target is not origin-form');
    const normalized = normalizePath(pathAndQuery);
    const queryStart = pathAndQuery.indexOf('?');
    const rawPath = queryStart < 0 ? pathAndQuery : pathAndQuery.slice(0, queryStart);
    const target: Target = {
      scheme: authority.scheme,
      host: authority.host,
      port: authority.port,
      path: normalized.ok ? normalized.path : rawPath,
      pathAmbiguous: !normalized.ok,
      query: queryStart < 0 ? '' : pathAndQuery.slice(queryStart + 1),
      requestTarget: pathAndQuery,
    };
    ctx.target = target;
    return NEXT;
  },
};

/** The target a tunnel fixes whatever a request inside it says (for the audit of refusals and failures). */
export function tunnelTarget(tunnel: TunnelInfo, rawTarget = '/'): Target {
  const path = rawTarget.startsWith('/') ? rawTarget.split('?')[0] ?? '/' : '/';
  return { scheme: tunnel.scheme, host: tunnel.host, port: tunnel.port, path, pathAmbiguous: false, query: '', requestTarget: '/' };
}

type Authority =
  | { scheme: Scheme; host: string; port: number; pathAndQuery: string }
  | { reason: 'bad_target' | 'host_mismatch'; detail: string };

function tunnelAuthority(ctx: RequestContext, runtime: Runtime): Authority {
  const tunnel = ctx.tunnel!;
  const hostHeader = ctx.req.headers.host;
  if (hostHeader !== undefined && !namesTunnelExactly(hostHeader, ctx, runtime)) {
    const named = parseHostHeader(hostHeader, tunnel.scheme);
    if (!named || named.host !== tunnel.host || named.port !== tunnel.port) {
      return { reason: 'host_mismatch', detail: 'Host header differs from the CONNECT authority' };
    }
  }
  if (ctx.rawTarget.startsWith('http://') || ctx.rawTarget.startsWith('https://')) {
    // An absolute-form target inside a tunnel must name the tunnel's authority too.
    const abs = absoluteAuthority(ctx.rawTarget);
    if ('reason' in abs) return abs;
    if (abs.host !== tunnel.host || abs.port !== tunnel.port) {
      return { reason: 'host_mismatch', detail: 'absolute-form target differs from the CONNECT authority' };
    }
    return { ...abs, scheme: tunnel.scheme };
  }
  return { scheme: tunnel.scheme, host: tunnel.host, port: tunnel.port, pathAndQuery: ctx.rawTarget };
}

/**
 * The usual Host header is the tunnel's authority spelled canonically (`api.example.test` or
 * `api.example.test:443`): string equality settles it without URL parsing. Any other spelling, matching
 * or not, is judged by parseHostHeader(); this only ever accepts what that would accept.
 */
function namesTunnelExactly(hostHeader: string, ctx: RequestContext, runtime: Runtime): boolean {
  const memo = tunnelMemo(ctx, runtime);
  return memo !== null && memo.hostHeaders.includes(hostHeader);
}

function absoluteAuthority(rawTarget: string): Authority {
  let url: URL;
  try {
    url = new URL(rawTarget);
  } catch {
    return { reason: 'bad_target', detail: 'not an absolute URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { reason: 'bad_target', detail: 'scheme is not http or https' };
  }
  if (url.username || url.password) return { reason: 'bad_target', detail: 'userinfo in request-target' };
  const scheme = url.protocol === 'http:' ? 'http' : 'https';
  const host = normalizeHost(url.hostname);
  if (!host.ok) return { reason: 'bad_target', detail: host.problem };
  const port = url.port === '' ? DEFAULT_PORT[scheme] : Number(url.port);
  // The raw path, not url.pathname: URL parsing already resolves dot segments and would hide
  // a traversal attempt from normalizePath, which must see (and judge) what the client sent.
  return { scheme, host: host.host, port, pathAndQuery: pathAfterAuthority(rawTarget) };
}

export function parseHostHeader(value: string, scheme: Scheme): { host: string; port: number } | null {
  let url: URL;
  try {
    url = new URL(`${scheme}://${value.trim()}/`);
  } catch {
    return null;
  }
  if (url.pathname !== '/' || url.username || url.password) return null;
  const host = normalizeHost(url.hostname);
  if (!host.ok) return null;
  return { host: host.host, port: url.port === '' ? DEFAULT_PORT[scheme] : Number(url.port) };
}

function originForm(rawTarget: string): string | null {
  if (rawTarget.startsWith('/')) return rawTarget;
  if (rawTarget.startsWith('http://') || rawTarget.startsWith('https://')) return pathAfterAuthority(rawTarget);
  return null;
}

/** `http://h:1/a?b#c` -> `/a?b`; `http://h?b` -> `/?b`. The fragment never goes on the wire. */
function pathAfterAuthority(absolute: string): string {
  const start = absolute.indexOf('//') + 2;
  let end = start;
  while (end < absolute.length && !'/?#'.includes(absolute[end]!)) end++;
  const rest = absolute.slice(end);
  const hash = rest.indexOf('#');
  const withoutFragment = hash < 0 ? rest : rest.slice(0, hash);
  return withoutFragment.startsWith('/') ? withoutFragment : `/${withoutFragment}`;
}
