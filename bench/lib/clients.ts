/**
 * The two routes every scenario runs over, with the same undici settings:
 *   proxy:  ProxyAgent, CONNECT to the proxy (tool credentials in the proxy URL), then TLS to the origin
 *           through the tunnel, trusting only the proxy's interception CA. The client never resolves the
 *           origin's name; the proxy does (its upstream.resolve maps *.bench.test to the backend).
 *   direct: Agent to the backend, trusting only the backend CA. Every name is dialled at 127.0.0.1 with the
 *           name as TLS servername, so the same URLs work without /etc/hosts entries.
 */
import { Agent, buildConnector, ProxyAgent, type Dispatcher } from 'undici';

export type RouteName = 'proxy' | 'direct';

export interface Route {
  readonly name: RouteName;
  /** A new dispatcher (its own connection pool and TLS session cache) with up to `connections` per origin. */
  dispatcher(connections: number): Dispatcher;
}

const TIMEOUTS = { headersTimeout: 15_000, bodyTimeout: 30_000, connectTimeout: 15_000 } as const;
const POOL = { pipelining: 1, keepAliveTimeout: 60_000, keepAliveMaxTimeout: 120_000 } as const;

export function proxyRoute(proxyUrl: string, interceptionCaPem: string): Route {
  return {
    name: 'proxy',
    dispatcher: (connections) =>
      new ProxyAgent({ uri: proxyUrl, requestTls: { ca: interceptionCaPem }, connections, ...TIMEOUTS, ...POOL }),
  };
}

export function directRoute(backendCaPem: string): Route {
  return {
    name: 'direct',
    dispatcher: (connections) => {
      const tls = buildConnector({ ca: backendCaPem, timeout: TIMEOUTS.connectTimeout });
      // Loopback only: the name selects SNI and the certificate check, never where we dial.
      const connect: buildConnector.connector = (options, callback) =>
        tls({ ...options, hostname: '127.0.0.1', servername: options.hostname }, callback);
      return new Agent({ connect, connections, ...TIMEOUTS, ...POOL });
    },
  };
}

export interface RequestSpec {
  readonly origin: string;
  readonly path: string;
  readonly method?: 'GET' | 'POST';
  readonly body?: Buffer;
  /** Extra request headers, e.g. accept-encoding. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** One request, body read to the end; resolves to the body size, rejects on any status but 200. */
export async function requestOnce(dispatcher: Dispatcher, spec: RequestSpec): Promise<number> {
  const bodyHeaders = spec.body === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(spec.body.length) };
  const headers = { ...spec.headers, ...bodyHeaders };
  const response = await dispatcher.request({
    origin: spec.origin,
    path: spec.path,
    method: spec.method ?? 'GET',
    headers,
    ...(spec.body === undefined ? {} : { body: spec.body }),
  });
  let bytes = 0;
  for await (const chunk of response.body) bytes += (chunk as Buffer).length;
  if (response.statusCode !== 200) throw new Error(`HTTP ${response.statusCode}`);
  return bytes;
}

/** Error samples keyed by a short reason, so a failing run says why without printing thousands of lines. */
export class ErrorTally {
  private readonly counts = new Map<string, number>();
  total = 0;

  note(error: unknown): void {
    const code = (error as { code?: unknown } | null)?.code;
    const key = String(typeof code === 'string' ? code : error instanceof Error ? error.message : error).slice(0, 160);
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    this.total += 1;
  }

  samples(): Record<string, number> {
    return Object.fromEntries([...this.counts.entries()].slice(0, 5));
  }
}
