/**
 * How a refusal reaches the client: a coded JSON reply when nothing was sent yet, otherwise the
 * connection is cut (HTTP/1.1 has no way to signal failure after the head went out, and a clean end
 * would pass a truncated body off as complete).
 */
import type { Socket } from 'node:net';
import { errorReply, rawErrorReply } from '../errors/map.js';
import type { Refusal, RequestContext } from '../pipeline/context.js';

export function writeRefusal(ctx: RequestContext, refusal: Refusal): void {
  if (refusal.reason === 'client_aborted') return;
  const res = ctx.res;
  if (!res) {
    // CONNECT or WebSocket upgrade: a raw reply, unless the upgrade's 101 already went out.
    if (ctx.response) ctx.req.socket.destroy();
    else writeRawAndClose(ctx.req.socket, refusal, ctx.requestId);
    return;
  }
  if (res.headersSent || res.destroyed) {
    res.destroy();
    ctx.req.socket.destroy();
    return;
  }
  const reply = errorReply(refusal.reason, ctx.requestId);
  ctx.response = { status: reply.status, bytes: Buffer.byteLength(reply.body) };
  // A refused request's unread body would otherwise be parsed as the next request on this connection.
  // A request that declares no body (RFC 9112 §6.3) has none to leave behind, even while Node has not yet
  // marked it complete (a refusal decided in the tick its head arrived): its connection stays open.
  if (!ctx.req.complete && declaresBody(ctx.req)) res.shouldKeepAlive = false;
  res.writeHead(reply.status, reply.headers);
  res.end(reply.body);
}

function declaresBody(req: RequestContext['req']): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** CONNECT refusals: no ServerResponse exists, so the reply is written in one piece and the socket ends. */
export function writeRawAndClose(socket: Socket, refusal: Refusal, requestId: string): void {
  if (socket.destroyed) return;
  socket.end(rawErrorReply(refusal.reason, requestId));
}
