/**
 * The per-request shortcuts of the policy domain give exactly the general path's answers:
 *  - normalizeHost() returns a canonical plain name as is (padding the input with spaces forces the
 *    general path, which trims first, so the two must agree on everything);
 *  - normalizePath() returns a canonical plain path as is (percent-encoding every character forces the
 *    general path, which decodes each escape once, so the two must agree);
 *  - decide() builds no explanation, and a tunnel's HostScope judges only the rules for its host: both
 *    must agree with explain().decision, which evaluates every rule with its text.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../../../src/policy/compile.js';
import { decide, decideInScope, explain, hostReachable, scopeForHost } from '../../../src/policy/decide.js';
import { normalizeHost } from '../../../src/policy/host.js';
import { normalizePath } from '../../../src/policy/path.js';
import type { PolicyQuery, Scheme } from '../../../src/policy/types.js';
import { decisionFixtureSchema, fixtureFiles, readFixture, toolConfigs } from './fixtures.js';

const RUNS = { numRuns: 3000 };

describe('normalizeHost: a canonical name is returned as the general path would', () => {
  it.each([
    { input: 'api.example.test', expected: { ok: true, host: 'api.example.test', isIp: 0 } },
    { input: '_dmarc.example.test', expected: { ok: true, host: '_dmarc.example.test', isIp: 0 } },
    { input: 'a-b.c-d.test', expected: { ok: true, host: 'a-b.c-d.test', isIp: 0 } },
    { input: `${'a'.repeat(63)}.test`, expected: { ok: true, host: `${'a'.repeat(63)}.test`, isIp: 0 } },
    { input: `${'a'.repeat(64)}.test`, expected: { ok: false } },
    { input: '-a.example.test', expected: { ok: false } },
    { input: 'a-.example.test', expected: { ok: false } },
    { input: 'a..example.test', expected: { ok: false } },
    { input: 'localhost', expected: { ok: true, host: 'localhost', isIp: 0 } },
    { input: '10.0.0.1', expected: { ok: true, host: '10.0.0.1', isIp: 4 } },
    { input: '1.2.3.4a', expected: { ok: true, host: '1.2.3.4a', isIp: 0 } },
    { input: '0x7f.1', expected: { ok: false } },
    { input: '1.2.3.04', expected: { ok: false } },
    { input: 'xn--bcher-kva.example', expected: { ok: true, host: 'xn--bcher-kva.example', isIp: 0 } },
    { input: 'xn--a.example', expected: { ok: false } },
    { input: '::1', expected: { ok: true, host: '::1', isIp: 6 } },
  ])('$input', ({ input, expected }) => {
    expect(normalizeHost(input)).toMatchObject(expected);
    expect(normalizeHost(` ${input} `)).toEqual(normalizeHost(input));
  });

  it('agrees with the general path on any input', () => {
    const hostish = fc.string({ unit: fc.constantFrom(...'az09.-_:[]%x'.split(''), 'xn--', 'é'), maxLength: 40 });
    const longLabels = fc.tuple(fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1, max: 5 })).map(([n, k]) => Array(k).fill('b'.repeat(n)).join('.'));
    fc.assert(
      fc.property(fc.oneof(hostish, fc.domain(), fc.ipV4(), fc.ipV4Extended(), fc.ipV6(), longLabels), (input) => {
        expect(normalizeHost(input)).toEqual(normalizeHost(` ${input} `));
      }),
      RUNS,
    );
  });
});

describe('normalizePath: a canonical path is returned as the general path would', () => {
  // Characters a client may send raw; `%`, `?` and `#` are left out (they change what the text means).
  const rawChars = fc.constantFrom(...'/abcXYZ019-._~!$&\'()*+,;=:@"<>[]^`{|}'.split(''));
  const encodeAll = (path: string): string =>
    [...path].map((char) => (char === '/' ? char : `%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`)).join('');

  it.each(['/', '/repos/acme/widgets', '/repos/', '/a//b', '/a/./b', '/a/../b', '/..', '/a/.x', '/a/..;x/b', '/a:b@c'])('%s', (path) => {
    expect(normalizePath(path)).toEqual(normalizePath(encodeAll(path)));
  });

  it('agrees with the general path on any path of raw characters', () => {
    fc.assert(
      fc.property(fc.array(rawChars, { maxLength: 30 }), (chars) => {
        const path = `/${chars.join('')}`;
        expect(normalizePath(path)).toEqual(normalizePath(encodeAll(path)));
      }),
      RUNS,
    );
  });
});

const DEFAULT_PORT: Readonly<Record<Scheme, number>> = { https: 443, http: 80 };

describe('decide, a tunnel scope and explain agree on every fixture case', () => {
  for (const file of fixtureFiles('.decisions.yaml')) {
    const fixture = readFixture(file, decisionFixtureSchema);
    const policy = compilePolicy(toolConfigs(fixture.policy), fixture.policy.mode);
    const defaults = fixture.defaults ?? {};
    it.each(fixture.cases)(`${file}: $name`, (testCase) => {
      const scheme = testCase.scheme ?? defaults.scheme ?? 'https';
      const query: PolicyQuery = {
        tool: testCase.tool === undefined ? (defaults.tool ?? null) : testCase.tool,
        scheme,
        host: testCase.host ?? defaults.host ?? '',
        port: testCase.port ?? DEFAULT_PORT[scheme],
        method: testCase.method ?? defaults.method ?? 'GET',
        path: testCase.target ?? defaults.target ?? '/',
      };
      const decided = decide(policy, query);
      expect(decided).toEqual(explain(policy, query).decision);
      expect(decideInScope(scopeForHost(policy, query.tool, query.host), query)).toEqual(decided);
      if (testCase.at === 'connect') expect(hostReachable(policy, query.tool, scheme, query.host, query.port)).toMatchObject(testCase.expect);
    });
  }
});

describe('a HostScope', () => {
  const policy = compilePolicy(
    toolConfigs({
      mode: 'enforce',
      tools: {
        reader: {
          allow: [
            { host: 'other.example.test', paths: ['/x/**'] },
            { host: '*.example.test', methods: ['POST'] },
            { host: 'api.example.test', paths: ['/repos/**'] },
          ],
        },
      },
    }),
    'enforce',
  );

  it('keeps only the rules whose host admits the tunnel host, in order', () => {
    const scope = scopeForHost(policy, 'reader', 'API.example.test.');
    expect(scope.settled).toBeNull();
    if (scope.settled === null) expect(scope.rules.map((rule) => rule.id)).toEqual(['reader#1', 'reader#2']);
  });

  it.each([
    { name: 'unknown tool', tool: 'nobody', host: 'api.example.test', reason: 'unknown_tool' },
    { name: 'unusable host', tool: 'reader', host: 'bad host', reason: 'no_rule_for_host' },
  ])('settles the decision up front for an $name', ({ tool, host, reason }) => {
    const scope = scopeForHost(policy, tool, host);
    expect(scope.settled).toMatchObject({ action: 'deny', reason });
    expect(decideInScope(scope, { scheme: 'https', port: 443, method: 'GET', path: '/repos/x' })).toBe(scope.settled);
  });
});
