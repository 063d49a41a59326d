/** `mcp-egress check-config -c FILE`: printable lines and an exit code, never a secret. */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkConfig } from '../../../src/config/index.js';
import { createWorkspace } from './workspace.js';

const workspace = createWorkspace();
afterAll(() => workspace.cleanup());

describe('checkConfig', () => {
  it('a valid file exits 0 with a summary that names tools but not their secrets', () => {
    const file = join(workspace.dir, 'valid', 'example.yaml');
    const result = checkConfig(file, workspace.env);
    expect(result).toMatchObject({ ok: true, exitCode: 0, issues: [] });
    expect(result.lines).toEqual([
      `Configuration OK: ${file}`,
      `  mode enforce; proxy 127.0.0.1:18080; admin 127.0.0.1:19090; data ${join(workspace.dir, 'valid', 'state')}`,
      '  tool reader: mode enforce, 1 rule, actor alice@example.com (human)',
      '  tool ci-bot: mode report, 1 rule, actor ci (automation)',
      `  audit: ${join(workspace.dir, 'valid', 'audit.jsonl')} (native) (on audit failure: fail closed)`,
    ]);
    for (const secret of workspace.secretValues) expect(result.lines.join('\n')).not.toContain(secret);
  });

  it('an IPv6 listen address is printed in brackets', () => {
    const result = checkConfig(join(workspace.dir, 'valid', 'ipv6-and-bare-port.yaml'), workspace.env);
    expect(result.lines[1]).toContain('proxy [::1]:18080; admin 127.0.0.1:19090');
  });

  it('an invalid file exits 1 with a header and one line per problem', () => {
    const file = join(workspace.dir, 'invalid', 'secret-env.yaml');
    const result = checkConfig(file, workspace.env);
    expect(result.ok).toBe(false);
    expect(result.exitCode).toBe(1);
    expect(result.issues.map((issue) => issue.path)).toEqual([
      'tools.unset.secretEnv',
      'tools.empty.secretEnv',
      'tools.short.secretEnv',
    ]);
    expect(result.lines[0]).toBe(`Invalid configuration in ${file} (3 problems):`);
    expect(result.lines.slice(1).map((line) => line.split(' (line')[0])).toEqual([
      '  tools.unset.secretEnv',
      '  tools.empty.secretEnv',
      '  tools.short.secretEnv',
    ]);
    expect(result.lines.join('\n')).not.toContain(workspace.secrets.short);
  });

  it('a missing file exits 1', () => {
    const result = checkConfig(join(workspace.dir, 'nope.yaml'), {});
    expect(result).toMatchObject({ ok: false, exitCode: 1 });
    expect(result.lines[1]).toContain('does not exist');
  });
});
