/**
 * Pooled, kept-alive upstream connections. One agent per scheme; Node pools per dial address, port and
 * TLS servername, so two hosts on one address never share a TLS session by accident.
 * Upstream TLS verification is always on: `rejectUnauthorized` is fixed to true and there is no option
 * to change it. Extra CAs are added to Node's bundled roots, never used instead of them.
 */
import http from 'node:http';
import https from 'node:https';
import { createTrustContext } from '../tls/trust-context.js';

export interface UpstreamAgents {
  readonly http: http.Agent;
  readonly https: https.Agent;
  destroy(): void;
}

export interface AgentOptions {
  readonly extraCaFiles: readonly string[];
  /** Upper bound of concurrent connections per upstream address; requests beyond it queue. */
  readonly maxSocketsPerOrigin?: number;
}

export function createUpstreamAgents(options: AgentOptions): UpstreamAgents {
  const common = {
    keepAlive: true,
    keepAliveMsecs: 30_000,
    maxSockets: options.maxSocketsPerOrigin ?? 256,
    maxFreeSockets: 64,
    // LIFO keeps a few sockets hot and lets the rest time out, instead of rotating through all of them.
    scheduling: 'lifo' as const,
    timeout: 60_000,
  };
  // One SecureContext for every upstream connection, built once (trust-context.ts). Passing `ca` instead
  // would also glue the whole bundle into the pool key on every request (measured: ~1 ms CPU per request).
  const secureContext = createTrustContext(options.extraCaFiles);
  const httpAgent = new http.Agent(common);
  const httpsAgent = new https.Agent({ ...common, secureContext, rejectUnauthorized: true });
  return {
    http: httpAgent,
    https: httpsAgent,
    destroy() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}
