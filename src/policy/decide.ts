/**
 * Per-request decisions over a compiled policy. Pure and total: any query, however malformed, yields a
 * Decision and never throws. Default deny: only a matching rule allows.
 *
 * The query's host and path are normalized again here even though callers pass normalized values: both
 * normalizations are fixed points on their own output, so this costs a little time and means a caller
 * that forgot (or a raw hostile value) is still judged in canonical form.
 */
import type { Decision, Mode, PolicyQuery, PolicyReason, Scheme } from './types.js';
import type { CompiledPolicy, CompiledTool } from './compile.js';
import type { RuleEvaluation, RuleRequest, RuleStage } from './rule.js';
import { normalizeHost } from './host.js';
import { normalizePath } from './path.js';
import { RULE_STAGES, evaluateRule } from './rule.js';

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
  return explain(policy, query).decision;
}

/** CONNECT-time check, before method and path are known: can this tool reach host:port at all? */
export function hostReachable(
  policy: CompiledPolicy,
  tool: string | null,
  scheme: Scheme,
  host: string,
  port: number,
): Decision {
  const atConnect: RequestBuilder = (hostIsIp, normalized) => ({
    scheme,
    host: normalized,
    hostIsIp,
    port,
    method: null,
    path: null,
  });
  return evaluate(policy, tool, atConnect, host).decision;
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
  if (toolName === null && policy.toolCount === 0) {
    // The embedded default has no tools: everything is observed, nothing is blocked.
    return { decision: verdict('would_deny', 'report', 'anonymous_report_only', null), rules: [] };
  }
  const tool = toolName === null || !Object.hasOwn(policy.tools, toolName) ? undefined : policy.tools[toolName];
  if (tool === undefined) {
    // Identity failures are never shadowed by report mode: the action is deny whatever the mode says.
    return { decision: verdict('deny', policy.mode, 'unknown_tool', null), rules: [] };
  }
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
