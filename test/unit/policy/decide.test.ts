/**
 * decide() and hostReachable() as a specification: every *.decisions.yaml fixture is one policy and a
 * table of requests with the decision each must get.
 */
import { describe, expect, it } from 'vitest';
import type { CompiledPolicy } from '../../../src/policy/compile.js';
import type { Decision, PolicyQuery } from '../../../src/policy/types.js';
import { compilePolicy } from '../../../src/policy/compile.js';
import { decide, explain, hostReachable } from '../../../src/policy/decide.js';
import { normalizeHost } from '../../../src/policy/host.js';
import { normalizePath } from '../../../src/policy/path.js';
import type { DecisionCase } from './fixtures.js';
import { decisionFixtureSchema, fixtureFiles, readFixture, toolConfigs } from './fixtures.js';

const DEFAULT_PORT = { https: 443, http: 80 } as const;

type Defaults = Partial<Pick<DecisionCase, 'tool' | 'scheme' | 'host' | 'method' | 'target'>>;

function rawHostOf(testCase: DecisionCase, defaults: Defaults): string {
  const host = testCase.host ?? defaults.host;
  if (host === undefined) throw new Error(`case "${testCase.name}" names no host and the fixture has no default`);
  return host;
}

/** Build the query the proxy would: host and path normalized first, raw values kept when they fail. */
function queryFor(testCase: DecisionCase, defaults: Defaults): PolicyQuery {
  const scheme = testCase.scheme ?? defaults.scheme ?? 'https';
  const rawHost = rawHostOf(testCase, defaults);
  const host = normalizeHost(rawHost);
  const target = testCase.target ?? defaults.target ?? '/';
  const path = normalizePath(target);
  return {
    tool: testCase.tool === undefined ? (defaults.tool ?? null) : testCase.tool,
    scheme,
    host: host.ok ? host.host : rawHost,
    port: testCase.port ?? DEFAULT_PORT[scheme],
    method: (testCase.method ?? defaults.method ?? 'GET').toUpperCase(),
    path: path.ok ? path.path : target,
  };
}

function decisionFor(policy: CompiledPolicy, testCase: DecisionCase, defaults: Defaults): Decision {
  const query = queryFor(testCase, defaults);
  if (testCase.at === 'connect') return hostReachable(policy, query.tool, query.scheme, query.host, query.port);
  return decide(policy, query);
}

for (const file of fixtureFiles('.decisions.yaml')) {
  const fixture = readFixture(file, decisionFixtureSchema);
  const policy = compilePolicy(toolConfigs(fixture.policy), fixture.policy.mode);
  const defaults = fixture.defaults ?? {};

  describe(`${file}: ${fixture.description.trim()}`, () => {
    it.each(fixture.cases)('$name', (testCase) => {
      expect(decisionFor(policy, testCase, defaults)).toMatchObject(testCase.expect);
    });

    it.each(fixture.cases.filter((testCase) => testCase.at !== 'connect'))(
      '$name: the same decision from the raw host and target (decide normalizes again)',
      (testCase) => {
        const query = queryFor(testCase, defaults);
        const raw = { ...query, host: rawHostOf(testCase, defaults), path: testCase.target ?? defaults.target ?? '/' };
        expect(decide(policy, raw)).toEqual(decide(policy, query));
      },
    );
  });
}

describe('explain', () => {
  const policy = compilePolicy(
    toolConfigs({
      mode: 'enforce',
      tools: {
        reader: {
          allow: [
            { host: 'api.example.test', port: 443, methods: ['get'], paths: ['/repos/**'] },
            { host: '*.svc.example.test', methods: ['GET', 'HEAD'] },
            { host: '[::1]', port: 8443 },
          ],
        },
      },
    }),
    'enforce',
  );

  it('describes each rule in one line', () => {
    expect(policy.tools['reader']?.rules.map((rule) => rule.description)).toEqual([
      'host=api.example.test port=443 methods=GET paths=/repos/**',
      'host=*.svc.example.test port=scheme-default(https:443,http:80) methods=GET,HEAD paths=ANY',
      'host=[::1] port=8443 methods=ANY paths=ANY',
    ]);
  });

  it('says why each rule did not match, without quoting the path', () => {
    const query: PolicyQuery = {
      tool: 'reader',
      scheme: 'https',
      host: 'api.example.test',
      port: 443,
      method: 'POST',
      path: '/secret-token-abc/x',
    };
    const explanation = explain(policy, query);
    expect(explanation.decision).toEqual(decide(policy, query));
    expect(explanation.rules.map((rule) => [rule.ruleId, rule.outcome])).toEqual([
      ['reader#0', 'method POST is not one of GET'],
      ['reader#1', 'host api.example.test is not below svc.example.test'],
      ['reader#2', 'host api.example.test is not [::1]'],
    ]);
    expect(JSON.stringify(explanation)).not.toContain('secret-token-abc');
  });

  it('names an ambiguous path by the kind of problem only', () => {
    const query: PolicyQuery = {
      tool: 'reader',
      scheme: 'https',
      host: 'api.example.test',
      port: 443,
      method: 'GET',
      path: '/repos/tok3n%2fx',
    };
    const [first] = explain(policy, query).rules;
    expect(first?.outcome).toBe('path is ambiguous: segment 1: encoded slash or backslash inside a segment');
  });

  it('stops at the first matching rule', () => {
    const query: PolicyQuery = { tool: 'reader', scheme: 'https', host: 'api.example.test', port: 443, method: 'GET', path: '/repos/x' };
    expect(explain(policy, query).rules).toEqual([
      { ruleId: 'reader#0', description: 'host=api.example.test port=443 methods=GET paths=/repos/**', outcome: 'matched' },
    ]);
  });
});
