/**
 * One compiled allow rule and its evaluation. Evaluation walks host -> port -> method -> path and stops
 * at the first miss, reporting how far it got: decide() uses that stage to name the rule that came
 * closest and the reason, and explain() uses the `why` text. Compiled rules are plain data (no
 * closures) so the policy can be deep-frozen.
 */
import type { Scheme, PolicyReason } from './types.js';
import type { HostPattern } from './host-pattern.js';
import type { PathGlob } from './glob.js';
import type { NormalizedPath } from './path.js';
import { describeHostPattern, hostMatches, hostMismatch } from './host-pattern.js';
import { matchesPathGlob } from './glob.js';

export interface CompiledRule {
  /** `<tool>#<index>`, index 0-based in the tool's allow list. */
  readonly id: string;
  readonly host: HostPattern;
  /** null: the scheme's default port (https 443, http 80). */
  readonly port: number | null;
  /** Upper case; null: any method. */
  readonly methods: readonly string[] | null;
  /** null: any path, ambiguous ones included (there is no path boundary to escape). */
  readonly paths: readonly PathGlob[] | null;
  /** Token kinds (exact, or a prefix ending in `*`) the tool may send to this destination; null: none. */
  readonly secrets: readonly string[] | null;
  /** One line for audit and debugging: `host=api.example.test port=443 methods=GET paths=/repos/**`. */
  readonly description: string;
}

/** A request as far as it is known: method and path are null at CONNECT time. */
export interface RuleRequest {
  readonly scheme: Scheme;
  readonly host: string; // normalized
  readonly hostIsIp: 4 | 6 | 0;
  readonly port: number;
  readonly method: string | null; // upper case
  readonly path: NormalizedPath | null;
}

/** Stages in evaluation order; a later stage reached means a closer miss. */
export const RULE_STAGES = ['host', 'port', 'method', 'path'] as const;
export type RuleStage = (typeof RULE_STAGES)[number];

export type RuleEvaluation =
  | { readonly matched: true }
  | { readonly matched: false; readonly stage: RuleStage; readonly reason: PolicyReason; readonly why: string };

const DEFAULT_PORTS: Readonly<Record<Scheme, number>> = Object.freeze({ https: 443, http: 80 });

export function describeRule(rule: Pick<CompiledRule, 'host' | 'port' | 'methods' | 'paths'>): string {
  const port = rule.port === null ? 'scheme-default(https:443,http:80)' : String(rule.port);
  const methods = rule.methods === null ? 'ANY' : rule.methods.join(',');
  const paths = rule.paths === null ? 'ANY' : rule.paths.map((glob) => glob.source).join(',');
  return `host=${describeHostPattern(rule.host)} port=${port} methods=${methods} paths=${paths}`;
}

/** How far a rule got before it missed: what decide() needs, without the explanation text. */
export interface RuleMiss {
  readonly stage: RuleStage;
  readonly reason: PolicyReason;
}

const MISSED: Readonly<Record<'host' | 'port' | 'method' | 'path' | 'ambiguous', RuleMiss>> = Object.freeze({
  host: Object.freeze({ stage: 'host', reason: 'no_rule_for_host' }),
  port: Object.freeze({ stage: 'port', reason: 'port_not_allowed' }),
  method: Object.freeze({ stage: 'method', reason: 'method_not_allowed' }),
  path: Object.freeze({ stage: 'path', reason: 'path_not_allowed' }),
  ambiguous: Object.freeze({ stage: 'path', reason: 'path_ambiguous' }),
});

/** Null when the rule matches, else the stage it missed at. Allocates nothing: it runs per request. */
export function checkRule(rule: CompiledRule, request: RuleRequest): RuleMiss | null {
  if (!hostMatches(rule.host, request.host, request.hostIsIp)) return MISSED.host;
  return checkBeyondHost(rule, request);
}

/** checkRule() for a rule whose host is known to match (a tunnel's rules are filtered by host once). */
export function checkBeyondHost(rule: CompiledRule, request: RuleRequest): RuleMiss | null {
  if (request.port !== (rule.port ?? DEFAULT_PORTS[request.scheme])) return MISSED.port;
  if (request.method !== null && rule.methods !== null && !rule.methods.includes(request.method)) return MISSED.method;
  const path = request.path;
  if (path === null || rule.paths === null) return null;
  if (!path.ok) return MISSED.ambiguous;
  for (const glob of rule.paths) if (matchesPathGlob(glob, path.segments)) return null;
  return MISSED.path;
}

export function evaluateRule(rule: CompiledRule, request: RuleRequest): RuleEvaluation {
  const missed = checkRule(rule, request);
  if (missed === null) return MATCHED;
  return { matched: false, stage: missed.stage, reason: missed.reason, why: whyMissed(rule, request, missed) };
}

const MATCHED: RuleEvaluation = Object.freeze({ matched: true });

/** The explanation text of a miss, for explain(). It never quotes the path: paths can carry tokens. */
function whyMissed(rule: CompiledRule, request: RuleRequest, missed: RuleMiss): string {
  switch (missed.stage) {
    case 'host':
      return hostMismatch(rule.host, request.host, request.hostIsIp) ?? 'host does not match';
    case 'port':
      return `port ${request.port} is not ${rule.port ?? DEFAULT_PORTS[request.scheme]} (${request.scheme})`;
    case 'method':
      return `method ${String(request.method)} is not one of ${(rule.methods ?? []).join(',')}`;
    case 'path':
      if (request.path !== null && !request.path.ok) return `path is ambiguous: ${request.path.problem}`;
      return `path matches none of ${(rule.paths ?? []).map((glob) => glob.source).join(',')}`;
  }
}
