/**
 * The transport adapter: an HTTP proxy listener (absolute-form requests and CONNECT) and an inner HTTP
 * server that serves what arrives through tunnels. Both feed the same request pipeline; the transport's
 * own jobs are framing, TLS, tunnel binding, and never letting a failure crash the process or leave a
 * client hanging.
 */
import http, { IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { SecureContext } from 'node:tls';
import type { OutcomeObserver, Refusal, RequestContext, TunnelInfo } from '../pipeline/context.js';
import { buildOutcome, runPipeline } from '../pipeline/run.js';
import type { Runtime } from '../pipeline/runtime.js';
import { CONNECT_STAGES, REQUEST_STAGES } from '../pipeline/stages/index.js';
import { tunnelTarget } from '../pipeline/stages/target.js';
import { newContext, type Clock } from './context-factory.js';
import { writeRawAndClose, writeRefusal } from './refusal-writer.js';
import { openTunnel } from './tunnel.js';
import { isWebSocketUpgrade } from './websocket.js';
import { trackConnections, type ConnectionTracker } from './connections.js';

export interface ProxyServerDeps {
  /** The current runtime snapshot (swapped whole on reload). */
  readonly runtime: () => Runtime;
  readonly secureContextFor: (host: string) => Promise<SecureContext>;
  readonly observe: OutcomeObserver;
  readonly clock: Clock;
  readonly onTunnelChange?: (delta: 1 | -1) => void;
  /** Client TCP connections to the proxy port opened (+1) and closed (-1). */
  readonly onConnectionChange?: (delta: 1 | -1) => void;
}

export interface ProxyServer {
  listen(host: string, port: number): Promise<AddressInfo>;
  /** Stops accepting, lets in-flight exchanges finish for up to `graceMs`, then cuts what is left. */
  close(graceMs: number): Promise<void>;
}

const KEEP_ALIVE_TIMEOUT_MS = 65_000;
const HEADERS_TIMEOUT_MS = 30_000;

export function createProxyServer(deps: ProxyServerDeps): ProxyServer {
  const tunnels = new WeakMap<Socket, TunnelInfo>();
  const outer = http.createServer({ keepAlive: true, requireHostHeader: false });
  const inner = http.createServer({ keepAlive: true, requireHostHeader: false });
  const tracker = trackConnections();
  outer.on('connection', (socket: Socket) => {
    deps.onConnectionChange?.(1);
    socket.once('close', () => deps.onConnectionChange?.(-1));
  });
  for (const server of [outer, inner]) {
    server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
    server.headersTimeout = HEADERS_TIMEOUT_MS;
    server.on('request', (req, res) => void handleRequest(req, res, tunnels.get(req.socket) ?? null, deps, tracker));
    server.on('clientError', (error, socket) => onClientError(error, socket as Socket, tunnels.get(socket as Socket) ?? null, deps));
    server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      const tunnel = tunnels.get(socket) ?? null;
      if (isWebSocketUpgrade(req)) void handleWebSocket(req, socket, head, tunnel, deps, tracker);
      else refuseUpgrade(req, socket, tunnel, deps);
    });
  }
  outer.on('connect', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    void handleConnect(req, socket, head, { deps, inner, tunnels, tracker });
  });
  return {
    listen: (host, port) => listen(outer, host, port),
    close: (graceMs) => tracker.drain([outer, inner], graceMs),
  };
}

async function handleRequest(
  req: IncomingMessage,
  res: http.ServerResponse,
  tunnel: TunnelInfo | null,
  deps: ProxyServerDeps,
  tracker: ConnectionTracker,
): Promise<void> {
  if (tracker.draining) res.shouldKeepAlive = false;
  await runTracked(newContext('request', req, res, tunnel, deps.clock), deps, tracker);
}

/** A WebSocket upgrade runs the request pipeline; the forwarder splices the sockets after a 101. */
async function handleWebSocket(
  req: IncomingMessage,
  socket: Socket,
  head: Buffer,
  tunnel: TunnelInfo | null,
  deps: ProxyServerDeps,
  tracker: ConnectionTracker,
): Promise<void> {
  socket.on('error', () => socket.destroy());
  await runTracked(newContext('request', req, null, tunnel, deps.clock, head), deps, tracker);
}

/** The request pipeline, counted as in flight so a graceful shutdown waits for it. */
async function runTracked(ctx: RequestContext, deps: ProxyServerDeps, tracker: ConnectionTracker): Promise<void> {
  const finished = tracker.requestStarted();
  try {
    await runPipeline(ctx, pipelineOptions(REQUEST_STAGES, deps));
  } finally {
    finished();
  }
}

interface ConnectScope {
  readonly deps: ProxyServerDeps;
  readonly inner: http.Server;
  readonly tunnels: WeakMap<Socket, TunnelInfo>;
  readonly tracker: ConnectionTracker;
}

async function handleConnect(req: IncomingMessage, socket: Socket, head: Buffer, scope: ConnectScope): Promise<void> {
  const { deps, inner, tunnels, tracker } = scope;
  // From here the socket is ours alone (Node detached it from the HTTP parser): errors must be handled
  // here or they would crash the process.
  socket.on('error', () => socket.destroy());
  const ctx = newContext('connect', req, null, null, deps.clock);
  if (tracker.draining) {
    writeRawAndClose(socket, { reason: 'shutting_down' }, ctx.requestId);
    return;
  }
  const accepted = await runPipeline(ctx, { ...pipelineOptions(CONNECT_STAGES, deps), observeSuccess: false });
  if (!accepted || socket.destroyed) return;
  tracker.tunnelOpened(socket);
  deps.onTunnelChange?.(1);
  socket.once('close', () => deps.onTunnelChange?.(-1));
  openTunnel(ctx, socket, head, {
    secureContextFor: deps.secureContextFor,
    serve: (conn, tunnel) => {
      tunnels.set(conn, tunnel);
      inner.emit('connection', conn);
    },
    fail: (tunnel, connectReq, reason, detail) => observeTunnelFailure(tunnel, connectReq, reason, detail, deps),
  });
}

function pipelineOptions(stages: typeof REQUEST_STAGES, deps: ProxyServerDeps) {
  return { stages, runtime: deps.runtime(), writeRefusal, observe: deps.observe, now: deps.clock.mono };
}

/** A tunnel that failed before any request: one audit event, with the tunnel's identity and authority. */
function observeTunnelFailure(
  tunnel: TunnelInfo,
  connectReq: IncomingMessage,
  reason: 'client_tls_failed' | 'unsupported_protocol',
  detail: string,
  deps: ProxyServerDeps,
): void {
  const ctx = newContext('connect', connectReq, null, tunnel, deps.clock);
  ctx.identity = tunnel.identity;
  ctx.target = tunnelTarget(tunnel);
  ctx.refusal = { reason, detail };
  ctx.timings.endNs = deps.clock.mono();
  observeSafely(ctx, deps);
}

/** Unparseable requests (outside or inside a tunnel): a coded 400, the connection closed, one audit event. */
function onClientError(error: Error & { code?: string }, socket: Socket, tunnel: TunnelInfo | null, deps: ProxyServerDeps): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  refuseOnSocket(new IncomingMessage(socket), socket, tunnel, { reason: 'bad_request', detail: error.code ?? error.message }, deps);
}

/** Upgrades to anything but WebSocket (h2c, TLS upgrade) are refused with a coded reply, and audited. */
function refuseUpgrade(req: IncomingMessage, socket: Socket, tunnel: TunnelInfo | null, deps: ProxyServerDeps): void {
  socket.on('error', () => socket.destroy());
  const refusal = { reason: 'unsupported_protocol', detail: `upgrade to ${req.headers.upgrade ?? 'unknown'}` } as const;
  refuseOnSocket(req, socket, tunnel, refusal, deps);
}

/** A refusal that never reaches the pipeline (no parsed request to run it on): raw 400, close, audit. */
function refuseOnSocket(req: IncomingMessage, socket: Socket, tunnel: TunnelInfo | null, refusal: Refusal, deps: ProxyServerDeps): void {
  const ctx = newContext('request', req, null, tunnel, deps.clock);
  if (tunnel) ctx.identity = tunnel.identity;
  ctx.refusal = refusal;
  writeRawAndClose(socket, refusal, ctx.requestId);
  ctx.response = { status: 400, bytes: 0 };
  ctx.timings.endNs = deps.clock.mono();
  observeSafely(ctx, deps);
}

function observeSafely(ctx: RequestContext, deps: ProxyServerDeps): void {
  try {
    deps.observe(buildOutcome(ctx));
  } catch {
    // Observers track their own health (the audit sink's failure is what fail-closed acts on).
  }
}

function listen(server: http.Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}
