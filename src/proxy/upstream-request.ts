/**
 * Opening one upstream request: to exactly the address the SSRF guard approved, with the end-to-end
 * headers, `Host` from the CONNECT authority, certificate identity checked against the requested name,
 * and connect and idle timeouts armed. Shared by plain forwarding and WebSocket upgrades.
 */
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { RequestContext } from '../pipeline/context.js';
import { endToEndHeaders } from './hop-by-hop.js';
import { scrubbableAcceptEncoding } from './content-coding.js';
import { stripExtensionsOffer } from './websocket-scrub.js';
import { UpstreamTimeoutError } from './upstream-errors.js';
import type { UpstreamAgents } from './upstream-agents.js';
import type { UpstreamPools } from './upstream-pools.js';

export interface ForwarderOptions {
  /** Node agents, for WebSocket upgrades. */
  readonly agents: UpstreamAgents;
  /** undici pools, for every other request. */
  readonly pools: UpstreamPools;
  readonly connectTimeoutMs: () => number;
  readonly responseTimeoutMs: () => number;
  readonly now: () => bigint;
}

const DEFAULT_PORT = { http: 80, https: 443 } as const;

/**
 * The end-to-end headers every upstream request carries: the client's (or the exfiltration guard's
 * rewrite of them) without hop-by-hop headers, `Host` from the CONNECT authority first, and for a scrubbed
 * exchange only codings and extensions we can read. Body framing is added by the caller.
 */
export function upstreamHeaders(ctx: RequestContext): string[] {
  const target = ctx.target!;
  let headers = endToEndHeaders(ctx.rewrite?.rawHeaders ?? ctx.req.rawHeaders);
  // Scrubbed WebSocket frames must be readable: no permessage-deflate may be negotiated.
  if (ctx.upgradeHead !== null && ctx.responseScrub !== undefined) headers = stripExtensionsOffer(headers);
  if (ctx.responseScrub?.responses) offerOnlyDecodableCodings(headers);
  headers.unshift('Host', hostHeader(target.scheme, target.host, target.port));
  return headers;
}

/** The body bytes the exfiltration guard already read whole (and may have redacted); null: none held whole. */
export function replacedBody(ctx: RequestContext): Buffer | null {
  const held = ctx.rewrite?.body;
  return held?.complete === true ? held.bytes : null;
}

/** A Node http request upstream (WebSocket upgrades; plain requests go through undici, upstream-dispatch.ts). */
export function openUpstream(ctx: RequestContext, options: ForwarderOptions, extraHeaders: readonly string[] = []): http.ClientRequest {
  const target = ctx.target!;
  const destination = ctx.destination!;
  const isHttps = target.scheme === 'https';
  const replaced = replacedBody(ctx);
  const headers = upstreamHeaders(ctx);
  if (replaced === null) headers.push(...bodyFraming(ctx.req), ...extraHeaders);
  else headers.splice(0, headers.length, ...withContentLength(headers, replaced.length), ...extraHeaders);
  const requestOptions: https.RequestOptions = {
    agent: isHttps ? options.agents.https : options.agents.http,
    host: destination.address, // dial exactly the approved address: no second DNS lookup
    port: destination.port,
    method: ctx.method,
    path: ctx.rewrite?.requestTarget ?? target.requestTarget,
    headers: headers as unknown as http.OutgoingHttpHeaders, // Node accepts a flat raw header list
    setHost: false,
  };
  // Certificate identity is checked against the name the tool asked for, not the dialled address.
  if (isHttps && isIP(target.host) === 0) requestOptions.servername = target.host;
  const upstreamReq = (isHttps ? https : http).request(requestOptions);
  armTimeouts(upstreamReq, options, () => ctx.res?.writableNeedDrain === true);
  return upstreamReq;
}

/**
 * A body the client framed with Transfer-Encoding goes upstream chunked, whatever the method. The client's
 * Transfer-Encoding is hop-by-hop and dropped, and Node never chunks a GET, DELETE or OPTIONS body by
 * default: it would send the bytes unframed and the upstream would parse them as a second request that
 * no policy decided and no audit event records (request smuggling).
 */
function bodyFraming(req: http.IncomingMessage): string[] {
  return req.headers['transfer-encoding'] === undefined ? [] : ['Transfer-Encoding', 'chunked'];
}

/** A scrubbed response must be decoded first: ask only for codings we can decode (no zstd). */
function offerOnlyDecodableCodings(headers: string[]): void {
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i]!.toLowerCase() === 'accept-encoding') headers[i + 1] = scrubbableAcceptEncoding(headers[i + 1]) ?? 'identity';
  }
}

/** The exfiltration guard held the whole body (and may have redacted it): it goes with its own length. */
function withContentLength(headers: readonly string[], length: number): string[] {
  const kept: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i]!.toLowerCase() !== 'content-length') kept.push(headers[i]!, headers[i + 1]!);
  }
  kept.push('Content-Length', String(length));
  return kept;
}

function hostHeader(scheme: 'http' | 'https', host: string, port: number): string {
  const name = host.includes(':') ? `[${host}]` : host;
  return port === DEFAULT_PORT[scheme] ? name : `${name}:${port}`;
}

/** Connect timeout while dialling, then an idle timeout for as long as the exchange lasts. */
// Which timeout ended a request: once the response has begun, Node reports the destroy to the response
// stream only as a generic "aborted", so the forwarder asks here for the real cause.
const timeouts = new WeakMap<http.ClientRequest, UpstreamTimeoutError>();

export function timeoutThatEnded(upstreamReq: http.ClientRequest): UpstreamTimeoutError | undefined {
  return timeouts.get(upstreamReq);
}

function endWithTimeout(upstreamReq: http.ClientRequest, error: UpstreamTimeoutError): void {
  timeouts.set(upstreamReq, error);
  upstreamReq.destroy(error);
}

function armTimeouts(upstreamReq: http.ClientRequest, options: ForwarderOptions, clientStalled: () => boolean): void {
  upstreamReq.setTimeout(options.responseTimeoutMs(), () => {
    // The upstream socket also goes quiet when backpressure paused it for a client that stopped reading:
    // then the client, not the upstream, is at fault, and the audit must say so.
    endWithTimeout(upstreamReq, new UpstreamTimeoutError(clientStalled() ? 'client' : 'response'));
  });
  upstreamReq.once('socket', (socket) => {
    if (!socket.connecting) return; // reused keep-alive socket
    const timer = setTimeout(() => endWithTimeout(upstreamReq, new UpstreamTimeoutError('connect')), options.connectTimeoutMs());
    timer.unref();
    const clear = (): void => clearTimeout(timer);
    // The dial ends when TLS is up, not at the TCP connect: a handshake that hangs is a connect timeout.
    socket.once(socket instanceof TLSSocket ? 'secureConnect' : 'connect', clear);
    socket.once('close', clear);
  });
}

