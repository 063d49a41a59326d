/**
 * The one coded catalogue of every refusal or failure a client can see. Codes are a public contract
 * (403 bodies, audit `decision.reason`, metrics labels, README table): never reuse or rename one; a test
 * keeps this list and the README in step.
 *
 * `error` is the coarse class a client can branch on; `reason` is the code. Clients get nothing else:
 * details (library error text, addresses, rule explanations) go to the audit event only.
 */

export type ErrorClass = 'denied' | 'proxy_auth_required' | 'bad_request' | 'upstream_error' | 'unavailable';

export interface CatalogueEntry {
  readonly status: number;
  readonly error: ErrorClass;
  readonly summary: string;
}

const policyDenial = (summary: string): CatalogueEntry => ({ status: 403, error: 'denied', summary });

export const ERROR_CATALOGUE = {
  // identity (407 only for missing or bad proxy credentials)
  proxy_auth_missing: { status: 407, error: 'proxy_auth_required', summary: 'no proxy credentials were sent' },
  proxy_auth_invalid: { status: 407, error: 'proxy_auth_required', summary: 'proxy credentials were not accepted' },
  // policy
  no_rule_for_host: policyDenial('no allow rule of this tool names the host'),
  port_not_allowed: policyDenial('the host is allowed, not on this port'),
  method_not_allowed: policyDenial('the method is not allowed by the matching rules'),
  path_not_allowed: policyDenial('the path is not allowed by the matching rules'),
  path_ambiguous: policyDenial('the path uses encodings that could escape a rule'),
  unknown_tool: policyDenial('the tool is not configured'),
  host_mismatch: policyDenial('the Host header does not name the CONNECT target'),
  // exfiltration guard (secret scanning of requests)
  exfiltration: policyDenial('the request carries a secret that may not be sent to this destination'),
  request_body_too_large: { status: 413, error: 'denied', summary: 'the request body is larger than the exfiltration scan may hold' },
  request_undecodable: { status: 415, error: 'denied', summary: 'the request body encoding cannot be decoded for the exfiltration scan' },
  // SSRF guard (destination)
  ssrf_loopback: policyDenial('the destination resolves to a loopback address'),
  ssrf_private: policyDenial('the destination resolves to a private address'),
  ssrf_link_local: policyDenial('the destination resolves to a link-local address'),
  ssrf_cgnat: policyDenial('the destination resolves to a carrier-grade NAT address'),
  ssrf_unique_local: policyDenial('the destination resolves to a unique-local IPv6 address'),
  ssrf_unspecified: policyDenial('the destination resolves to an unspecified address'),
  ssrf_multicast: policyDenial('the destination resolves to a multicast address'),
  ssrf_broadcast: policyDenial('the destination resolves to the broadcast address'),
  ssrf_reserved: policyDenial('the destination resolves to a reserved address'),
  ssrf_invalid: policyDenial('the destination address is not a valid IP address'),
  invalid_target: { status: 400, error: 'bad_request', summary: 'the destination host or port is not valid' },
  // request shape
  bad_request: { status: 400, error: 'bad_request', summary: 'the request could not be parsed' },
  bad_target: { status: 400, error: 'bad_request', summary: 'the request target is not a valid URL or authority' },
  unsupported_protocol: { status: 400, error: 'bad_request', summary: 'only HTTP and HTTPS (TLS) are supported inside a tunnel' },
  // Recorded in the audit log only: the client is gone, nothing is sent.
  client_aborted: { status: 400, error: 'bad_request', summary: 'the client closed the connection before the exchange ended' },
  client_tls_failed: { status: 400, error: 'bad_request', summary: 'the client did not complete TLS with the proxy CA (is the CA trusted?)' },
  // upstream
  dns_failed: { status: 502, error: 'upstream_error', summary: 'the destination name could not be resolved' },
  dns_no_address: { status: 502, error: 'upstream_error', summary: 'the destination name has no address' },
  upstream_connect_failed: { status: 502, error: 'upstream_error', summary: 'the upstream refused or dropped the connection' },
  upstream_tls_failed: { status: 502, error: 'upstream_error', summary: 'the upstream certificate did not verify' },
  upstream_reset: { status: 502, error: 'upstream_error', summary: 'the upstream closed the connection mid-response' },
  response_undecodable: { status: 502, error: 'upstream_error', summary: 'the response encoding cannot be decoded for secret scrubbing' },
  websocket_unscannable: { status: 502, error: 'upstream_error', summary: 'a WebSocket frame could not be scanned (compressed or malformed); the connection was closed' },
  response_too_large: { status: 502, error: 'upstream_error', summary: 'the response decodes to more than the scrubber accepts (decompression bomb guard)' },
  upstream_timeout: { status: 504, error: 'upstream_error', summary: 'the upstream did not answer in time' },
  // the proxy itself
  audit_unavailable: { status: 503, error: 'unavailable', summary: 'no audit sink can record; refusing (fail closed)' },
  shutting_down: { status: 503, error: 'unavailable', summary: 'the proxy is shutting down' },
  internal_error: { status: 500, error: 'unavailable', summary: 'the proxy failed internally' },
} as const satisfies Record<string, CatalogueEntry>;

export type ReasonCode = keyof typeof ERROR_CATALOGUE;

export function isReasonCode(value: string): value is ReasonCode {
  return Object.hasOwn(ERROR_CATALOGUE, value);
}
