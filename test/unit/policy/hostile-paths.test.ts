/**
 * The guarantee a `/repos/**` rule gives: a target that really points outside /repos, or that a backend
 * could read more than one way, is never allowed by it.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { PolicyQuery } from '../../../src/policy/types.js';
import { compilePolicy } from '../../../src/policy/compile.js';
import { decide } from '../../../src/policy/decide.js';
import { normalizePath } from '../../../src/policy/path.js';
import { policySchema, readFixture, toolConfigs } from './fixtures.js';

const fixture = readFixture(
  'hostile-paths.yaml',
  z.strictObject({
    policy: policySchema,
    outside: z.array(z.strictObject({ target: z.string(), reason: z.enum(['path_ambiguous', 'path_not_allowed']) })).min(20),
    inside: z.array(z.string()).min(1),
  }),
);
const policy = compilePolicy(toolConfigs(fixture.policy), fixture.policy.mode);

function query(target: string): PolicyQuery {
  const normalized = normalizePath(target);
  const path = normalized.ok ? normalized.path : target;
  return { tool: 'reader', scheme: 'https', host: 'api.example.test', port: 443, method: 'GET', path };
}

function isUnderRepos(path: string): boolean {
  return path === '/repos' || path.startsWith('/repos/');
}

describe('a /repos/** rule against hostile targets', () => {
  it.each(fixture.outside)('denies $target ($reason)', ({ target, reason }) => {
    expect(decide(policy, query(target))).toEqual({ action: 'deny', mode: 'enforce', reason, ruleId: 'reader#0' });
  });

  it.each(fixture.outside)('$target is ambiguous or normalizes outside /repos', ({ target, reason }) => {
    const normalized = normalizePath(target);
    expect(normalized.ok).toBe(reason === 'path_not_allowed');
    if (normalized.ok) expect(isUnderRepos(normalized.path)).toBe(false);
  });

  it.each(fixture.inside)('still allows %j, which stays inside /repos', (target) => {
    expect(decide(policy, query(target))).toEqual({ action: 'allow', mode: 'enforce', reason: 'rule_matched', ruleId: 'reader#0' });
  });
});
