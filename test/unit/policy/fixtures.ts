/**
 * Loading and shaping the YAML fixtures in test/fixtures/policy/. Every fixture is parsed with a strict
 * schema, so a misspelled key fails the suite instead of silently testing nothing.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { z } from 'zod';
import type { ToolConfig } from '../../../src/config/types.js';
import type { AllowRuleSpec } from '../../../src/policy/types.js';
import { POLICY_REASONS } from '../../../src/policy/types.js';

const FIXTURE_DIR = fileURLToPath(new URL('../../fixtures/policy/', import.meta.url));

export function fixtureFiles(suffix: string): string[] {
  return readdirSync(FIXTURE_DIR)
    .filter((name) => name.endsWith(suffix))
    .sort();
}

export function readFixture<T>(name: string, schema: z.ZodType<T>): T {
  return schema.parse(parse(readFileSync(`${FIXTURE_DIR}${name}`, 'utf8')));
}

export const modeSchema = z.enum(['enforce', 'report']);
const schemeSchema = z.enum(['http', 'https']);

const ruleSchema = z.strictObject({
  host: z.string(),
  port: z.number().optional(),
  methods: z.array(z.string()).optional(),
  paths: z.array(z.string()).optional(),
});

const toolSchema = z.strictObject({ mode: modeSchema.optional(), allow: z.array(ruleSchema) });

export const policySchema = z.strictObject({ mode: modeSchema, tools: z.record(z.string(), toolSchema) });
export type PolicyFixture = z.infer<typeof policySchema>;

/** Shape fixture tools as the config loader would hand them over: per-tool mode resolved, a secret set. */
export function toolConfigs(policy: PolicyFixture): Omit<ToolConfig, 'scrub'>[] {
  return Object.entries(policy.tools).map(([name, tool]) => ({
    name,
    secret: `fixture-secret-${name}`,
    actor: { principal: `${name}@fixtures`, type: 'automation' },
    mode: tool.mode ?? policy.mode,
    allow: tool.allow.map(toAllowRuleSpec),
  }));
}

function toAllowRuleSpec(rule: z.infer<typeof ruleSchema>): AllowRuleSpec {
  return {
    host: rule.host,
    ...(rule.port === undefined ? {} : { port: rule.port }),
    ...(rule.methods === undefined ? {} : { methods: rule.methods }),
    ...(rule.paths === undefined ? {} : { paths: rule.paths }),
  };
}

const expectSchema = z.strictObject({
  action: z.enum(['allow', 'deny', 'would_deny']),
  reason: z.enum(POLICY_REASONS as [string, ...string[]]),
  ruleId: z.string().nullable(),
  mode: modeSchema.optional(),
});

const requestFields = {
  tool: z.string().nullable().optional(),
  scheme: schemeSchema.optional(),
  host: z.string().optional(),
  method: z.string().optional(),
  target: z.string().optional(),
};

const caseSchema = z.strictObject({
  name: z.string(),
  /** `connect`: ask hostReachable() (method and target unknown); default `request`: ask decide(). */
  at: z.enum(['request', 'connect']).optional(),
  port: z.number().optional(),
  ...requestFields,
  expect: expectSchema,
});
export type DecisionCase = z.infer<typeof caseSchema>;

export const decisionFixtureSchema = z.strictObject({
  description: z.string(),
  policy: policySchema,
  defaults: z.strictObject(requestFields).optional(),
  cases: z.array(caseSchema).min(1),
});
