/**
 * The policy domain's public surface. Pure: no sockets, audit or metrics; callers pass normalized hosts
 * and paths and receive Decisions (values with a reason code and rule id).
 */
export type { AllowRuleSpec, Decision, DecisionAction, Mode, PolicyQuery, PolicyReason, Scheme } from './types.js';
export { POLICY_REASONS } from './types.js';
export type { NormalizedHost } from './host.js';
export { authorityKey, normalizeHost } from './host.js';
export type { NormalizedPath } from './path.js';
export { normalizePath } from './path.js';
export { hostPatternProblem } from './host-pattern.js';
export { pathGlobProblem } from './glob.js';
export type { CompiledPolicy, CompiledTool, PolicyIssue } from './compile.js';
export { PolicyCompileError, compilePolicy, kindAllowed, methodProblem, sendableSecretKinds } from './compile.js';
export type { CompiledRule } from './rule.js';
export type { Explanation, HostScope, RuleExplanation } from './decide.js';
export { decide, decideInScope, explain, hostReachable, scopeForHost } from './decide.js';
