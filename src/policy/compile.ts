/**
 * Compile the per-tool allow lists once at start. Every problem in every rule is collected (not just the
 * first) and reported with its key path, so one boot shows the operator everything to fix. The result
 * holds no tool secret and is deep-frozen: per-request code only reads it.
 */
import type { ToolConfig } from '../config/types.js';
import type { AllowRuleSpec, Mode } from './types.js';
import type { PathGlob } from './glob.js';
import type { CompiledRule } from './rule.js';
import { parseHostPattern } from './host-pattern.js';
import { parsePathGlob } from './glob.js';
import { describeRule } from './rule.js';

export interface CompiledTool {
  readonly name: string;
  readonly mode: Mode;
  readonly rules: readonly CompiledRule[];
}

export interface CompiledPolicy {
  /** The global mode from the config; tools carry their own resolved mode. */
  readonly mode: Mode;
  /** Null-prototype record, so a tool named `constructor` or `__proto__` is just a missing key. */
  readonly tools: Readonly<Record<string, CompiledTool>>;
  readonly toolCount: number;
}

export interface PolicyIssue {
  /** Key path such as `tools.reader.allow[0].paths[1]`. */
  readonly path: string;
  readonly message: string;
}

export class PolicyCompileError extends Error {
  override readonly name = 'PolicyCompileError';
  readonly issues: readonly PolicyIssue[];

  constructor(issues: readonly PolicyIssue[]) {
    super(`invalid allow policy:\n${issues.map((issue) => `  ${issue.path}: ${issue.message}`).join('\n')}`);
    this.issues = Object.freeze(issues.map((issue) => Object.freeze({ ...issue })));
  }
}

// HTTP method = token (RFC 9110 section 5.6.2). Checked by loop: the config is not secret, but there is
// no reason to reach for a RegExp.
const TCHAR_SYMBOLS = "!#$%&'*+-.^_`|~";

/** Why `method` is not an HTTP method token, or null when it is. Used by the config schema. */
export function methodProblem(method: string): string | null {
  if (method.length === 0) return 'empty method';
  for (const char of method) {
    const isAlnum = (char >= '0' && char <= '9') || (char >= 'a' && char <= 'z') || (char >= 'A' && char <= 'Z');
    if (!isAlnum && !TCHAR_SYMBOLS.includes(char)) return 'method must be an HTTP token (letters, digits, !#$%&\'*+-.^_`|~)';
  }
  return null;
}

function toolKeyPath(name: string): string {
  return /^[A-Za-z0-9_-]+$/.test(name) ? `tools.${name}` : `tools[${JSON.stringify(name)}]`;
}

/** Collects every issue while compiling, so one failed boot names all of them. */
class IssueLog {
  readonly issues: PolicyIssue[] = [];
  add(path: string, message: string): void {
    this.issues.push({ path, message });
  }
}

/** What the policy needs of a tool: its name, resolved mode and allow rules (never its secret). */
export type PolicyTool = Pick<ToolConfig, 'name' | 'mode' | 'allow'>;

export function compilePolicy(tools: Iterable<PolicyTool>, globalMode: Mode): CompiledPolicy {
  const log = new IssueLog();
  if (!isMode(globalMode)) log.add('mode', 'mode must be "enforce" or "report"');
  const compiled: Record<string, CompiledTool> = Object.create(null) as Record<string, CompiledTool>;
  let toolCount = 0;
  for (const tool of tools) {
    const keyPath = toolKeyPath(tool.name);
    if (Object.hasOwn(compiled, tool.name)) log.add(keyPath, 'duplicate tool name');
    else toolCount += 1;
    compiled[tool.name] = compileTool(tool, keyPath, log);
  }
  if (log.issues.length > 0) throw new PolicyCompileError(log.issues);
  return deepFreeze({ mode: globalMode, tools: compiled, toolCount });
}

function isMode(value: unknown): value is Mode {
  return value === 'enforce' || value === 'report';
}

function compileTool(tool: PolicyTool, keyPath: string, log: IssueLog): CompiledTool {
  // `#` separates tool and index in rule ids: a name containing it would make ids ambiguous in audit.
  if (tool.name.length === 0 || tool.name.includes('#')) log.add(keyPath, 'tool name must be non-empty and contain no "#"');
  if (!isMode(tool.mode)) log.add(`${keyPath}.mode`, 'mode must be "enforce" or "report"');
  const rules = tool.allow.map((spec, index) => compileRule(spec, `${tool.name}#${index}`, `${keyPath}.allow[${index}]`, log));
  return { name: tool.name, mode: tool.mode, rules };
}

function compileRule(spec: AllowRuleSpec, id: string, keyPath: string, log: IssueLog): CompiledRule {
  const host = parseHostPattern(spec.host);
  if (!host.ok) log.add(`${keyPath}.host`, `${host.problem} (got ${JSON.stringify(spec.host)})`);
  const port = spec.port ?? null;
  if (port !== null && !(Number.isInteger(port) && port >= 1 && port <= 65535)) {
    log.add(`${keyPath}.port`, `port must be an integer from 1 to 65535 (got ${JSON.stringify(port)})`);
  }
  const methods = spec.methods === undefined ? null : compileMethods(spec.methods, `${keyPath}.methods`, log);
  const paths = spec.paths === undefined ? null : compilePaths(spec.paths, `${keyPath}.paths`, log);
  // On error the placeholder host is never used: compilePolicy throws once all issues are collected.
  const rule = { host: host.ok ? host.pattern : { kind: 'exact' as const, host: '' }, port, methods, paths };
  return { id, ...rule, secrets: spec.secrets === undefined ? null : [...new Set(spec.secrets)], description: describeRule(rule) };
}

function compileMethods(methods: readonly string[], keyPath: string, log: IssueLog): readonly string[] {
  if (methods.length === 0) log.add(keyPath, 'empty list allows nothing: omit the key to allow any method');
  methods.forEach((method, index) => {
    const problem = methodProblem(method);
    if (problem !== null) log.add(`${keyPath}[${index}]`, `${problem} (got ${JSON.stringify(method)})`);
  });
  return [...new Set(methods.map((method) => method.toUpperCase()))];
}

function compilePaths(globs: readonly string[], keyPath: string, log: IssueLog): readonly PathGlob[] {
  if (globs.length === 0) log.add(keyPath, 'empty list allows nothing: omit the key to allow any path');
  const compiled: PathGlob[] = [];
  globs.forEach((source, index) => {
    const parsed = parsePathGlob(source);
    if (parsed.ok) compiled.push(parsed.glob);
    else log.add(`${keyPath}[${index}]`, `${parsed.problem} (got ${JSON.stringify(source)})`);
  });
  return compiled;
}

/** The token kinds the rule `ruleId` lets its tool send (see AllowRuleSpec.secrets); empty when none. */
export function sendableSecretKinds(policy: CompiledPolicy, ruleId: string | null): readonly string[] {
  if (ruleId === null) return [];
  const hash = ruleId.lastIndexOf('#');
  const tool = Object.hasOwn(policy.tools, ruleId.slice(0, hash)) ? policy.tools[ruleId.slice(0, hash)] : undefined;
  return tool?.rules.find((rule) => rule.id === ruleId)?.secrets ?? [];
}

/** Whether `kind` is named by one of the patterns (exact, `prefix*`, or `*`). */
export function kindAllowed(patterns: readonly string[], kind: string): boolean {
  return patterns.some((pattern) => (pattern.endsWith('*') ? kind.startsWith(pattern.slice(0, -1)) : kind === pattern));
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}
