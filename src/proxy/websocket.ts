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
import { closeFrame, createFrameScrubber, type FrameScrubber } from './websocket-scrub.js';
import type { ChunkRedactor } from '../scanning/stream-redactor.js';

const UPGRADE_HEADERS = ['Connection', 'Upgrade', 'Upgrade', 'websocket'];
const POLICY_VIOLATION = 1008;

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
      const scrubbers = frameScrubbers(ctx, client, upstream);
      const toClient = scrubbers?.fromServer ?? client;
      const toUpstream = scrubbers?.fromClient ?? upstream;
      if (upstreamHead.length > 0) toClient.write(upstreamHead);
      if (ctx.upgradeHead && ctx.upgradeHead.length > 0) toUpstream.write(ctx.upgradeHead);
      splice(ctx, client, upstream, scrubbers, resolve);
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

/** Both directions with backpressure (pipe), through the frame scrubbers when there are any; either side closing closes the other. */
function splice(ctx: RequestContext, client: Socket, upstream: Socket, scrubbers: FrameScrubbers | null, done: (refusal: Refusal | null) => void): void {
  upstream.setTimeout(0); // a WebSocket may idle between pings for longer than the response timeout
  upstream.on('data', (chunk: Buffer) => (ctx.response!.bytes += chunk.length));
  client.on('data', (chunk: Buffer) => (ctx.requestBytes += chunk.length));
  if (scrubbers === null) {
    client.pipe(upstream);
    upstream.pipe(client);
  } else {
    client.pipe(scrubbers.fromClient).pipe(upstream);
    upstream.pipe(scrubbers.fromServer).pipe(client);
  }
  let finished = false;
  const finish = (refusal: Refusal | null): void => {
    if (finished) return;
    finished = true;
    client.destroy();
    upstream.destroy();
    done(refusal);
  };
  for (const side of [client, upstream]) {
    side.once('close', () => finish(null));
    side.once('error', () => finish(null));
  }
  for (const scrubber of scrubbers === null ? [] : [scrubbers.fromClient, scrubbers.fromServer]) {
    // A frame that cannot be scanned (compressed, malformed, too large): nothing more passes, both sides close.
    scrubber.once('error', (error: Error) => finish({ reason: 'websocket_unscannable', detail: error.message }));
  }
}

interface FrameScrubbers {
  readonly fromClient: FrameScrubber;
  readonly fromServer: FrameScrubber;
}

/**
 * Server text is redacted (scrub.responses); client text is judged like a request body (scrub.requests):
 * redacted, reported, or — on the first secret — the message is stopped before any byte of it leaves and
 * both sides get a 1008 policy-violation close.
 */
function frameScrubbers(ctx: RequestContext, client: Socket, upstream: Socket): FrameScrubbers | null {
  const plan = ctx.responseScrub;
  if (plan === undefined) return null;
  const passThrough = (): ChunkRedactor => ({ push: (chunk) => [chunk], end: () => [] });
  const responses = plan.responses;
  const fromServer = createFrameScrubber({
    direction: 'server-to-client',
    mode: responses === null ? 'scan' : 'redact',
    createRedactor: responses === null ? passThrough : () => responses.createMessageRedactor(),
  });
  const messages = plan.clientMessages;
  const fromClient: FrameScrubber = createFrameScrubber({
    direction: 'client-to-server',
    mode: messages?.action === 'redact' ? 'redact' : 'scan',
    createRedactor:
      messages === null
        ? passThrough
        : () => messages.createRedactor(() => {
            if (messages.action === 'block' && !fromClient.aborted) blockClientMessage(fromClient, fromServer, client, upstream);
          }),
  });
  return { fromClient, fromServer };
}

function blockClientMessage(fromClient: FrameScrubber, fromServer: FrameScrubber, client: Socket, upstream: Socket): void {
  fromClient.abort();
  fromClient.unpipe(upstream);
  fromServer.unpipe(client);
  client.end(closeFrame(POLICY_VIOLATION, 'secret blocked by mcp-egress', false));
  upstream.end(closeFrame(POLICY_VIOLATION, 'secret blocked by mcp-egress', true));
}

function rawHead(res: http.IncomingMessage, rawHeaders: readonly string[]): string {
  const lines = [`HTTP/1.1 ${res.statusCode ?? 502} ${res.statusMessage ?? ''}`];
  for (let i = 0; i < rawHeaders.length; i += 2) lines.push(`${rawHeaders[i]}: ${rawHeaders[i + 1]}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}
