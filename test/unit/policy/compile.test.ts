import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PolicyCompileError, compilePolicy } from '../../../src/policy/compile.js';
import { policySchema, readFixture, toolConfigs } from './fixtures.js';

const fixture = readFixture(
  'compile-errors.yaml',
  z.strictObject({
    cases: z.array(
      z.strictObject({
        name: z.string(),
        policy: policySchema,
        issues: z.array(z.strictObject({ path: z.string(), message: z.string() })).min(1),
      }),
    ),
  }),
);

function compileError(run: () => unknown): PolicyCompileError {
  try {
    run();
  } catch (error: unknown) {
    if (error instanceof PolicyCompileError) return error;
    throw error;
  }
  throw new Error('expected a PolicyCompileError');
}

describe('compilePolicy errors', () => {
  it.each(fixture.cases)('$name', ({ policy, issues }) => {
    const error = compileError(() => compilePolicy(toolConfigs(policy), policy.mode));
    expect(error.issues.map((issue) => issue.path)).toEqual(issues.map((issue) => issue.path));
    issues.forEach((expected, index) => expect(error.issues[index]?.message).toContain(expected.message));
    for (const issue of issues) expect(error.message).toContain(issue.path);
  });

  it.each(fixture.cases)('$name: never shows a tool secret', ({ policy }) => {
    const error = compileError(() => compilePolicy(toolConfigs(policy), policy.mode));
    for (const tool of toolConfigs(policy)) expect(`${error.message} ${JSON.stringify(error.issues)}`).not.toContain(tool.secret);
  });

  it('refuses a duplicate tool name', () => {
    const [tool] = toolConfigs({ mode: 'enforce', tools: { reader: { allow: [] } } });
    if (tool === undefined) throw new Error('fixture has one tool');
    const error = compileError(() => compilePolicy([tool, tool], 'enforce'));
    expect(error.issues).toEqual([{ path: 'tools.reader', message: 'duplicate tool name' }]);
  });
});

describe('compilePolicy result', () => {
  const tools = toolConfigs({
    mode: 'report',
    tools: {
      reader: { mode: 'enforce', allow: [{ host: 'API.Example.test.', methods: ['get', 'GET'], paths: ['/repos/**'] }] },
      writer: { allow: [{ host: '*.bücher.example', port: 8443 }] },
    },
  });
  const policy = compilePolicy(tools, 'report');

  it('keeps each tool mode and the global mode', () => {
    expect(policy.mode).toBe('report');
    expect(policy.toolCount).toBe(2);
    expect(policy.tools['reader']?.mode).toBe('enforce');
    expect(policy.tools['writer']?.mode).toBe('report');
  });

  it('stores hosts normalized, methods upper case and deduplicated, ids as <tool>#<index>', () => {
    expect(policy.tools['reader']?.rules[0]).toMatchObject({
      id: 'reader#0',
      host: { kind: 'exact', host: 'api.example.test' },
      port: null,
      methods: ['GET'],
    });
    expect(policy.tools['writer']?.rules[0]).toMatchObject({
      id: 'writer#0',
      host: { kind: 'subdomains', suffix: 'xn--bcher-kva.example' },
      port: 8443,
      methods: null,
      paths: null,
    });
  });

  it('is deep-frozen', () => {
    const unfrozen: string[] = [];
    const visit = (value: unknown, path: string): void => {
      if (typeof value !== 'object' || value === null) return;
      if (!Object.isFrozen(value)) unfrozen.push(path);
      for (const [key, child] of Object.entries(value)) visit(child, `${path}.${key}`);
    };
    visit(policy, 'policy');
    expect(unfrozen).toEqual([]);
    expect(() => {
      (policy.tools as Record<string, unknown>)['intruder'] = {};
    }).toThrow(TypeError);
  });

  it('holds no tool secret', () => {
    for (const tool of tools) expect(JSON.stringify(policy)).not.toContain(tool.secret);
  });

  it('has no prototype keys that could pass for tools', () => {
    expect(Object.getPrototypeOf(policy.tools)).toBeNull();
  });
});
