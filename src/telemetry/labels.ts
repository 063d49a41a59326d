/**
 * Bounded label values. Every label the catalogue writes passes through one of these functions, so a
 * value from traffic (a host, a method, a status, a reason, a kind) becomes a label only when it belongs
 * to a set fixed by the code or the configuration; anything else is `other`. This is what keeps the
 * number of series bounded and keeps names a tool makes up (a host, a header) out of the metrics.
 */
import { ERROR_CATALOGUE, isReasonCode } from '../errors/catalogue.js';
import { describeHostPattern, isBelowSuffix, parseHostPattern, type HostPattern } from '../policy/host-pattern.js';
import { POLICY_REASONS, type PolicyReason } from '../policy/types.js';

export const OTHER = 'other';
/** Tool and host label of an event without one (a CONNECT refused before the proxy knew who or where). */
export const NONE = '(none)';

export const DECISIONS = ['allow', 'deny', 'would_deny'] as const;
export const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'CONNECT', 'TRACE'] as const;
export const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx', 'none'] as const;
export const ACTOR_TYPES = ['human', 'automation', 'unknown'] as const;
export const REDACTION_LOCATIONS = ['request', 'response', 'log'] as const;
export const EXFILTRATION_ACTIONS = ['blocked', 'would_block'] as const;
export const AUDIT_SINK_TYPES = ['file', 'stdout', 'syslog', 'http'] as const;
export const AUDIT_WRITE_RESULTS = ['accepted', 'failed'] as const;
export const AUDIT_LOST_KINDS = ['request', 'alert'] as const;
export const RELOAD_RESULTS = ['success', 'failure'] as const;

export type RedactionLocation = (typeof REDACTION_LOCATIONS)[number];
export type ReloadResult = (typeof RELOAD_RESULTS)[number];

// rule_matched is no refusal; the other two only ever apply to callers without a configured tool.
const NON_TOOL_POLICY_REASONS: ReadonlySet<PolicyReason> = new Set(['rule_matched', 'unknown_tool', 'anonymous_report_only']);

/** Reasons a configured tool's request is commonly refused for: seeded at zero so rate() sees the first one. */
export const TOOL_DENY_REASONS: readonly string[] = [
  ...POLICY_REASONS.filter((reason) => !NON_TOOL_POLICY_REASONS.has(reason)),
  'host_mismatch',
  'exfiltration',
];
/** Reasons an unauthenticated or unknown caller is refused for. */
export const ANONYMOUS_DENY_REASONS: readonly string[] = ['proxy_auth_missing', 'proxy_auth_invalid', 'unknown_tool', 'anonymous_report_only'];
/** The policy's own verdicts a report-mode tool is let through with (decision `would_deny`). */
export const WOULD_DENY_REASONS: readonly string[] = POLICY_REASONS.filter((reason) => !NON_TOOL_POLICY_REASONS.has(reason));
/** Failures talking to an upstream: the catalogue's `upstream_error` class. */
export const UPSTREAM_ERROR_REASONS: readonly string[] = Object.entries(ERROR_CATALOGUE)
  .filter(([, entry]) => entry.error === 'upstream_error')
  .map(([code]) => code);

const POLICY_REASON_SET: ReadonlySet<string> = new Set(POLICY_REASONS);
const METHOD_SET: ReadonlySet<string> = new Set(METHODS);
// Pattern and credential kinds are snake_case names from patterns/ and tokens/ (validated there too).
const KIND_SHAPE = /^[a-z0-9]+(?:_[a-z0-9]+)*$/;
const MAX_KIND_LENGTH = 64;

export function methodLabel(method: string): string {
  return METHOD_SET.has(method) ? method : OTHER;
}

// Indexed by status / 100: one string per class, not a new one per request.
const STATUS_CLASS_BY_HUNDREDS: readonly string[] = [OTHER, '1xx', '2xx', '3xx', '4xx', '5xx'];

export function statusClassLabel(status: number | null): string {
  if (status === null) return 'none';
  const hundreds = Math.floor(status / 100);
  return hundreds >= 1 && hundreds <= 5 ? STATUS_CLASS_BY_HUNDREDS[hundreds]! : OTHER;
}

/** A reason code from the error catalogue or the policy, else `other`. */
export function reasonLabel(reason: string): string {
  return isReasonCode(reason) || POLICY_REASON_SET.has(reason) ? reason : OTHER;
}

export function kindLabel(kind: string): string {
  return kind.length <= MAX_KIND_LENGTH && KIND_SHAPE.test(kind) ? kind : OTHER;
}

export function actorTypeLabel(type: string): string {
  return (ACTOR_TYPES as readonly string[]).includes(type) ? type : 'unknown';
}

export function sinkTypeLabel(type: string): string {
  return (AUDIT_SINK_TYPES as readonly string[]).includes(type) ? type : OTHER;
}

/** The status class a decision usually ends in: what the zero series are seeded with. */
export function usualStatusClass(decision: (typeof DECISIONS)[number]): string {
  return decision === 'deny' ? '4xx' : '2xx';
}

export interface HostLabeler {
  /** The policy's own spelling of every host pattern (labels to seed), sorted. */
  readonly labels: readonly string[];
  /** The pattern a normalized host falls under: the exact host, else the longest `*.suffix`, else `other`. */
  label(host: string | null): string;
}

/**
 * Maps hosts to the allow-rule patterns that name them. Hosts outside every rule become `other`: a
 * tool can ask for any host, and each would otherwise be a new series (and a name in the metrics).
 */
export function createHostLabeler(patterns: readonly string[]): HostLabeler {
  const parsed = patterns.flatMap((source) => {
    const result = parseHostPattern(source);
    return result.ok ? [result.pattern] : [];
  });
  const exact = new Map<string, string>();
  const suffixes: { suffix: string; label: string }[] = [];
  for (const pattern of parsed) addPattern(pattern, exact, suffixes);
  // Longest suffix first: `*.api.example.test` names its hosts before `*.example.test` does.
  suffixes.sort((a, b) => b.suffix.length - a.suffix.length || a.suffix.localeCompare(b.suffix));
  const labels = [...new Set([...exact.values(), ...suffixes.map((entry) => entry.label)])].sort();
  return {
    labels,
    label(host) {
      if (host === null) return NONE;
      const named = exact.get(host);
      if (named !== undefined) return named;
      const below = suffixes.find((entry) => isBelowSuffix(host, entry.suffix));
      return below?.label ?? OTHER;
    },
  };
}

function addPattern(pattern: HostPattern, exact: Map<string, string>, suffixes: { suffix: string; label: string }[]): void {
  const label = describeHostPattern(pattern);
  if (pattern.kind === 'exact') exact.set(pattern.host, label);
  else if (!suffixes.some((entry) => entry.suffix === pattern.suffix)) suffixes.push({ suffix: pattern.suffix, label });
}
