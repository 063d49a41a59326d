/**
 * WebSocket upgrades (Slack Socket Mode, streaming APIs): the upgrade request goes through the same
 * pipeline as any request (identity, policy on GET + path, SSRF guard, credentials, one audit event);
 * once the upstream answers 101 both sockets are spliced together. `Connection: Upgrade` and
 * `Upgrade: websocket` are the only hop-by-hop headers passed on, as RFC 6455 requires.
 */
import type http from 'node:http';
import type { Socket } from 'node:net';
import type { Refusal, RequestContext } from '../pipeline/context.js';
import { openUpstream, type ForwarderOptions } from './upstream-request.js';
import { endToEndHeaders } from './hop-by-hop.js';
import { classifyUpstreamError } from './upstream-errors.js';

const UPGRADE_HEADERS = ['Connection', 'Upgrade', 'Upgrade', 'websocket'];

export function isWebSocketUpgrade(req: http.IncomingMessage): boolean {
  return (req.headers.upgrade ?? '').toLowerCase() === 'websocket';
}

export function forwardWebSocket(ctx: RequestContext, options: ForwarderOptions): Promise<Refusal | null> {
  const client = ctx.req.socket;
  const upstreamReq = openUpstream(ctx, options, UPGRADE_HEADERS);
  ctx.timings.upstreamStartNs = options.now();
  return new Promise((resolve) => {
    upstreamReq.once('upgrade', (upstreamRes: http.IncomingMessage, upstream: Socket, upstreamHead: Buffer) => {
      ctx.timings.upstreamHeadersNs = options.now();
      ctx.response = { status: 101, bytes: 0 };
      client.write(rawHead(upstreamRes, upstreamRes.rawHeaders));
      if (upstreamHead.length > 0) client.write(upstreamHead);
      if (ctx.upgradeHead && ctx.upgradeHead.length > 0) upstream.write(ctx.upgradeHead);
      splice(ctx, client, upstream, () => resolve(null));
    });
    upstreamReq.once('response', (upstreamRes: http.IncomingMessage) => {
      // The upstream declined the upgrade (401, 403, 426…): the client sees that answer as is.
      ctx.timings.upstreamHeadersNs = options.now();
      ctx.response = { status: upstreamRes.statusCode ?? 502, bytes: 0 };
      client.write(rawHead(upstreamRes, [...endToEndHeaders(upstreamRes.rawHeaders), 'Connection', 'close']));
      upstreamRes.on('data', (chunk: Buffer) => (ctx.response!.bytes += chunk.length));
      upstreamRes.pipe(client);
      upstreamRes.once('end', () => resolve(null));
      upstreamRes.once('error', (error) => resolve(classifyUpstreamError(error, true)));
    });
    upstreamReq.once('error', (error) => resolve(classifyUpstreamError(error, ctx.response !== undefined)));
    upstreamReq.end();
  });
}

/** Both directions with backpressure (pipe); either side closing closes the other. */
function splice(ctx: RequestContext, client: Socket, upstream: Socket, done: () => void): void {
  upstream.setTimeout(0); // a WebSocket may idle between pings for longer than the response timeout
  upstream.on('data', (chunk: Buffer) => (ctx.response!.bytes += chunk.length));
  client.on('data', (chunk: Buffer) => (ctx.requestBytes += chunk.length));
  client.pipe(upstream);
  upstream.pipe(client);
  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    client.destroy();
    upstream.destroy();
    done();
  };
  for (const side of [client, upstream]) {
    side.once('close', finish);
    side.once('error', finish);
  }
}

function rawHead(res: http.IncomingMessage, rawHeaders: readonly string[]): string {
  const lines = [`HTTP/1.1 ${res.statusCode ?? 502} ${res.statusMessage ?? ''}`];
  for (let i = 0; i < rawHeaders.length; i += 2) lines.push(`${rawHeaders[i]}: ${rawHeaders[i + 1]}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}
