/**
 * Token alerts as OCSF Detection Finding (class 2004, activity Create): an alert is a detection made by
 * our own engine (token inventory), not a record of activity, and Detection Finding is the class OCSF
 * keeps for that; `finding_info` carries the signal, `actor` the use that raised it, and
 * `metadata.correlation_uid` the request event that triggered it.
 */
import type { AlertEvent } from '../alert-event.js';
import type { ChainRef, FormatContext } from './index.js';
import { classification, metadata, severity, status, unmapped } from './ocsf-base.js';
import { ALERT_SEVERITY, DETECTION_FINDING, FINDING_CREATE, FINDING_NEW, UNKNOWN } from './ocsf-enums.js';
import { ocsfActor } from './ocsf-http.js';
import { alertExtras, compact, epochMs, type Json } from './shared.js';

const TITLES: Readonly<Record<AlertEvent['signal'], string>> = {
  new_token: 'New credential seen',
  shared_token: 'Credential shared between callers',
  expired_token_used: 'Expired credential used',
  dormant_token_reused: 'Dormant credential reused',
};

export function detectionFinding(alert: AlertEvent, chain: ChainRef, context: FormatContext): Json {
  const { token, trigger } = alert;
  return compact({
    ...classification(DETECTION_FINDING, FINDING_CREATE),
    time: epochMs(alert.time),
    ...severity(ALERT_SEVERITY[alert.severity] ?? UNKNOWN),
    ...status(FINDING_NEW),
    is_alert: true,
    message: alert.summary,
    count: token.count,
    finding_info: {
      uid: alert.event_id,
      title: TITLES[alert.signal],
      desc: alert.summary,
      types: [alert.signal],
      first_seen_time: epochMs(token.first_seen),
      last_seen_time: epochMs(token.last_seen),
    },
    actor: ocsfActor(trigger.principal, trigger.actor_type, token.fingerprint, trigger.tool),
    metadata: metadata(context, chain, { uid: alert.event_id, correlationUid: trigger.event_id, profiles: ['host'] }),
    unmapped: unmapped(alertExtras(alert, chain)),
  });
}
