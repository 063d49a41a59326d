/**
 * Policy domain types. Pure: nothing here knows about sockets, audit or metrics.
 */

export type Mode = 'enforce' | 'report';
export type Scheme = 'http' | 'https';

/** An allow rule as written in the config (after schema validation). */
export interface AllowRuleSpec {
  readonly host: string;
  readonly port?: number;
  readonly methods?: readonly string[];
  readonly paths?: readonly string[];
  /** Token kinds (or `prefix*`) the tool may send to this destination anywhere in a request. */
  readonly secrets?: readonly string[];
}

/** What the policy is asked about: always the CONNECT authority (or absolute-form URL), never an inner Host header. */
export interface PolicyQuery {
  readonly tool: string | null;
  readonly scheme: Scheme;
  readonly host: string; // already normalized by normalizeHost()
  readonly port: number;
  readonly method: string; // upper case
  /** Normalized by normalizePath(), no query. decide() normalizes it again (a fixed point for a normalized
   * path), so a raw or hostile value is still judged safely: an ambiguous one yields `path_ambiguous`. */
  readonly path: string;
}

export type DecisionAction = 'allow' | 'deny' | 'would_deny';

/** Reason codes are part of the public contract (audit, 403 bodies, metrics): never reuse or rename one. */
export type PolicyReason =
  | 'rule_matched'
  | 'no_rule_for_host'
  | 'port_not_allowed'
  | 'method_not_allowed'
  | 'path_not_allowed'
  /** The request-target cannot be read one unambiguous way (see normalizePath in path.ts). */
  | 'path_ambiguous'
  | 'unknown_tool'
  | 'anonymous_report_only';

// `satisfies` makes the compiler refuse this table when a reason is added to the union but not here.
const REASON_TABLE = {
  rule_matched: true,
  no_rule_for_host: true,
  port_not_allowed: true,
  method_not_allowed: true,
  path_not_allowed: true,
  path_ambiguous: true,
  unknown_tool: true,
  anonymous_report_only: true,
} as const satisfies Record<PolicyReason, true>;

/** Every reason code, for declaring metric label values up front and for docs tests. */
export const POLICY_REASONS = Object.freeze(Object.keys(REASON_TABLE)) as readonly PolicyReason[];

export interface Decision {
  readonly action: DecisionAction;
  readonly mode: Mode;
  readonly reason: PolicyReason;
  /** `<tool>#<index>` of the rule that matched (allow) or came closest (deny); null when no rule applies. */
  readonly ruleId: string | null;
}
