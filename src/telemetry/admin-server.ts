/**
 * The admin listener, on its own port: /metrics (Prometheus text format, fixed: prom-client would drop
 * `_total` from counter names for good after one OpenMetrics scrape), /healthz (the process runs) and
 * /readyz (listening, an audit sink can record, not shutting down).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface AdminServerOptions {
  readonly registry: Registry;
  readonly ready: () => { ready: boolean; reasons: readonly string[] };
}

export interface AdminServer {
  listen(host: string, port: number): Promise<AddressInfo>;
  close(): Promise<void>;
}

export function createAdminServer(options: AdminServerOptions): AdminServer {
  const server = http.createServer((req, res) => {
    void route(req.method ?? 'GET', (req.url ?? '/').split('?')[0] ?? '/', res, options);
  });
  return {
    listen: (host, port) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host, port, exclusive: true }, () => {
          server.off('error', reject);
          resolve(server.address() as AddressInfo);
        });
      }),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function route(method: string, path: string, res: http.ServerResponse, options: AdminServerOptions): Promise<void> {
  if (method !== 'GET' && method !== 'HEAD') return send(res, 405, 'text/plain', 'method not allowed\n');
  switch (path) {
    case '/metrics':
      try {
        return send(res, 200, 'text/plain; version=0.0.4; charset=utf-8', await options.registry.metrics());
      } catch {
        return send(res, 500, 'text/plain', 'metrics collection failed\n');
      }
    case '/healthz':
      return send(res, 200, 'application/json', '{"status":"ok"}\n');
    case '/readyz': {
      const state = options.ready();
      const body = `${JSON.stringify({ status: state.ready ? 'ready' : 'not_ready', reasons: state.reasons })}\n`;
      return send(res, state.ready ? 200 : 503, 'application/json', body);
    }
    default:
      return send(res, 404, 'text/plain', 'not found\n');
  }
}

function send(res: http.ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
}
