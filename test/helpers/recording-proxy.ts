/**
 * A small forward proxy on loopback that records what clients send it: CONNECT requests (tunnelled to
 * a loopback port chosen by the test) and absolute-form requests (answered by the proxy itself). Or it
 * answers every CONNECT with a fixed status, to play a proxy that refuses (407, 503).
 */
import http from 'node:http';
import { connect as netConnect, type AddressInfo, type Socket } from 'node:net';

export interface ProxiedRequest {
  readonly kind: 'connect' | 'absolute';
  readonly target: string;
  readonly headers: http.IncomingHttpHeaders;
}

export interface RecordingProxy {
  readonly port: number;
  readonly seen: ProxiedRequest[];
  close(): Promise<void>;
}

export interface RecordingProxyOptions {
  /** Where a CONNECT to any authority is tunnelled (127.0.0.1:port). */
  readonly tunnelTo?: number;
  /** Answer every CONNECT with this status instead of tunnelling. */
  readonly connectStatus?: number;
}

export async function startRecordingProxy(options: RecordingProxyOptions = {}): Promise<RecordingProxy> {
  const seen: ProxiedRequest[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    seen.push({ kind: 'absolute', target: req.url ?? '', headers: req.headers });
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ via: 'recording-proxy', url: req.url }));
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('connect', (req: http.IncomingMessage, socket: Socket, head: Buffer) => {
    seen.push({ kind: 'connect', target: req.url ?? '', headers: req.headers });
    socket.on('error', () => socket.destroy());
    if (options.connectStatus !== undefined || options.tunnelTo === undefined) {
      const status = options.connectStatus ?? 502;
      socket.end(`HTTP/1.1 ${status} Refused\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`);
      return;
    }
    const upstream = netConnect(options.tunnelTo, '127.0.0.1', () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      socket.pipe(upstream).pipe(socket);
    });
    upstream.on('error', () => socket.destroy());
    socket.once('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
