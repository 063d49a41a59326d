/**
 * The one mapper from a reason code to what a client sees. Bodies carry the coarse error class, the
 * reason code and the request id (to find the audit event), never internal detail.
 */
import { ERROR_CATALOGUE, type ReasonCode } from './catalogue.js';

export interface ClientErrorReply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export const PROXY_AUTH_REALM = 'mcp-egress';

export function errorReply(reason: ReasonCode, requestId: string): ClientErrorReply {
  const entry = ERROR_CATALOGUE[reason];
  const body = `${JSON.stringify({ error: entry.error, reason, request_id: requestId })}\n`;
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    'cache-control': 'no-store',
    'x-mcp-egress-request-id': requestId,
  };
  if (entry.status === 407) headers['proxy-authenticate'] = `Basic realm="${PROXY_AUTH_REALM}", charset="UTF-8"`;
  return { status: entry.status, headers, body };
}

/** The raw HTTP/1.1 bytes of an error reply, for sockets that have no http.ServerResponse (CONNECT). */
export function rawErrorReply(reason: ReasonCode, requestId: string): Buffer {
  const reply = errorReply(reason, requestId);
  const statusText = STATUS_TEXT[reply.status] ?? 'Error';
  const head = [`HTTP/1.1 ${reply.status} ${statusText}`, ...Object.entries(reply.headers).map(([k, v]) => `${k}: ${v}`), 'connection: close'];
  return Buffer.from(`${head.join('\r\n')}\r\n\r\n${reply.body}`);
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  403: 'Forbidden',
  407: 'Proxy Authentication Required',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};
