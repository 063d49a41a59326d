/**
 * Maps what Node reports about an upstream exchange to our reason codes. The raw error text only ever
 * goes to the audit event's detail, never to the client.
 */
import type { Refusal } from '../pipeline/context.js';
import { describeError } from '../pipeline/run.js';

export class UpstreamTimeoutError extends Error {
  constructor(readonly phase: 'connect' | 'response' | 'client') {
    super(phase === 'client' ? 'client stopped reading for longer than the response timeout' : `upstream ${phase} timeout`);
    this.name = 'UpstreamTimeoutError';
  }
}

const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_NOT_YET_VALID', 'ERR_SSL_WRONG_VERSION_NUMBER', 'EPROTO', 'CERT_UNTRUSTED',
]);

// undici's own timeouts: no response head in time, or a body that went quiet.
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

const CONNECT_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ENOTFOUND']);

export function classifyUpstreamError(error: unknown, responseStarted: boolean): Refusal {
  const detail = describeError(error);
  if (error instanceof UpstreamTimeoutError) return { reason: error.phase === 'client' ? 'client_aborted' : 'upstream_timeout', detail };
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    if (TIMEOUT_CODES.has(code)) return { reason: 'upstream_timeout', detail: `${code}: ${detail}` };
    if (TLS_CODES.has(code) || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) {
      return { reason: 'upstream_tls_failed', detail: `${code}: ${detail}` };
    }
    if (CONNECT_CODES.has(code) && !responseStarted) return { reason: 'upstream_connect_failed', detail: `${code}: ${detail}` };
  }
  // Anything else mid-exchange (ECONNRESET, premature close, socket hang up) means the upstream went
  // away: the client's response is cut so it sees a failure instead of a truncated success.
  return { reason: responseStarted ? 'upstream_reset' : 'upstream_connect_failed', detail };
}
