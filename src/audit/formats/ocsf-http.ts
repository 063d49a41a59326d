/**
 * Request and connect events as OCSF HTTP Activity (class 4002). The proxy is a security control, so
 * the security_control profile carries its verdict (action_id, disposition_id); the network_proxy
 * profile names the proxy (`proxy_endpoint`: `proxy` is deprecated since 1.1.0); the host profile
 * gives the `actor` (user = principal, app_name = tool). Query strings are the event's, already redacted.
 */
import type { AuditEvent } from '../event.js';
import type { ChainRef, FormatContext } from './index.js';
import { classification, metadata, severity, status, unmapped } from './ocsf-base.js';
import { HTTP_ACTIVITY, HTTP_METHOD_ACTIVITY, methodActivity, STATUS_FAILURE, STATUS_SUCCESS, userType, VERDICTS } from './ocsf-enums.js';
import { compact, epochMs, requestExtras, summaryOf, urlString, type Json } from './shared.js';

const PROFILES = ['host', 'network_proxy', 'security_control'] as const;

export function httpActivity(event: AuditEvent, chain: ChainRef, context: FormatContext): Json {
  const verdict = VERDICTS[event.decision.action];
  return compact({
    ...classification(HTTP_ACTIVITY, methodActivity(event.request.method)),
    time: epochMs(event.time),
    ...severity(verdict.severity),
    action_id: verdict.action.id,
    action: verdict.action.caption,
    disposition_id: verdict.disposition.id,
    disposition: verdict.disposition.caption,
    ...status(event.result === 'forwarded' ? STATUS_SUCCESS : STATUS_FAILURE),
    status_detail: event.decision.reason,
    message: summaryOf(event),
    duration: Math.round(event.duration_ms.total),
    actor: ocsfActor(event.actor.principal, event.actor.type, event.credentials[0]?.fingerprint, event.tool),
    http_request: httpRequest(event),
    http_response: event.response.status === null ? undefined : { code: event.response.status },
    src_endpoint: { ip: event.client.address, port: event.client.port },
    dst_endpoint: dstEndpoint(event),
    proxy_endpoint: { hostname: context.hostname },
    traffic: { bytes_out: event.request.bytes, bytes_in: event.response.bytes, bytes: event.request.bytes + event.response.bytes },
    metadata: metadata(context, chain, { uid: event.event_id, correlationUid: event.tunnel_id, profiles: PROFILES }),
    unmapped: unmapped(requestExtras(event, chain)),
  });
}

/** The actor: principal as user, its type (User or Service), the first credential's fingerprint, the tool. */
export function ocsfActor(principal: string, actorType: string, fingerprint: string | undefined, tool: string | null): Json {
  const type = userType(actorType);
  const user = compact({ name: principal, type_id: type.id, type: type.caption, credential_uid: fingerprint });
  return compact({ user, app_name: tool });
}

// The request id is the HTTP request's uid, so the object is never empty (the class needs http_request
// or http_response, and a request refused before its method was parsed has neither method nor URL).
function httpRequest(event: AuditEvent): Json {
  const method = event.request.method;
  return compact({
    uid: event.event_id,
    // The schema's method enum has the nine standard methods; any other stays in activity_name.
    http_method: HTTP_METHOD_ACTIVITY[method] === undefined ? undefined : method,
    url: event.kind === 'request' ? url(event.request) : undefined,
  });
}

function url(request: AuditEvent['request']): Json | undefined {
  const full = urlString(request);
  if (full === undefined) return undefined;
  return compact({
    scheme: request.scheme,
    hostname: request.host,
    port: request.port,
    path: request.path,
    query_string: request.query,
    url_string: full,
  });
}

function dstEndpoint(event: AuditEvent): Json | undefined {
  const { destination, request } = event;
  const endpoint = compact({ hostname: request.host, ip: destination?.address, port: destination?.port ?? request.port });
  return Object.keys(endpoint).length === 0 ? undefined : endpoint;
}
