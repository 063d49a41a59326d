/**
 * Findings: what the scanner reports about a secret — which rules, what kind, who holds such tokens, and
 * where it lies (byte offsets) — never the value itself, so a finding can go to an audit event as is.
 */
import type { Holder } from './catalogue-schema.js';
import type { RuleMatch } from './rule-matcher.js';

export interface Finding {
  /** The rule whose kind is reported (the most specific of the overlapping matches). */
  readonly ruleId: string;
  /** Every rule that matched inside this span, the reported one first. */
  readonly ruleIds: readonly string[];
  readonly kind: string;
  readonly holder: Holder;
  /** Byte offsets of the secret in the scanned input: [start, end). */
  readonly start: number;
  readonly end: number;
}

/**
 * Overlapping matches become one finding covering their union (redacting the widest span never leaves a
 * piece of a secret behind). Its kind comes from the most specific match: one whose rule recognises the
 * secret's own format (a checksum validator, then the longest span) over a context rule that only saw
 * `password=` in front of it; ties go to catalogue order.
 */
export function mergeMatches(matches: readonly RuleMatch[], ruleOrder: ReadonlyMap<string, number>): Finding[] {
  if (matches.length === 0) return [];
  const sorted = [...matches].sort((a, b) => a.start - b.start || b.end - a.end);
  const findings: Finding[] = [];
  let group: RuleMatch[] = [];
  let groupEnd = -1;
  for (const match of sorted) {
    if (group.length > 0 && match.start >= groupEnd) {
      findings.push(findingOf(group, ruleOrder));
      group = [];
    }
    group.push(match);
    groupEnd = group.length === 1 ? match.end : Math.max(groupEnd, match.end);
  }
  if (group.length > 0) findings.push(findingOf(group, ruleOrder));
  return findings;
}

function findingOf(group: readonly RuleMatch[], ruleOrder: ReadonlyMap<string, number>): Finding {
  const ranked = [...group].sort((a, b) => specificity(b) - specificity(a) || (ruleOrder.get(a.rule.id) ?? 0) - (ruleOrder.get(b.rule.id) ?? 0));
  const best = ranked[0]!;
  return {
    ruleId: best.rule.id,
    ruleIds: [...new Set(ranked.map((match) => match.rule.id))],
    kind: best.rule.kind,
    holder: best.rule.holder,
    start: Math.min(...group.map((match) => match.start)),
    end: Math.max(...group.map((match) => match.end)),
  };
}

/** Format rules (the secret starts with the keyword: `ghp_…`) beat context rules (`password=(…)`); then a validator, then length. */
function specificity(match: RuleMatch): number {
  const formatRule = match.keywordLeads ? 1 : 0;
  const validated = match.rule.validator === undefined ? 0 : 1;
  return formatRule * 1_000_000 + validated * 100_000 + Math.min(match.end - match.start, 99_999);
}
