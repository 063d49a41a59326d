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
import { describeHostPattern, hostMismatch } from './host-pattern.js';
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

export function evaluateRule(rule: CompiledRule, request: RuleRequest): RuleEvaluation {
  const hostWhy = hostMismatch(rule.host, request.host, request.hostIsIp);
  if (hostWhy !== null) return miss('host', 'no_rule_for_host', hostWhy);
  const allowedPort = rule.port ?? DEFAULT_PORTS[request.scheme];
  if (request.port !== allowedPort) {
    return miss('port', 'port_not_allowed', `port ${request.port} is not ${allowedPort} (${request.scheme})`);
  }
  if (request.method !== null && rule.methods !== null && !rule.methods.includes(request.method)) {
    return miss('method', 'method_not_allowed', `method ${request.method} is not one of ${rule.methods.join(',')}`);
  }
  return request.path === null ? { matched: true } : evaluatePath(rule.paths, request.path);
}

function evaluatePath(globs: readonly PathGlob[] | null, path: NormalizedPath): RuleEvaluation {
  if (globs === null) return { matched: true };
  // The problem text names a position and a kind, never the path itself (paths can carry tokens).
  if (!path.ok) return miss('path', 'path_ambiguous', `path is ambiguous: ${path.problem}`);
  if (globs.some((glob) => matchesPathGlob(glob, path.segments))) return { matched: true };
  return miss('path', 'path_not_allowed', `path matches none of ${globs.map((glob) => glob.source).join(',')}`);
}

function miss(stage: RuleStage, reason: PolicyReason, why: string): RuleEvaluation {
  return { matched: false, stage, reason, why };
}
