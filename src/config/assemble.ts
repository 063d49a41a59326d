/**
 * From a parsed YAML document to the domain EgressConfig: schema validation, then the environment checks
 * (secrets, CA files), then path resolution and defaults that depend on other keys.
 *
 * Problems are collected, never thrown one at a time: the environment checks run on every tool and CA list
 * that is itself well-formed, even when other parts of the file are not, so one run shows everything.
 */
import { resolve } from 'node:path';
import type { AllowRuleSpec } from '../policy/types.js';
import { auditSinks, readSinkOutside, type SinkOutside } from './audit-assemble.js';
import type { AuditSinkFile } from './audit-schema.js';
import type { EgressConfig, ScrubSettings, ToolConfig } from './types.js';
import { issuesFromZod, type KeyPath, type PathIssue } from './errors.js';
import { checkCaFiles, readToolSecret, type Environment, type ReportIssue } from './environment.js';
import {
  CaFilesSchema,
  ConfigFileSchema,
  fileErrorMap,
  SecretSourceSchema,
  type AllowRuleFile,
  type ConfigFile,
  type ToolFile,
} from './schema.js';

export interface AssembleContext {
  /** Directory relative paths are resolved against: the config file's, or the working directory. */
  readonly baseDir: string;
  readonly env: Environment;
  readonly source: string | null;
}

export type AssembleResult =
  | { readonly ok: true; readonly config: EgressConfig }
  | { readonly ok: false; readonly issues: PathIssue[] };

export function assembleConfig(document: unknown, context: AssembleContext): AssembleResult {
  const issues: PathIssue[] = [];
  const report: ReportIssue = (segments, message) => void issues.push({ segments, message });
  reportProtoKeys(document, [], report);
  const parsed = ConfigFileSchema.safeParse(document, { error: fileErrorMap });
  if (!parsed.success) issues.push(...issuesFromZod(parsed.error));
  const secrets = loadSecrets(child(document, 'tools'), context, report);
  const caFiles = loadCaFiles(child(child(document, 'upstream'), 'ca'), context, report);
  const sinkOutside = readSinkOutside(child(child(document, 'audit'), 'sinks'), { baseDir: context.baseDir, env: context.env, report });
  if (!parsed.success || issues.length > 0) return { ok: false, issues };
  const config = buildConfig(parsed.data, { secrets, caFiles, sinkOutside }, context, report);
  return issues.length > 0 ? { ok: false, issues } : { ok: true, config };
}

/** Each tool's secret, by tool name. Checked for every tool whose secret source is well-formed. */
function loadSecrets(rawTools: unknown, context: AssembleContext, report: ReportIssue): Map<string, string> {
  const secrets = new Map<string, string>();
  if (!isPlainObject(rawTools)) return secrets;
  const ownerOfSecret = new Map<string, string>();
  for (const [name, rawTool] of Object.entries(rawTools)) {
    const source = SecretSourceSchema.safeParse(rawTool);
    if (!source.success) continue;
    const at: KeyPath = ['tools', name];
    const secret = readToolSecret(source.data, at, context.baseDir, context.env, report);
    if (secret === undefined) continue;
    // Identity is tool name + password; a shared password would let either tool authenticate as the other.
    const owner = ownerOfSecret.get(secret);
    const sourceKey = source.data.secretEnv === undefined ? 'secretFile' : 'secretEnv';
    if (owner === undefined) ownerOfSecret.set(secret, name);
    else report([...at, sourceKey], `same secret as tool "${owner}"; every tool needs its own secret`);
    secrets.set(name, secret);
  }
  return secrets;
}

function loadCaFiles(rawCa: unknown, context: AssembleContext, report: ReportIssue): string[] {
  const ca = CaFilesSchema.safeParse(rawCa);
  if (!ca.success) return [];
  const pathOf = (index: number): KeyPath => (typeof rawCa === 'string' ? ['upstream', 'ca'] : ['upstream', 'ca', index]);
  return checkCaFiles(ca.data, pathOf, context.baseDir, report);
}

interface ReadOutside {
  readonly secrets: ReadonlyMap<string, string>;
  readonly caFiles: readonly string[];
  readonly sinkOutside: ReadonlyMap<number, SinkOutside>;
}

function buildConfig(
  file: ConfigFile,
  { secrets, caFiles, sinkOutside }: ReadOutside,
  context: AssembleContext,
  report: ReportIssue,
): EgressConfig {
  const dataDir = resolve(context.baseDir, file.dataDir);
  return {
    source: context.source,
    listen: file.listen,
    admin: file.admin,
    dataDir,
    mode: file.mode,
    upstream: { ...file.upstream, ca: caFiles },
    tools: new Map(
      Object.entries(file.tools).map(([name, tool]) => [name, toolConfig(name, tool, secretOf(secrets, name), file)]),
    ),
    audit: {
      sinks: auditSinks(resolveSinkPaths(file.audit.sinks, context.baseDir), dataDir, sinkOutside, report),
      onAuditFailure: file.audit.onAuditFailure,
    },
    tokens: { dormantAfterMs: Math.round(file.tokens.dormantAfterDays * 86_400_000) },
    scrub: file.scrub,
    shutdownGraceMs: file.shutdownGraceMs,
  };
}

function secretOf(secrets: ReadonlyMap<string, string>, name: string): string {
  const secret = secrets.get(name);
  // Every well-formed tool either got its secret or reported an issue, and issues stop assembly earlier.
  if (secret === undefined) throw new Error(`internal error: no secret loaded for tool "${name}"`);
  return secret;
}

function toolConfig(name: string, tool: ToolFile, secret: string, file: ConfigFile): ToolConfig {
  return {
    name,
    secret,
    actor: { principal: tool.actor?.principal ?? name, type: tool.actor?.type ?? 'unknown' },
    mode: tool.mode ?? file.mode,
    allow: tool.allow.map(allowRuleSpec),
    scrub: scrubSettings(file.scrub, tool.scrub),
  };
}

// exactOptionalPropertyTypes: keys the file left out are absent, not present-and-undefined.
function allowRuleSpec(rule: AllowRuleFile): AllowRuleSpec {
  return {
    host: rule.host,
    ...(rule.port === undefined ? {} : { port: rule.port }),
    ...(rule.methods === undefined ? {} : { methods: rule.methods }),
    ...(rule.paths === undefined ? {} : { paths: rule.paths }),
    ...(rule.secrets === undefined ? {} : { secrets: rule.secrets }),
  };
}

/** The tool's own scrub keys over the global ones, key by key. */
function scrubSettings(global: ScrubSettings, own: ToolFile['scrub']): ScrubSettings {
  return {
    responses: own?.responses ?? global.responses,
    requests: own?.requests ?? global.requests,
    undecodable: own?.undecodable ?? global.undecodable,
    maxRequestBodyBytes: own?.maxRequestBodyBytes ?? global.maxRequestBodyBytes,
    markers: own?.markers ?? global.markers,
  };
}

/**
 * zod drops an own `__proto__` key while building its output (the assignment sets the prototype instead),
 * so `tools: { __proto__: ... }` would vanish silently. Refuse the key wherever it appears.
 */
function reportProtoKeys(value: unknown, at: KeyPath, report: ReportIssue): void {
  if (Array.isArray(value)) return value.forEach((item, index) => reportProtoKeys(item, [...at, index], report));
  if (!isPlainObject(value)) return;
  for (const [key, item] of Object.entries(value)) {
    if (key === '__proto__') report([...at, key], 'the key "__proto__" is not allowed');
    else reportProtoKeys(item, [...at, key], report);
  }
}

function child(value: unknown, key: string): unknown {
  return isPlainObject(value) ? value[key] : undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** File sink paths are relative to the config file's directory. */
function resolveSinkPaths(sinks: readonly AuditSinkFile[] | undefined, baseDir: string): AuditSinkFile[] | undefined {
  return sinks?.map((sink) => (sink.type === 'file' ? { ...sink, path: resolve(baseDir, sink.path) } : sink));
}
