/**
 * Per-request decisions over a compiled policy. Pure and total: any query, however malformed, yields a
 * Decision and never throws. Default deny: only a matching rule allows.
 *
 * The query's host and path are normalized again here even though callers pass normalized values: both
 * normalizations are fixed points on their own output, so this costs a little time and means a caller
 * that forgot (or a raw hostile value) is still judged in canonical form. A HostScope holds its host in
 * that form already; decideInScope() still normalizes the path.
 *
 * decide() builds no explanation text (it runs per request); explain() does, for audit and debugging.
 */
import type { Decision, Mode, PolicyQuery, PolicyReason, Scheme } from './types.js';
import type { CompiledPolicy, CompiledTool } from './compile.js';
import type { CompiledRule, RuleEvaluation, RuleMiss, RuleRequest, RuleStage } from './rule.js';
import { hostMatches } from './host-pattern.js';
import { normalizeHost } from './host.js';
import { normalizePath } from './path.js';
import { RULE_STAGES, checkBeyondHost, evaluateRule } from './rule.js';

export interface RuleExplanation {
  readonly ruleId: string;
  readonly description: string;
  /** `matched`, or why the rule did not match (never quotes the path). */
  readonly outcome: string;
}

export interface Explanation {
  readonly decision: Decision;
  readonly rules: readonly RuleExplanation[];
}

export function decide(policy: CompiledPolicy, query: PolicyQuery): Decision {
  return decideInScope(scopeForHost(policy, query.tool, query.host), query);
}

/**
 * What a decision about one tool and host settles before method and path are known: a decision already
 * (anonymous, unknown tool, unusable host), or the tool's rules whose host pattern admits the host, in
 * order. Rules for other hosts can neither match nor name the closest miss (a host miss never does), so
 * deciding over this subset gives decide()'s answer. A tunnel computes it once for its authority.
 */
export type HostScope =
  | { readonly settled: Decision }
  | {
      readonly settled: null;
      readonly mode: Mode;
      readonly host: string;
      readonly hostIsIp: 4 | 6 | 0;
      readonly rules: readonly CompiledRule[];
      /** The allow Decision of each rule, made once (Decisions are frozen values). */
      readonly allows: readonly Decision[];
    };

export function scopeForHost(policy: CompiledPolicy, toolName: string | null, rawHost: string): HostScope {
  const tool = toolOf(policy, toolName);
  if (!('rules' in tool)) return { settled: tool };
  const host = normalizeHost(rawHost);
  if (!host.ok) return { settled: denial(tool.mode, 'no_rule_for_host', null) };
  const rules = tool.rules.filter((rule) => hostMatches(rule.host, host.host, host.isIp));
  const allows = rules.map((rule) => verdict('allow', tool.mode, 'rule_matched', rule.id));
  return { settled: null, mode: tool.mode, host: host.host, hostIsIp: host.isIp, rules, allows };
}

/** decide() within a scope from scopeForHost(); the path is normalized again (a fixed point if it was). */
export function decideInScope(scope: HostScope, query: Pick<PolicyQuery, 'scheme' | 'port' | 'method' | 'path'>): Decision {
  if (scope.settled !== null) return scope.settled;
  const request: RuleRequest = {
    scheme: query.scheme,
    host: scope.host,
    hostIsIp: scope.hostIsIp,
    port: query.port,
    method: String(query.method).toUpperCase(),
    path: normalizePath(query.path),
  };
  return firstMatch(scope, request);
}

/** CONNECT-time check, before method and path are known: can this tool reach host:port at all? */
export function hostReachable(
  policy: CompiledPolicy,
  tool: string | null,
  scheme: Scheme,
  host: string,
  port: number,
): Decision {
  const scope = scopeForHost(policy, tool, host);
  if (scope.settled !== null) return scope.settled;
  return firstMatch(scope, { scheme, host: scope.host, hostIsIp: scope.hostIsIp, port, method: null, path: null });
}

/** The tool to judge by, or the decision that no rule can change. */
function toolOf(policy: CompiledPolicy, toolName: string | null): CompiledTool | Decision {
  if (toolName === null && policy.toolCount === 0) {
    // The embedded default has no tools: everything is observed, nothing is blocked.
    return verdict('would_deny', 'report', 'anonymous_report_only', null);
  }
  const tool = toolName === null || !Object.hasOwn(policy.tools, toolName) ? undefined : policy.tools[toolName];
  // Identity failures are never shadowed by report mode: the action is deny whatever the mode says.
  return tool ?? verdict('deny', policy.mode, 'unknown_tool', null);
}

/** First matching rule allows; otherwise the miss that got furthest (first such rule on ties) explains the deny. */
function firstMatch(scope: Extract<HostScope, { settled: null }>, request: RuleRequest): Decision {
  let closest: RuleMiss | null = null;
  let closestRule: string | null = null;
  for (let index = 0; index < scope.rules.length; index++) {
    const rule = scope.rules[index]!;
    const missed = checkBeyondHost(rule, request);
    if (missed === null) return scope.allows[index]!;
    if (closest === null || stageRank(missed.stage) > stageRank(closest.stage)) {
      closest = missed;
      closestRule = rule.id;
    }
  }
  return closest === null ? denial(scope.mode, 'no_rule_for_host', null) : denial(scope.mode, closest.reason, closestRule);
}

/**
 * The decision plus, for each rule evaluated, whether it matched or why not: for audit and debugging.
 * Evaluation stops at the first match, so rules after it are not listed.
 */
export function explain(policy: CompiledPolicy, query: PolicyQuery): Explanation {
  return evaluate(
    policy,
    query.tool,
    (hostIsIp, host) => ({
      scheme: query.scheme,
      host,
      hostIsIp,
      port: query.port,
      method: String(query.method).toUpperCase(),
      path: normalizePath(query.path),
    }),
    query.host,
  );
}

type RequestBuilder = (hostIsIp: 4 | 6 | 0, normalizedHost: string) => RuleRequest;

function evaluate(policy: CompiledPolicy, toolName: string | null, build: RequestBuilder, rawHost: string): Explanation {
  const tool = toolOf(policy, toolName);
  if (!('rules' in tool)) return { decision: tool, rules: [] };
  const host = normalizeHost(rawHost);
  if (!host.ok) return { decision: denial(tool.mode, 'no_rule_for_host', null), rules: [] };
  return judge(tool, build(host.isIp, host.host));
}

const stageRank = (stage: RuleStage): number => RULE_STAGES.indexOf(stage);

/** First matching rule allows; otherwise the miss that got furthest (first such rule on ties) explains the deny. */
function judge(tool: CompiledTool, request: RuleRequest): Explanation {
  const rules: RuleExplanation[] = [];
  let closest: { readonly ruleId: string; readonly evaluation: RuleEvaluation & { matched: false } } | null = null;
  for (const rule of tool.rules) {
    const evaluation = evaluateRule(rule, request);
    rules.push({ ruleId: rule.id, description: rule.description, outcome: evaluation.matched ? 'matched' : evaluation.why });
    if (evaluation.matched) return { decision: verdict('allow', tool.mode, 'rule_matched', rule.id), rules };
    const isCloser = closest === null || stageRank(evaluation.stage) > stageRank(closest.evaluation.stage);
    if (evaluation.stage !== 'host' && isCloser) closest = { ruleId: rule.id, evaluation };
  }
  const decision =
    closest === null
      ? denial(tool.mode, 'no_rule_for_host', null)
      : denial(tool.mode, closest.evaluation.reason, closest.ruleId);
  return { decision, rules };
}

function denial(mode: Mode, reason: PolicyReason, ruleId: string | null): Decision {
  return verdict(mode === 'report' ? 'would_deny' : 'deny', mode, reason, ruleId);
}

function verdict(action: Decision['action'], mode: Mode, reason: PolicyReason, ruleId: string | null): Decision {
  return Object.freeze({ action, mode, reason, ruleId });
}
