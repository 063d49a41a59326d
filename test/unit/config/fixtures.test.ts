/**
 * Table-driven over test/fixtures/config: every valid fixture loads to the values listed here, and every
 * invalid fixture fails with exactly the key paths its `# expect-issues:` header lists (each with an
 * optional `~ message fragment`). Adding a fixture file adds a case.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfigFile, type ConfigIssue, type EgressConfig } from '../../../src/config/index.js';
import { createWorkspace, FIXTURES_DIR } from './workspace.js';

const workspace = createWorkspace();
afterAll(() => workspace.cleanup());

const fixtureNames = (sub: string) => readdirSync(join(FIXTURES_DIR, sub)).filter((name) => name.endsWith('.yaml')).sort();

interface ExpectedIssue {
  readonly path: string;
  readonly fragment: string | undefined;
}

function expectedIssues(text: string): ExpectedIssue[] {
  const lines = text.split('\n');
  const start = lines.indexOf('# expect-issues:');
  if (start < 0) throw new Error('invalid fixture without an "# expect-issues:" header');
  const expected: ExpectedIssue[] = [];
  for (const line of lines.slice(start + 1)) {
    const item = /^# {3}- (.+)$/.exec(line)?.[1];
    if (item === undefined) break;
    const [path = '', fragment] = item.split(' ~ ');
    expected.push({ path: path === '(document)' ? '' : path, fragment });
  }
  return expected;
}

function issuesOf(file: string): readonly ConfigIssue[] {
  try {
    loadConfigFile(file, workspace.env);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  throw new Error(`${file} loaded without error`);
}

describe('invalid config fixtures', () => {
  it.each(fixtureNames('invalid'))('%s fails with exactly the expected key paths', (name) => {
    const file = join(workspace.dir, 'invalid', name);
    const expected = expectedIssues(readFileSync(file, 'utf8'));
    const issues = issuesOf(file);

    expect(issues.map((issue) => issue.path).sort()).toEqual(expected.map((issue) => issue.path).sort());
    for (const { path, fragment } of expected) {
      if (fragment === undefined) continue;
      const messages = issues.filter((issue) => issue.path === path).map((issue) => issue.message);
      expect(messages.join('\n'), `message at ${path || '(document)'}`).toContain(fragment);
    }
  });

  it.each(fixtureNames('invalid'))('%s: no message, and not the thrown error text, contains a secret value', (name) => {
    const file = join(workspace.dir, 'invalid', name);
    let text = '';
    try {
      loadConfigFile(file, workspace.env);
    } catch (error) {
      text = (error as Error).message;
    }
    expect(text).not.toBe('');
    for (const secret of workspace.secretValues) expect(text).not.toContain(secret);
  });
});

const valid: Record<string, (config: EgressConfig, dir: string) => void> = {
  'audit-sinks.yaml': (config, dir) => {
    const spool = (maxBytes: number) => ({ dir: expect.stringMatching(new RegExp(`^${join(dir, 'state', 'spool')}/[0-9a-f]{16}$`)) as unknown, maxBytes });
    expect(config.audit.onAuditFailure).toBe('open');
    expect(config.audit.sinks).toEqual([
      { type: 'file', path: join(dir, 'logs', 'audit.jsonl'), format: 'native', maxBytes: 104_857_600, syncIntervalMs: 0 },
      { type: 'stdout', format: 'ecs' },
      { type: 'syslog', transport: 'tls', address: { host: 'siem.example.test', port: 6514 }, ca: [join(dir, 'certs', 'ca.pem')], serverName: null, facility: 13, appName: 'mcp-egress', format: 'ocsf', spool: spool(256 * 1024 * 1024) },
      { type: 'syslog', transport: 'relp', address: { host: '::1', port: 2514 }, ca: [], serverName: null, facility: 4, appName: 'egress', format: 'native', spool: spool(1_048_576) },
      { type: 'http', url: 'https://splunk.example.test:8088/services/collector/event', token: workspace.secrets.hecToken, ca: [join(dir, 'certs', 'ca.pem')], batchSize: 50, flushIntervalMs: 1000, format: 'native', spool: spool(256 * 1024 * 1024) },
    ]);
    // Each network sink has its own spool, named after what it sends to (stable across restarts).
    const dirs = config.audit.sinks.flatMap((sink) => ('spool' in sink ? [sink.spool.dir] : []));
    expect(new Set(dirs).size).toBe(3);
    expect(config.tokens.dormantAfterMs).toBe(7 * 86_400_000);
  },
  'example.yaml': (config) => {
    expect(config.mode).toBe('enforce');
    expect([...config.tools.keys()]).toEqual(['reader', 'ci-bot']);
  },
  'empty.yaml': (config, dir) => {
    expect(config.mode).toBe('report');
    expect(config.tools.size).toBe(0);
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(config.admin).toEqual({ host: '127.0.0.1', port: 9090 });
    expect(config.dataDir).toBe(join(dir, '.mcp-egress'));
    const { resolve, ...upstream } = config.upstream;
    expect(resolve.size).toBe(0);
    expect(upstream).toEqual({ ca: [], allowPrivate: [], connectTimeoutMs: 10_000, responseTimeoutMs: 60_000 });
    expect(config.audit).toEqual({
      sinks: [{ type: 'file', path: join(dir, '.mcp-egress', 'audit.jsonl'), format: 'native', maxBytes: null, syncIntervalMs: 50 }],
      onAuditFailure: 'closed',
    });
    expect(config.shutdownGraceMs).toBe(10_000);
  },
  'ipv6-and-bare-port.yaml': (config) => {
    expect(config.listen).toEqual({ host: '::1', port: 18080 });
    expect(config.admin).toEqual({ host: '127.0.0.1', port: 19090 });
  },
  'bare-port-string.yaml': (config) => {
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 18080 });
    expect(config.admin).toEqual({ host: '::1', port: 0 });
  },
  'full.yaml': (config, dir) => {
    expect(config.listen).toEqual({ host: '0.0.0.0', port: 8080 });
    expect(config.dataDir).toBe(join(dir, '..', 'data'));
    expect(config.shutdownGraceMs).toBe(0);
    expect(config.upstream.ca).toEqual([join(dir, 'certs/ca.pem'), join(dir, 'certs/ca.pem')]);
    expect([...config.upstream.resolve]).toEqual([
      ['api.example.test:443', { host: '127.0.0.1', port: 18443 }],
      ['[::1]:8443', { host: '::1', port: 9443 }],
      ['[2001:db8::1]:443', { host: '127.0.0.2', port: 443 }],
    ]);
    expect(config.upstream.allowPrivate).toEqual(['localhost', '*.internal.test']);
    expect(config.upstream.connectTimeoutMs).toBe(2500);
    expect(config.upstream.responseTimeoutMs).toBe(30_000);
    expect(config.tools.get('writer')).toEqual({
      name: 'writer',
      secret: workspace.secrets.goodFile,
      actor: { principal: 'writer', type: 'unknown' },
      mode: 'enforce',
      allow: [
        { host: '*.example.test', port: 8443 },
        { host: '[::1]', methods: ['GET', 'HEAD'], paths: ['/health', '/v1/*.json'], secrets: ['github_*', 'aws_access_key_id'] },
      ],
      // The tool's own keys over the global ones, key by key.
      scrub: { responses: 'off', requests: 'redact', undecodable: 'pass', maxRequestBodyBytes: 65_536, markers: 'plain' },
    });
    expect(config.scrub).toEqual({ responses: 'off', requests: 'off', undecodable: 'pass', maxRequestBodyBytes: 65_536, markers: 'fingerprint' });
    expect(config.tools.get('scanner.v2')?.scrub).toEqual(config.scrub);
    expect(config.tools.get('scanner.v2')?.actor).toEqual({ principal: 'scanner.v2', type: 'automation' });
    expect(config.audit).toEqual({
      sinks: [
        { type: 'stdout', format: 'native' },
        { type: 'file', path: '/var/log/mcp-egress/audit.jsonl', format: 'native', maxBytes: null, syncIntervalMs: 50 },
      ],
      onAuditFailure: 'open',
    });
  },
};

describe('valid config fixtures', () => {
  it('every valid fixture has an entry in this table', () => {
    expect(fixtureNames('valid')).toEqual(Object.keys(valid).sort());
  });

  it.each(Object.entries(valid))('%s loads', (name, check) => {
    const dir = join(workspace.dir, 'valid');
    const config = loadConfigFile(join(dir, name), workspace.env);
    expect(config.source).toBe(join(dir, name));
    check(config, dir);
  });
});
