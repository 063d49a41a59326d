/**
 * The shipped Prometheus alert rules (grafana/alerts) through the real promtool: they load
 * (`promtool check rules`), their unit tests pass (`promtool test rules`), and every alert has a test
 * case in which it fires and one in which it stays silent.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const run = promisify(execFile);
const ALERTS = fileURLToPath(new URL('../../grafana/alerts', import.meta.url));
const RULES = join(ALERTS, 'mcp-egress.rules.yml');
const TESTS = readdirSync(join(ALERTS, 'tests'))
  .filter((name) => name.endsWith('.yml'))
  .map((name) => join(ALERTS, 'tests', name));

interface RuleFile {
  groups: { rules: { alert?: string }[] }[];
}
interface PromtoolTests {
  tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[];
}

async function promtool(...args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run('promtool', args, { timeout: 60_000 });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? 1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

const alertNames = (parse(readFileSync(RULES, 'utf8')) as RuleFile).groups.flatMap((group) => group.rules.flatMap((rule) => (rule.alert ? [rule.alert] : [])));
const cases = TESTS.flatMap((file) => (parse(readFileSync(file, 'utf8')) as PromtoolTests).tests.flatMap((test) => test.alert_rule_test ?? []));

describe('alert rules', () => {
  it('load in promtool', async () => {
    const result = await promtool('check', 'rules', RULES);
    expect(result.output).toContain(`SUCCESS: ${alertNames.length} rules found`);
    expect(result.code).toBe(0);
  });

  it('pass their promtool unit tests', async () => {
    expect(TESTS.length).toBeGreaterThan(0);
    const result = await promtool('test', 'rules', ...TESTS);
    expect(result.output).not.toContain('FAILED');
    expect(result.code).toBe(0);
  });

  it.each(alertNames)('%s has a case where it fires and one where it stays silent', (alert) => {
    const own = cases.filter((entry) => entry.alertname === alert);
    expect(own.some((entry) => (entry.exp_alerts ?? []).length > 0)).toBe(true);
    expect(own.some((entry) => (entry.exp_alerts ?? []).length === 0)).toBe(true);
  });

  it('cover the operator questions the issue lists', () => {
    expect(alertNames.sort()).toEqual([
      'McpEgressAuditEventsLost',
      'McpEgressAuditSpooling',
      'McpEgressAuditWriteFailures',
      'McpEgressCertMintingSlow',
      'McpEgressDenySpike',
      'McpEgressExfiltrationAttempt',
      'McpEgressExpiredTokenUsed',
      'McpEgressSecretInResponse',
      'McpEgressSharedToken',
      'McpEgressUpstreamErrors',
    ]);
  });
});
