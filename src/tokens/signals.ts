/**
 * Token signals: what the token inventory (inventory.ts) reports about a credential's use. Each is
 * emitted once per occurrence (a fingerprint becomes shared once, is first used once, is used expired
 * once; a dormant token's reuse is reported each time it wakes after a dormant period). Pure data: the
 * audit log turns a signal into an alert event and telemetry counts it.
 */
export const TOKEN_SIGNALS = ['new_token', 'shared_token', 'expired_token_used', 'dormant_token_reused'] as const;
export type TokenSignalKind = (typeof TOKEN_SIGNALS)[number];

/** What the inventory knows about one credential; no secret material, only its keyed fingerprint. */
export interface TokenRecord {
  readonly fingerprint: string;
  readonly kind: string;
  readonly hint: string | null;
  /** ISO 8601 times. */
  readonly first_seen: string;
  readonly last_seen: string;
  readonly count: number;
  /** Configured names only (bounded sets), sorted. */
  readonly tools: readonly string[];
  readonly principals: readonly string[];
  readonly hosts: readonly string[];
}

export interface TokenSignal {
  readonly signal: TokenSignalKind;
  /** The token's record after this use was counted. */
  readonly token: TokenRecord;
  /** The use that raised it. */
  readonly trigger: {
    readonly event_id: string;
    readonly tool: string | null;
    readonly principal: string;
    readonly actor_type: string;
    readonly host: string | null;
  };
  /** dormant_token_reused: the last use before this one (ISO 8601). */
  readonly previous_use?: string;
  /** One sentence for humans, built from the fields above (names and counts, never a value). */
  readonly summary: string;
}

// Field by field, never a spread: a record is typed, but a wider object is assignable to it, and its
// extra fields must not reach an audit line or the inventory file.
export function copyTokenRecord(record: TokenRecord): TokenRecord {
  return {
    fingerprint: record.fingerprint,
    kind: record.kind,
    hint: record.hint,
    first_seen: record.first_seen,
    last_seen: record.last_seen,
    count: record.count,
    tools: [...record.tools],
    principals: [...record.principals],
    hosts: [...record.hosts],
  };
}

export function copyTrigger(trigger: TokenSignal['trigger']): TokenSignal['trigger'] {
  return { event_id: trigger.event_id, tool: trigger.tool, principal: trigger.principal, actor_type: trigger.actor_type, host: trigger.host };
}
