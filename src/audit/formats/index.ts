/**
 * Audit line formats other than native: the same record (request event, alert, header, checkpoint) as
 * an OCSF or ECS document. Pure mappers: the audit log serializes and scrubs what they return.
 * Every document carries the chain's `seq` and `prev_hash` (so a receiver can drop resent duplicates).
 */
import type { AlertEvent } from '../alert-event.js';
import type { AuditEvent } from '../event.js';
import { toEcs } from './ecs.js';
import { toOcsf } from './ocsf.js';

export interface ChainRef {
  readonly seq: number;
  readonly prev_hash: string;
}

/** Header and checkpoint lines, as the native log writes them (parsed JSON objects). */
export interface LifecycleBody {
  readonly kind: 'header' | 'checkpoint';
  readonly time: string;
  readonly [field: string]: unknown;
}

export type AuditRecord =
  | { readonly kind: 'request'; readonly event: AuditEvent }
  | { readonly kind: 'alert'; readonly event: AlertEvent }
  | { readonly kind: 'lifecycle'; readonly body: LifecycleBody };

export interface FormatContext {
  readonly productVersion: string;
  readonly hostname: string;
}

export type ForeignFormat = 'ocsf' | 'ecs';

export function formatRecord(format: ForeignFormat, record: AuditRecord, chain: ChainRef, context: FormatContext): Record<string, unknown> {
  return format === 'ocsf' ? toOcsf(record, chain, context) : toEcs(record, chain, context);
}
