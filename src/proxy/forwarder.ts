/**
 * Forwarding one request upstream and its response back, streaming with backpressure both ways
 * (the relay pauses the faster side), on pooled keep-alive connections, to exactly the address the
 * SSRF guard approved. Every failure resolves to a coded refusal; none throws and none leaves the
 * client waiting.
 */
import http from 'node:http';
import type { Readable } from 'node:stream';
import type { Refusal, RequestContext } from '../pipeline/context.js';
import type { Forwarder } from '../pipeline/runtime.js';
import { endToEndHeaders } from './hop-by-hop.js';
import { ClientGoneError, relay } from './relay.js';
import { forwardWebSocket } from './websocket.js';
import { openUpstream, timeoutThatEnded, type ForwarderOptions } from './upstream-request.js';

export type { ForwarderOptions } from './upstream-request.js';
import { classifyUpstreamError } from './upstream-errors.js';
import { ResponseBodyError, setupResponseScrub } from './response-scrub.js';
import { scrubRecordOf } from '../pipeline/scrub-record.js';

export function createForwarder(options: ForwarderOptions): Forwarder {
  return { forward: (ctx) => (ctx.upgradeHead ? forwardWebSocket(ctx, options) : forwardOnce(ctx, options)) };
}

async function forwardOnce(ctx: RequestContext, options: ForwarderOptions): Promise<Refusal | null> {
  const res = ctx.res!;
  const upstreamReq = openUpstream(ctx, options);
  ctx.timings.upstreamStartNs = options.now();
  const responded = awaitResponse(upstreamReq);
  try {
    await sendBody(ctx, upstreamReq);
    const upstreamRes = await responded;
    ctx.timings.upstreamHeadersNs = options.now();
    const body = responseBody(ctx, upstreamRes);
    if (body === null) {
      upstreamRes.destroy();
      return { reason: 'response_undecodable' };
    }
    res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.statusMessage, body.rawHeaders);
    ctx.response = { status: upstreamRes.statusCode ?? 502, bytes: 0 };
    const record = ctx.response;
    if (body.stream !== upstreamRes) flushHeadWhileHeldBack(res, record);
    body.stream.on('data', (chunk: Buffer) => {
      record.bytes += chunk.length;
    });
    await relay(body.stream, res, 'destination');
    return null;
  } catch (thrown: unknown) {
    const error = timeoutThatEnded(upstreamReq) ?? thrown;
    upstreamReq.destroy();
    // Swallow the second rejection of a response that never came (the failure is reported once, here).
    responded.catch(() => undefined);
    if (res.writableFinished) return null;
    if (error instanceof ClientGoneError) return { reason: 'client_aborted' };
    if (error instanceof ResponseBodyError) return responseBodyRefusal(error);
    return classifyUpstreamError(error, res.headersSent);
  }
}

function awaitResponse(upstreamReq: http.ClientRequest): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    upstreamReq.once('response', resolve);
    upstreamReq.once('error', reject);
  });
}

/** Streams the client's body upstream; a request without a body ends at once (no stream overhead). */
async function sendBody(ctx: RequestContext, upstreamReq: http.ClientRequest): Promise<void> {
  const req = ctx.req;
  const held = ctx.rewrite?.body ?? null;
  if (held !== null) {
    // The exfiltration guard already read these bytes (and judged them); the rest, if any, still streams.
    upstreamReq.write(held.bytes);
    if (held.complete) {
      upstreamReq.end();
      return;
    }
  }
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (!hasBody) {
    upstreamReq.end();
    return;
  }
  req.on('data', (chunk: Buffer) => {
    ctx.requestBytes += chunk.length;
  });
  await relay(req, upstreamReq, 'source');
}

/**
 * What goes back to the client: the upstream's body as is, or — when the tool's responses are scrubbed —
 * decoded and redacted as it streams (response-scrub.ts). Null: a coding that cannot be decoded, refused.
 */
function responseBody(ctx: RequestContext, upstreamRes: http.IncomingMessage): { rawHeaders: string[]; stream: Readable } | null {
  const passed = endToEndHeaders(upstreamRes.rawHeaders);
  const plan = ctx.responseScrub?.responses;
  if (plan === undefined || plan === null) return { rawHeaders: passed, stream: upstreamRes };
  const setup = setupResponseScrub(ctx.method, upstreamRes, passed, {
    createRedactor: () => plan.createBodyRedactor(),
    undecodable: plan.undecodable,
  });
  const record = scrubRecordOf(ctx);
  if (setup.kind === 'refuse') {
    record.responseBody = 'undecodable';
    return null;
  }
  record.responseBody = setup.handling;
  return setup.kind === 'relay' ? { rawHeaders: passed, stream: upstreamRes } : { rawHeaders: setup.rawHeaders, stream: setup.body };
}

/**
 * A redactor holds back a tail of the body, so the head could wait for it. A small body usually comes
 * out within this turn of the event loop, and then head and body leave in one write (one TLS record);
 * when nothing came out by the next turn, the head goes alone, as it would without scrubbing.
 */
function flushHeadWhileHeldBack(res: http.ServerResponse, record: { readonly bytes: number }): void {
  setImmediate(() => {
    if (record.bytes === 0 && !res.writableEnded && !res.destroyed) res.flushHeaders();
  });
}

function responseBodyRefusal(error: ResponseBodyError): Refusal {
  const reason = error.code === 'RESPONSE_TOO_LARGE' ? 'response_too_large' : 'response_undecodable';
  return { reason, detail: error.message };
}
