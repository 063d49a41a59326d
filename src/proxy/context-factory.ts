/** Creates the typed context for one request or CONNECT, stamping id and start time. */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestContext, TunnelInfo } from '../pipeline/context.js';

export interface Clock {
  readonly wall: () => Date;
  readonly mono: () => bigint;
}

export function newContext(
  kind: RequestContext['kind'],
  req: IncomingMessage,
  res: ServerResponse | null,
  tunnel: TunnelInfo | null,
  clock: Clock,
  upgradeHead: Buffer | null = null,
): RequestContext {
  return {
    requestId: randomUUID(),
    kind,
    client: { address: req.socket.remoteAddress ?? 'unknown', port: req.socket.remotePort ?? 0 },
    tunnel,
    method: req.method ?? 'GET',
    rawTarget: req.url ?? '',
    timings: { startedAt: clock.wall(), startNs: clock.mono() },
    req,
    res,
    upgradeHead,
    credentials: [],
    requestBytes: 0,
  };
}
