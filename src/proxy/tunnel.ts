/**
 * CONNECT tunnels. The CONNECT authority is fixed for the tunnel's life; the identity proven on the
 * CONNECT is bound to it (undici authenticates the CONNECT only, then sends many requests through it).
 * The first bytes decide what the tunnel carries: a TLS ClientHello is intercepted with a leaf minted for
 * the CONNECT host (never for SNI or Host), anything that starts like an HTTP method is served as plain
 * HTTP (undici tunnels http:// URLs through CONNECT too), anything else is refused.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import type { Identity, RequestContext, TunnelInfo } from '../pipeline/context.js';

/** The reply is one write: clients that read the status line and headers in one go (global-agent) break otherwise. */
export const CONNECT_ESTABLISHED = Buffer.from('HTTP/1.1 200 Connection Established\r\n\r\n');

const TLS_HANDSHAKE_RECORD = 0x16;
const FIRST_BYTES_TIMEOUT_MS = 30_000;

export interface TunnelHandlers {
  readonly secureContextFor: (host: string) => Promise<SecureContext>;
  /** Hands a connection carrying HTTP (plain or decrypted) to the inner HTTP server. */
  readonly serve: (socket: Socket, tunnel: TunnelInfo) => void;
  /** Reports a tunnel that ended before any request could be parsed (bad TLS, not HTTP). */
  readonly fail: (tunnel: TunnelInfo, req: IncomingMessage, reason: 'client_tls_failed' | 'unsupported_protocol', detail: string) => void;
}

export function openTunnel(ctx: RequestContext, socket: Socket, head: Buffer, handlers: TunnelHandlers): void {
  const target = ctx.target!;
  const identity: Identity = ctx.identity!;
  // Start minting now, in parallel with the client's first flight; awaited only if it is TLS.
  const contextPromise = handlers.secureContextFor(target.host);
  contextPromise.catch(() => undefined); // observed below when used; never an unhandled rejection
  socket.write(CONNECT_ESTABLISHED);
  void firstChunk(socket, head).then(async (chunk) => {
    if (!chunk) {
      socket.destroy();
      return;
    }
    socket.unshift(chunk);
    const base = { id: ctx.requestId, host: target.host, port: target.port, identity };
    if (chunk[0] === TLS_HANDSHAKE_RECORD) {
      await intercept(socket, { ...base, scheme: 'https' }, contextPromise, ctx.req, handlers);
    } else if (looksLikeHttp(chunk)) {
      handlers.serve(socket, { ...base, scheme: 'http' });
      // firstChunk paused the socket, and the inner server cannot consume its handle (the outer server's
      // parser already did), so it reads through 'data' events: without this the unshifted request
      // would sit in the buffer and a plain-HTTP tunnel would hang until the client gave up.
      socket.resume();
    } else {
      handlers.fail({ ...base, scheme: 'http' }, ctx.req, 'unsupported_protocol', 'first bytes are neither TLS nor HTTP');
      socket.destroy();
    }
  });
}

async function intercept(
  socket: Socket,
  tunnel: TunnelInfo,
  contextPromise: Promise<SecureContext>,
  connectReq: IncomingMessage,
  handlers: TunnelHandlers,
): Promise<void> {
  let secureContext: SecureContext;
  try {
    secureContext = await contextPromise;
  } catch (error: unknown) {
    handlers.fail(tunnel, connectReq, 'client_tls_failed', `certificate minting failed: ${String(error)}`);
    socket.destroy();
    return;
  }
  const tlsSocket = new TLSSocket(socket, { isServer: true, secureContext, ALPNProtocols: ['http/1.1'] });
  let reported = false;
  const onHandshakeError = (error: Error & { code?: string }): void => {
    // The client did not complete TLS with our leaf: most often it does not trust the proxy CA.
    if (!reported) handlers.fail(tunnel, connectReq, 'client_tls_failed', error.code ?? error.message);
    reported = true;
    tlsSocket.destroy();
  };
  tlsSocket.on('error', onHandshakeError);
  // The inner HTTP server gets the connection only once TLS is up, so a failed handshake is reported
  // once (here) and not again as an HTTP parse error; decrypted bytes wait in the socket until then.
  tlsSocket.once('secure', () => {
    tlsSocket.off('error', onHandshakeError);
    handlers.serve(tlsSocket, tunnel);
  });
}

function firstChunk(socket: Socket, head: Buffer): Promise<Buffer | null> {
  if (head.length > 0) return Promise.resolve(head);
  return new Promise((resolve) => {
    const done = (chunk: Buffer | null): void => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.setTimeout(0);
      socket.pause();
      resolve(chunk);
    };
    const onData = (chunk: Buffer): void => done(chunk);
    const onEnd = (): void => done(null);
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    socket.setTimeout(FIRST_BYTES_TIMEOUT_MS, () => done(null));
  });
}

/** An HTTP/1.x request line starts with an upper-case token (the method). */
function looksLikeHttp(chunk: Buffer): boolean {
  const first = chunk[0] ?? 0;
  return first >= 0x41 && first <= 0x5a;
}
