/**
 * Pooled, kept-alive upstream connections on undici (its HTTP/1.1 client costs about a third of the CPU
 * per request that Node's http.request does: see the README's transport notes and `npm run bench:peers`).
 *
 * One pool per dial: scheme, the address the SSRF guard approved, port, and the TLS name the certificate
 * must match. Two hosts on one address therefore never share a connection, and a name that now resolves
 * elsewhere gets a new pool. Our own connector dials exactly that address (no lookup happens here) and
 * verifies TLS against the system roots plus `upstream.ca` (trust-context.ts); `rejectUnauthorized` is
 * fixed to true and nothing can turn it off. Idle pools are closed by a sweep.
 */
import net from 'node:net';
import tls from 'node:tls';
import { Pool, type buildConnector, type Dispatcher } from 'undici';
import { createTrustContext } from '../tls/trust-context.js';
import { UpstreamTimeoutError } from './upstream-errors.js';

export interface UpstreamDial {
  readonly scheme: 'http' | 'https';
  readonly address: string;
  readonly port: number;
  /** The name the certificate must carry (SNI); null for an IP-literal target, checked against the address. */
  readonly servername: string | null;
}

export interface UpstreamPools {
  dispatcherFor(dial: UpstreamDial): Dispatcher;
  close(): Promise<void>;
}

export interface PoolOptions {
  readonly extraCaFiles: readonly string[];
  readonly connectTimeoutMs: () => number;
  /** Upper bound of concurrent connections per dial; requests beyond it queue. */
  readonly connectionsPerDial?: number;
  /** How often idle pools are looked for and closed. */
  readonly sweepIntervalMs?: number;
}

const KEEP_ALIVE_MS = 30_000;

export function createUpstreamPools(options: PoolOptions): UpstreamPools {
  const secureContext = createTrustContext(options.extraCaFiles);
  const pools = new Map<string, Pool>();
  const sweep = setInterval(() => closeIdle(pools), options.sweepIntervalMs ?? 60_000);
  sweep.unref();
  return {
    dispatcherFor(dial) {
      const key = `${dial.scheme} ${dial.address} ${dial.port} ${dial.servername ?? ''}`;
      let pool = pools.get(key);
      if (pool === undefined) {
        pool = new Pool(originOf(dial), {
          connections: options.connectionsPerDial ?? 256,
          pipelining: 1,
          keepAliveTimeout: KEEP_ALIVE_MS,
          keepAliveMaxTimeout: KEEP_ALIVE_MS,
          strictContentLength: true,
          connect: connectorFor(dial, secureContext, options.connectTimeoutMs),
        });
        pools.set(key, pool);
      }
      return pool;
    },
    async close() {
      clearInterval(sweep);
      const all = [...pools.values()];
      pools.clear();
      await Promise.all(all.map((pool) => pool.destroy().catch(() => undefined)));
    },
  };
}

function originOf(dial: UpstreamDial): string {
  const host = dial.address.includes(':') ? `[${dial.address}]` : dial.address;
  return `${dial.scheme}://${host}:${dial.port}`;
}

/** A pool with nothing connected, running or queued is closed; the next request to that dial opens a new one. */
function closeIdle(pools: Map<string, Pool>): void {
  for (const [key, pool] of pools) {
    const stats = pool.stats;
    if (stats.connected === 0 && stats.running === 0 && stats.pending === 0) {
      pools.delete(key);
      void pool.close().catch(() => undefined);
    }
  }
}

/**
 * Dials the approved address, with the connect timeout covering TCP and the TLS handshake (a handshake
 * that hangs is a connect timeout too).
 */
function connectorFor(dial: UpstreamDial, secureContext: tls.SecureContext, connectTimeoutMs: () => number): buildConnector.connector {
  return (_options, callback) => {
    const socket =
      dial.scheme === 'https'
        ? tls.connect({
            host: dial.address,
            port: dial.port,
            secureContext,
            rejectUnauthorized: true,
            ALPNProtocols: ['http/1.1'],
            ...(dial.servername === null ? {} : { servername: dial.servername }),
          })
        : net.connect({ host: dial.address, port: dial.port });
    socket.setNoDelay(true);
    let settled = false;
    const settle = (error: Error | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.off('error', settle);
      if (error === null) return callback(null, socket);
      socket.destroy();
      callback(error, null);
    };
    const timer = setTimeout(() => settle(new UpstreamTimeoutError('connect')), connectTimeoutMs());
    socket.once(dial.scheme === 'https' ? 'secureConnect' : 'connect', () => settle(null));
    socket.on('error', settle);
  };
}
