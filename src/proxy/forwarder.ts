/**
 * Forwarding one request upstream and its response back, streaming with backpressure both ways
 * (the relay pauses the faster side), on pooled keep-alive connections, to exactly the address the
 * SSRF guard approved. Every failure resolves to a coded refusal; none throws and none leaves the
 * client waiting.
 */
import type http from 'node:http';
import type { Refusal, RequestContext } from '../pipeline/context.js';
import type { Forwarder } from '../pipeline/runtime.js';
import { ClientGoneError, relay } from './relay.js';
import { forwardWebSocket } from './websocket.js';
import type { ForwarderOptions } from './upstream-request.js';
import { dispatchUpstream } from './upstream-dispatch.js';

export type { ForwarderOptions } from './upstream-request.js';
import { classifyUpstreamError } from './upstream-errors.js';
import { ResponseBodyError } from './response-scrub.js';
import { responseBody } from './response-body.js';

export function createForwarder(options: ForwarderOptions): Forwarder {
  return { forward: (ctx) => (ctx.upgradeHead ? forwardWebSocket(ctx, options) : forwardOnce(ctx, options)) };
}

async function forwardOnce(ctx: RequestContext, options: ForwarderOptions): Promise<Refusal | null> {
  const res = ctx.res!;
  ctx.timings.upstreamStartNs = options.now();
  const call = dispatchUpstream(ctx, options);
  try {
    const upstreamRes = await call.response;
    ctx.timings.upstreamHeadersNs = options.now();
    if (res.destroyed) throw new ClientGoneError(); // the client left while the upstream was answering
    const body = await responseBody(ctx, upstreamRes);
    if (body.kind === 'refuse') return { reason: 'response_undecodable' };
    if (body.kind === 'whole') {
      res.writeHead(upstreamRes.statusCode, upstreamRes.statusMessage, [...body.rawHeaders, 'Content-Length', String(body.bytes.length)]);
      ctx.response = { status: upstreamRes.statusCode, bytes: body.bytes.length };
      await endWhole(res, body.bytes);
      return null;
    }
    res.writeHead(upstreamRes.statusCode, upstreamRes.statusMessage, body.rawHeaders);
    ctx.response = { status: upstreamRes.statusCode, bytes: 0 };
    const record = ctx.response;
    if (body.heldBack) flushHeadWhileHeldBack(res, record);
    body.stream.on('data', (chunk: Buffer) => {
      record.bytes += chunk.length;
    });
    await relay(body.stream, res, 'destination');
    return null;
  } catch (error: unknown) {
    call.abort(error instanceof Error ? error : new Error(String(error)));
    if (res.writableFinished) return null;
    if (error instanceof ClientGoneError) return { reason: 'client_aborted' };
    if (error instanceof ResponseBodyError) return responseBodyRefusal(error);
    return classifyUpstreamError(error, res.headersSent);
  }
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

/**
 * A small scrubbed body goes out whole: head and body in one write with its own Content-Length, instead of
 * a chunked stream whose head, data and last chunk leave in separate writes (each a TLS record and a
 * system call). Settles when the bytes were handed to the client's connection.
 */
function endWhole(res: http.ServerResponse, bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const onClose = (): void => {
      if (!res.writableFinished) reject(new ClientGoneError());
    };
    res.once('close', onClose);
    res.end(bytes, () => {
      res.off('close', onClose);
      resolve();
    });
  });
}

function responseBodyRefusal(error: ResponseBodyError): Refusal {
  const reason = error.code === 'RESPONSE_TOO_LARGE' ? 'response_too_large' : 'response_undecodable';
  return { reason, detail: error.message };
}
