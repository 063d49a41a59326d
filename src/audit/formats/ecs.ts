/**
 * The ECS format (Elastic Common Schema 9.x): a request or connect event is an `event` in categories
 * network and web, typed access plus allowed or denied; a token alert is an `alert`; header and
 * checkpoint lines describe our own process (`event` at start/rotation, `state` for checkpoints).
 * Our fields without an ECS home go under `mcp_egress.*`, with the chain's seq and prev_hash;
 * `event.sequence` repeats seq. User agents are never recorded, so `user_agent.*` is never written.
 */
import type { AlertEvent } from '../alert-event.js';
import type { AuditEvent } from '../event.js';
import type { AuditRecord, ChainRef, FormatContext, LifecycleBody } from './index.js';
import { alertExtras, compact, EXTRAS_KEY, lifecycleExtras, lifecycleReason, PRODUCT_NAME, requestExtras, summaryOf, urlString, VENDOR_NAME, type Json } from './shared.js';

/** The ECS release the documents follow (the @elastic/ecs package the tests validate against). */
export const ECS_VERSION = '9.4.0';
export const ECS_DATASET = 'mcp_egress.audit';

export function toEcs(record: AuditRecord, chain: ChainRef, context: FormatContext): Record<string, unknown> {
  switch (record.kind) {
    case 'request':
      return requestDocument(record.event, chain, context);
    case 'alert':
      return alertDocument(record.event, chain, context);
    case 'lifecycle':
      return lifecycleDocument(record.body, chain, context);
  }
}

function common(time: string, context: FormatContext): Json {
  return {
    '@timestamp': time,
    ecs: { version: ECS_VERSION },
    observer: { hostname: context.hostname, product: PRODUCT_NAME, vendor: VENDOR_NAME, version: context.productVersion, type: 'proxy' },
    service: { name: PRODUCT_NAME, version: context.productVersion },
  };
}

function requestDocument(event: AuditEvent, chain: ChainRef, context: FormatContext): Json {
  const { decision, request, response, destination } = event;
  // Report mode let the request through: allowed, with the policy's verdict in mcp_egress.decision.
  const verdict = decision.action === 'deny' ? 'denied' : 'allowed';
  return compact({
    ...common(event.time, context),
    message: summaryOf(event),
    event: compact({
      kind: 'event',
      category: ['network', 'web'],
      type: ['access', verdict],
      action: decision.action,
      outcome: event.result === 'forwarded' ? 'success' : 'failure',
      id: event.event_id,
      duration: Math.round(event.duration_ms.total * 1_000_000),
      reason: decision.reason,
      sequence: chain.seq,
      dataset: ECS_DATASET,
    }),
    url: emptyToUndefined(compact({
      scheme: request.scheme,
      domain: request.host,
      port: request.port,
      path: request.path,
      query: request.query,
      full: event.kind === 'request' ? urlString(request) : undefined,
    })),
    http: {
      request: compact({ id: event.event_id, method: request.method, bytes: request.bytes }),
      response: compact({ status_code: response.status, bytes: response.bytes }),
    },
    source: { address: event.client.address, ip: event.client.address, port: event.client.port },
    destination: emptyToUndefined(compact({
      address: request.host ?? destination?.address,
      domain: request.host,
      ip: destination?.address,
      port: destination?.port ?? request.port,
    })),
    user: { name: event.actor.principal },
    rule: decision.rule_id === null ? undefined : { id: decision.rule_id },
    [EXTRAS_KEY]: requestExtras(event, chain),
  });
}

// event.severity is numeric in ECS; Elastic's detection rules use 21/47/73/99 for low/medium/high/critical.
const ALERT_SEVERITY: Readonly<Record<AlertEvent['severity'], number>> = { low: 21, medium: 47, high: 73 };

/** A token signal concerns how a credential is used: category authentication, type info. */
function alertDocument(alert: AlertEvent, chain: ChainRef, context: FormatContext): Json {
  return compact({
    ...common(alert.time, context),
    message: alert.summary,
    event: {
      kind: 'alert',
      category: ['authentication'],
      type: ['info'],
      action: alert.signal,
      id: alert.event_id,
      severity: ALERT_SEVERITY[alert.severity],
      reason: alert.summary,
      sequence: chain.seq,
      dataset: ECS_DATASET,
    },
    user: { name: alert.trigger.principal },
    destination: alert.trigger.host === null ? undefined : { address: alert.trigger.host, domain: alert.trigger.host },
    [EXTRAS_KEY]: alertExtras(alert, chain),
  });
}

/** Header lines start (or continue) our process's log: event start/change; checkpoints are state. */
function lifecycleDocument(body: LifecycleBody, chain: ChainRef, context: FormatContext): Json {
  const reason = lifecycleReason(body);
  const header = body.kind === 'header';
  const type = header ? (reason === 'start' ? 'start' : 'change') : reason === 'shutdown' ? 'end' : 'info';
  const pid = body['pid'];
  const started = body['process_start'];
  return compact({
    ...common(body.time, context),
    message: `audit log ${body.kind} (${reason})`,
    event: {
      kind: header ? 'event' : 'state',
      category: ['process'],
      type: [type],
      action: `audit-log-${body.kind}`,
      reason,
      sequence: chain.seq,
      dataset: ECS_DATASET,
    },
    process: emptyToUndefined(compact({
      pid: typeof pid === 'number' ? pid : undefined,
      start: typeof started === 'string' ? started : undefined,
    })),
    [EXTRAS_KEY]: lifecycleExtras(body, chain),
  });
}

function emptyToUndefined(fields: Json): Json | undefined {
  return Object.keys(fields).length === 0 ? undefined : fields;
}
