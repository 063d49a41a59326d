/**
 * The native alert event (`kind: "alert"`, same schema family as request events): one per token signal.
 * Built field by field from the signal (never a spread), so nothing wider can slip in.
 */
import { randomUUID } from 'node:crypto';
import { copyTokenRecord, copyTrigger, type TokenRecord, type TokenSignal, type TokenSignalKind } from '../tokens/signals.js';
import { AUDIT_SCHEMA } from './event.js';

export type AlertSeverity = 'low' | 'medium' | 'high';

export interface AlertEvent {
  readonly schema: typeof AUDIT_SCHEMA;
  readonly kind: 'alert';
  readonly event_id: string;
  readonly time: string;
  readonly signal: TokenSignalKind;
  readonly severity: AlertSeverity;
  readonly summary: string;
  /** The inventory record after this use (no secret: fingerprint and hint only). */
  readonly token: TokenRecord;
  /** The use that raised it. */
  readonly trigger: TokenSignal['trigger'];
  readonly previous_use: string | null;
}

// A token used by two parties, or used after expiry, is an incident lead; a new token is information.
const SEVERITY: Readonly<Record<TokenSignalKind, AlertSeverity>> = {
  new_token: 'low',
  dormant_token_reused: 'medium',
  expired_token_used: 'high',
  shared_token: 'high',
};

export function buildAlertEvent(signal: TokenSignal, time: Date, id: () => string = randomUUID): AlertEvent {
  const { token, trigger } = signal;
  return {
    schema: AUDIT_SCHEMA,
    kind: 'alert',
    event_id: id(),
    time: time.toISOString(),
    signal: signal.signal,
    severity: SEVERITY[signal.signal],
    summary: signal.summary,
    token: copyTokenRecord(token),
    trigger: copyTrigger(trigger),
    previous_use: signal.previous_use ?? null,
  };
}
