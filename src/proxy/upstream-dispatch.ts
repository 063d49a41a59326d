/**
 * Sending one (non-upgrade) request upstream through the undici pool for its dial: exactly the address
 * the SSRF guard approved, the certificate checked against the requested name, the end-to-end headers,
 * and body framing we set ourselves.
 *
 * Framing: a body the guard held whole goes with its own length; a streamed body keeps the client's
 * Content-Length, and a body the client sent chunked goes chunked (undici chunks any body of unknown
 * length, whatever the method — a GET body is never sent unframed, which an upstream would read as a
 * second request that no policy decided). `Expect` is not forwarded: Node's server already answered the
 * client's 100-continue.
 */
import { isIP } from 'node:net';
import type { RequestContext } from '../pipeline/context.js';
import { ClientGoneError } from './relay.js';
import { exchange, type UpstreamResponse } from './upstream-exchange.js';
import { replacedBody, upstreamHeaders, type ForwarderOptions } from './upstream-request.js';

export interface UpstreamCall {
  readonly response: Promise<UpstreamResponse>;
  readonly abort: (error: Error) => void;
}

export function dispatchUpstream(ctx: RequestContext, options: ForwarderOptions): UpstreamCall {
  const target = ctx.target!;
  const destination = ctx.destination!;
  const dispatcher = options.pools.dispatcherFor({
    scheme: target.scheme,
    address: destination.address,
    port: destination.port,
    servername: target.scheme === 'https' && isIP(target.host) === 0 ? target.host : null,
  });
  const headers = withoutFraming(upstreamHeaders(ctx));
  const replaced = replacedBody(ctx);
  let body: Buffer | AsyncIterable<Buffer> | null = replaced;
  if (replaced === null && hasBody(ctx)) {
    const declared = ctx.req.headers['transfer-encoding'] === undefined ? ctx.req.headers['content-length'] : undefined;
    if (declared !== undefined) headers.push('Content-Length', declared);
    body = streamedBody(ctx);
  }
  return exchange(dispatcher, {
    method: ctx.method,
    path: ctx.rewrite?.requestTarget ?? target.requestTarget,
    headers,
    body,
    responseTimeoutMs: options.responseTimeoutMs(),
  });
}

const FRAMING = new Set(['content-length', 'expect']);

function withoutFraming(headers: string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    if (name.length <= 14 && FRAMING.has(name.toLowerCase())) continue;
    kept.push(name, headers[i + 1]!);
  }
  return kept;
}

function hasBody(ctx: RequestContext): boolean {
  const headers = ctx.req.headers;
  return headers['transfer-encoding'] !== undefined || Number(headers['content-length'] ?? 0) > 0;
}

/**
 * What the guard already read (if anything), then the rest of the client's body as it arrives, counted.
 * The client's stream failing means the client left (undici ends the exchange with this error).
 */
async function* streamedBody(ctx: RequestContext): AsyncGenerator<Buffer> {
  const held = ctx.rewrite?.body;
  if (held !== undefined && held !== null && held.bytes.length > 0) yield held.bytes;
  try {
    for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
      ctx.requestBytes += chunk.length;
      yield chunk;
    }
  } catch {
    throw new ClientGoneError();
  }
  if (!ctx.req.complete) throw new ClientGoneError();
}
