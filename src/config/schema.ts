/**
 * The config FILE shape, declared once: validation, defaults, and (through json-schema.ts) the JSON Schema
 * editors use. Pure: no file system or environment access here; load.ts and environment.ts do that.
 *
 * Every object is strict, so a misspelt key (`secretenv`, `allows`) fails loudly instead of silently
 * falling back to a default that might be less safe. Nested objects use `.prefault({})` so their own
 * defaults are applied when the whole object is absent.
 */
import { z } from 'zod';
import { ENV_NAME, strictObject } from './schema-parts.js';
import { hostPatternProblem, methodProblem, pathGlobProblem } from '../policy/index.js';
import type { HostPort } from './types.js';
import { parseAuthorityKey, parseDialTarget, parseListenAddress, type Parsed } from './address.js';
import { AuditSchema, TokensSchema } from './audit-schema.js';
import { DEFAULTS, MAX_DURATION_MS, MAX_SCAN_BODY_BYTES, MIN_SECRET_LENGTH, TOOL_NAME_PATTERN } from './default.js';

/** A string checked by one of the policy module's validators, which return a problem sentence or null. */
function checkedString(problemOf: (value: string) => string | null) {
  return z.string().superRefine((value, ctx) => {
    const problem = problemOf(value);
    if (problem !== null) ctx.addIssue({ code: 'custom', message: `${problem} (got ${JSON.stringify(value)})`, input: value });
  });
}

function parsedBy<I, O>(parse: (input: I) => Parsed<O>) {
  return (input: I, ctx: z.core.$RefinementCtx<I>): O => {
    const parsed = parse(input);
    if (parsed.ok) return parsed.value;
    ctx.addIssue({ code: 'custom', message: parsed.problem, input });
    return z.NEVER;
  };
}

function durationMs(min: number, fallback: number) {
  return z.number().int().min(min).max(MAX_DURATION_MS).default(fallback);
}

const ModeSchema = z.enum(['enforce', 'report']);

const ADDRESS_FORMS = '"host:port", "[ipv6]:port" (quoted in YAML), or a bare port bound on 127.0.0.1.';

const ListenSchema = z
  .union([z.string(), z.number()], { error: 'expected "host:port", "[ipv6]:port" or a port number' })
  .transform(parsedBy(parseListenAddress));

const HostPatternSchema = checkedString(hostPatternProblem);

const ResolveSchema = z
  .record(z.string(), z.string().transform(parsedBy(parseDialTarget)))
  // Keys are checked even when a target is wrong, so one pass reports both.
  .superRefine(reportBadAuthorityKeys, { when: (payload) => isPlainObject(payload.value) })
  .transform(rekeyByAuthority)
  .meta({ description: '"host:port" -> "ip:port", like curl --resolve. Named targets skip the private-address guard.' });

/** `API.example.test:443` and `api.example.test:443` are one authority: two entries are an error, not an overwrite. */
function reportBadAuthorityKeys(entries: Record<string, unknown>, ctx: z.core.$RefinementCtx<Record<string, unknown>>): void {
  const firstSpelling = new Map<string, string>();
  for (const raw of Object.keys(entries)) {
    const key = parseAuthorityKey(raw);
    if (!key.ok) {
      ctx.addIssue({ code: 'custom', path: [raw], message: key.problem, input: raw });
      continue;
    }
    const earlier = firstSpelling.get(key.value);
    if (earlier === undefined) firstSpelling.set(key.value, raw);
    else ctx.addIssue({ code: 'custom', path: [raw], message: `same authority as "${earlier}" (${key.value})`, input: raw });
  }
}

/** Runs only after reportBadAuthorityKeys found nothing, so every key parses and none collide. */
function rekeyByAuthority(entries: Record<string, HostPort>): ReadonlyMap<string, HostPort> {
  const byKey = new Map<string, HostPort>();
  for (const [raw, target] of Object.entries(entries)) {
    const key = parseAuthorityKey(raw);
    if (key.ok) byKey.set(key.value, target);
  }
  return byKey;
}

export const CaFilesSchema = z
  .union([z.string().min(1), z.array(z.string().min(1))], { error: 'expected a PEM file path or a list of them' })
  .transform((ca) => (typeof ca === 'string' ? [ca] : ca))
  .prefault([])
  .meta({ description: 'Extra CA bundle(s) (PEM) trusted for upstream TLS, in addition to the system roots.' });

const UpstreamSchema = strictObject({
  ca: CaFilesSchema,
  resolve: ResolveSchema.prefault({}),
  allowPrivate: z
    .array(HostPatternSchema)
    .default([])
    .meta({ description: 'Host patterns (exact or *.suffix) whose private or loopback addresses may be dialled.' }),
  connectTimeoutMs: durationMs(1, DEFAULTS.connectTimeoutMs),
  responseTimeoutMs: durationMs(1, DEFAULTS.responseTimeoutMs).meta({
    description: 'Idle time allowed while waiting for response headers or body bytes.',
  }),
});

// Token kinds as the patterns/ catalogue names them (`github_classic_pat`), or a prefix ending in `*`.
const SECRET_KIND_PATTERN = /^[a-z0-9][a-z0-9_]*\*?$|^\*$/;

const AllowRuleFileSchema = strictObject({
  host: HostPatternSchema.meta({ description: 'Exact host, IP literal, or *.suffix (subdomains only, not the suffix itself).' }),
  port: z.number().int().min(1).max(65_535).optional().meta({ description: 'Any port when absent.' }),
  methods: z.array(checkedString(methodProblem)).min(1, 'empty list allows nothing: omit the key to allow any method').optional(),
  paths: z.array(checkedString(pathGlobProblem)).min(1, 'empty list allows nothing: omit the key to allow any path').optional(),
  secrets: z
    .array(z.string().regex(SECRET_KIND_PATTERN, 'expected a token kind from patterns/ (github_classic_pat) or a prefix ending in * (github_*)'))
    .min(1, 'empty list allows nothing: omit the key')
    .optional()
    .meta({
      description:
        'Token kinds this tool may send to this destination anywhere in a request (body, query, any header) without it counting as exfiltration.',
    }),
});

const scrubShape = {
  responses: z.enum(['redact', 'off']).meta({ description: 'redact: secrets in response bodies (and WebSocket text) never reach the tool.' }),
  requests: z.enum(['block', 'redact', 'off']).meta({
    description: 'A secret leaving for a destination it does not belong to (exfiltration): refuse the request, redact it, or ignore it.',
  }),
  undecodable: z.enum(['pass', 'block']).meta({
    description: 'A body whose Content-Encoding cannot be decoded for scanning: pass it unscanned (flagged in the audit) or refuse it.',
  }),
  maxRequestBodyBytes: z.number().int().min(0).max(MAX_SCAN_BODY_BYTES).meta({
    description: 'Request bodies up to this size are held and scanned before they are sent; a larger one is refused when requests: block.',
  }),
  markers: z.enum(['plain', 'fingerprint']).meta({
    description: 'Replacement text: [REDACTED:<kind>] or [REDACTED:<kind>:<8 hex of a keyed HMAC>] for correlation.',
  }),
};

const ScrubSchema = strictObject({
  responses: scrubShape.responses.default(DEFAULTS.scrub.responses),
  requests: scrubShape.requests.default(DEFAULTS.scrub.requests),
  undecodable: scrubShape.undecodable.default(DEFAULTS.scrub.undecodable),
  maxRequestBodyBytes: scrubShape.maxRequestBodyBytes.default(DEFAULTS.scrub.maxRequestBodyBytes),
  markers: scrubShape.markers.default(DEFAULTS.scrub.markers),
});

const ToolScrubSchema = strictObject({
  responses: scrubShape.responses.optional(),
  requests: scrubShape.requests.optional(),
  undecodable: scrubShape.undecodable.optional(),
  maxRequestBodyBytes: scrubShape.maxRequestBodyBytes.optional(),
  markers: scrubShape.markers.optional(),
});

// Principals are written into audit events: no control characters, so a config cannot forge log lines.
const PrincipalSchema = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[^\u0000-\u001f\u007f-\u009f]+$/, 'must not contain control characters');

const ActorSchema = strictObject({
  principal: PrincipalSchema.optional(),
  type: z.enum(['human', 'automation', 'unknown']).default('unknown'),
});

const secretSourceShape = {
  secretEnv: z
    .string()
    .regex(ENV_NAME, 'expected an environment variable name such as READER_PROXY_SECRET')
    .optional()
    .meta({ description: `Environment variable holding the tool's proxy password (at least ${MIN_SECRET_LENGTH} characters).` }),
  secretFile: z
    .string()
    .min(1)
    .optional()
    .meta({ description: "File (mode 0600) holding the tool's proxy password, relative to this file." }),
};

function exactlyOneSecretSource(
  tool: { readonly secretEnv?: unknown; readonly secretFile?: unknown },
  ctx: z.core.$RefinementCtx<unknown>,
): void {
  const sources = [tool.secretEnv, tool.secretFile].filter((source) => source !== undefined).length;
  if (sources === 1) return;
  const message =
    sources === 0
      ? 'missing secret: set "secretEnv" (an environment variable name) or "secretFile" (a file path)'
      : 'set only one of "secretEnv" and "secretFile"';
  ctx.addIssue({ code: 'custom', message, input: tool });
}

// Runs even when other keys of the tool are wrong, so every problem is reported in one pass.
const whenObject = { when: (payload: z.core.ParsePayload) => isPlainObject(payload.value) };

/**
 * Only where a tool's secret comes from; other keys are ignored. Lets the loader check a tool's secret even
 * when the rest of that tool has problems, so they are all reported together.
 */
export const SecretSourceSchema = z.object(secretSourceShape).superRefine(exactlyOneSecretSource, whenObject);

export const ToolFileSchema = strictObject({
  ...secretSourceShape,
  actor: ActorSchema.optional().meta({
    description: 'Who the tool acts for; defaults to {principal: <tool name>, type: unknown}.',
  }),
  mode: ModeSchema.optional().meta({ description: 'Overrides the global mode for this tool.' }),
  allow: z.array(AllowRuleFileSchema).default([]).meta({ description: 'Requests matching any rule are allowed.' }),
  scrub: ToolScrubSchema.optional().meta({ description: 'Overrides the global scrub settings for this tool, key by key.' }),
}).superRefine(exactlyOneSecretSource, whenObject);

const TOOL_NAME_RULE =
  'tool names are 1-64 characters of a-z, 0-9, "_", "." and "-", starting with a letter or digit ' +
  '(they appear in proxy URLs and metric labels)';

/** Names are checked beside (not instead of) the tool bodies, so a misnamed tool still gets its body validated. */
function reportBadToolNames(tools: Record<string, unknown>, ctx: z.core.$RefinementCtx<Record<string, unknown>>): void {
  for (const name of Object.keys(tools)) {
    if (!TOOL_NAME_PATTERN.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: TOOL_NAME_RULE, input: name });
  }
}

const ToolsFileSchema = z
  .record(z.string(), ToolFileSchema)
  .superRefine(reportBadToolNames, whenObject)
  .default({})
  .meta({
    description: 'Callers, by name: the Basic proxy username. Each has a secret, an actor and allow rules.',
    propertyNames: { type: 'string', pattern: TOOL_NAME_PATTERN.source },
  });

export const ConfigFileSchema = strictObject({
  listen: ListenSchema.prefault(DEFAULTS.listen).meta({ description: `Proxy address. ${ADDRESS_FORMS}` }),
  admin: ListenSchema.prefault(DEFAULTS.admin).meta({ description: `Metrics and health address. ${ADDRESS_FORMS}` }),
  dataDir: z
    .string()
    .min(1)
    .default(DEFAULTS.dataDir)
    .meta({ description: 'Directory for runtime state (the default audit file lives here), relative to this file.' }),
  mode: ModeSchema.default(DEFAULTS.mode).meta({
    description: 'enforce: deny requests no rule allows. report: allow them but record would_deny.',
  }),
  upstream: UpstreamSchema.prefault({}),
  tools: ToolsFileSchema,
  audit: AuditSchema.prefault({}),
  tokens: TokensSchema.prefault({}).meta({ description: 'Token inventory settings.' }),
  scrub: ScrubSchema.prefault({}).meta({ description: 'Traffic scrubbing for every tool (and anonymous use); tools may override it.' }),
  shutdownGraceMs: durationMs(0, DEFAULTS.shutdownGraceMs).meta({
    description: 'How long in-flight requests may finish after SIGTERM.',
  }),
}).superRefine(crossFieldProblems, whenObject);

/**
 * Parse-time error map in YAML terms: a missing key or a key with no value (`tools:`) says so, instead of
 * "expected record, received null".
 */
export const fileErrorMap: z.core.$ZodErrorMap = (issue) => {
  if (issue.code !== 'invalid_type') return undefined;
  const expected = issue.expected === 'record' || issue.expected === 'object' ? 'a mapping' : issue.expected;
  if (issue.input === undefined) return `required key is missing (expected ${expected})`;
  if (issue.input === null) return `the key has no value (expected ${expected})`;
  return undefined;
};

export type ConfigFile = z.output<typeof ConfigFileSchema>;
export type ToolFile = z.output<typeof ToolFileSchema>;
export type SecretSource = z.output<typeof SecretSourceSchema>;
export type AllowRuleFile = z.output<typeof AllowRuleFileSchema>;

/** Rules spanning several keys. Each rule only looks at keys that validated, so it never reads raw input. */
function crossFieldProblems(config: ConfigFile, ctx: z.core.$RefinementCtx<ConfigFile>): void {
  const valid = (key: string) => !ctx.issues.some((issue) => issue.path?.[0] === key);
  if (valid('mode') && valid('tools') && config.mode === 'enforce' && Object.keys(config.tools).length === 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['tools'],
      message:
        'mode is enforce but no tools are defined: every request would be denied and no tool could authenticate; ' +
        'define a tool or use mode: report',
    });
  }
  if (valid('listen') && valid('admin') && bindsOverlap(config.listen, config.admin)) {
    ctx.addIssue({ code: 'custom', path: ['admin'], message: 'the admin address overlaps the proxy listen address' });
  }
}

function bindsOverlap(a: HostPort, b: HostPort): boolean {
  if (a.port === 0 || a.port !== b.port) return false;
  const wildcard = (host: string) => host === '0.0.0.0' || host === '::';
  return a.host === b.host || wildcard(a.host) || wildcard(b.host);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
