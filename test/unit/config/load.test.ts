/**
 * The loader's contract: the documented example loads verbatim, relative paths follow the config file,
 * the result is deep-frozen, secrets never reach an error, and YAML errors carry line and column.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ConfigError,
  loadConfigFile,
  loadEmbeddedDefault,
  parseConfigText,
  type ConfigIssue,
  type EgressConfig,
} from '../../../src/config/index.js';
import { createWorkspace, writeSecretFile } from './workspace.js';

const workspace = createWorkspace();
const scratch = mkdtempSync(join(tmpdir(), 'mcp-egress-load-'));
afterAll(() => {
  workspace.cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

function failure(load: () => unknown): ConfigError {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

// The embedded scrub defaults, spelled out: a change to them must be a deliberate change to this test.
const DEFAULT_SCRUB = {
  responses: 'redact',
  requests: 'block',
  undecodable: 'block',
  maxRequestBodyBytes: 4_194_304,
  markers: 'fingerprint',
} as const;


const FILE_SINK_DEFAULTS = { format: 'native', maxBytes: null, syncIntervalMs: 50 } as const;
describe('the documented example', () => {
  const dir = join(workspace.dir, 'valid');
  const config = loadConfigFile(join(dir, 'example.yaml'), { READER_PROXY_SECRET: workspace.secrets.reader });

  it('loads verbatim into the domain shape', () => {
    const { tools, upstream, ...rest } = config;
    expect(rest).toEqual({
      source: join(dir, 'example.yaml'),
      listen: { host: '127.0.0.1', port: 18080 },
      admin: { host: '127.0.0.1', port: 19090 },
      dataDir: join(dir, 'state'),
      mode: 'enforce',
      audit: { sinks: [{ type: 'file', path: join(dir, 'audit.jsonl'), format: 'native', maxBytes: null, syncIntervalMs: 50 }], onAuditFailure: 'closed' },
      tokens: { dormantAfterMs: 30 * 86_400_000 },
      scrub: DEFAULT_SCRUB,
      shutdownGraceMs: 10_000,
    });
    expect(upstream.ca).toEqual([join(dir, 'certs/backend-ca.pem')]);
    expect([...upstream.resolve]).toEqual([['api.example.test:443', { host: '127.0.0.1', port: 18443 }]]);
    expect(upstream.allowPrivate).toEqual([]);
    expect([...tools.values()]).toEqual([
      {
        name: 'reader',
        secret: workspace.secrets.reader,
        actor: { principal: 'alice@example.com', type: 'human' },
        mode: 'enforce',
        allow: [{ host: 'api.example.test', methods: ['GET'], paths: ['/repos/**'] }],
        scrub: DEFAULT_SCRUB,
      },
      {
        name: 'ci-bot',
        secret: workspace.secrets.ciBot, // read from ./ci-bot.secret, trailing newline trimmed
        actor: { principal: 'ci', type: 'automation' },
        mode: 'report',
        allow: [{ host: 'api.example.test', methods: ['GET', 'POST'], paths: ['/repos/*/*/issues'] }],
        scrub: DEFAULT_SCRUB,
      },
    ]);
  });

  it('is deep-frozen: every write throws', () => {
    const writable = config as unknown as Record<string, any>;
    const reader = config.tools.get('reader') as unknown as Record<string, any>;
    const writes: Array<[string, () => void]> = [
      ['top-level key', () => void (writable.mode = 'report')],
      ['nested object', () => void (writable.listen.port = 1)],
      ['array', () => void writable.upstream.ca.push('/etc/evil.pem')],
      ['audit sink', () => void (writable.audit.sinks[0].path = '/dev/null')],
      ['tools map set', () => void writable.tools.set('evil', {})],
      ['tools map delete', () => void writable.tools.delete('reader')],
      ['tools map clear', () => void writable.tools.clear()],
      ['resolve map set', () => void writable.upstream.resolve.set('x:1', { host: '127.0.0.1', port: 1 })],
      ['tool secret', () => void (reader.secret = 'changed')],
      ['tool rule list', () => void reader.allow.push({ host: '*.evil.test' })],
      ['rule methods', () => void reader.allow[0].methods.push('DELETE')],
      ['actor', () => void (reader.actor.type = 'automation')],
    ];
    for (const [what, write] of writes) expect(write, what).toThrow(TypeError);
    expect(config.tools.get('reader')?.allow).toHaveLength(1);
    expect(config.tools).toBeInstanceOf(Map);
  });
});

describe('relative paths', () => {
  it('resolve against the config file directory, not the working directory', () => {
    const configDir = join(scratch, 'etc', 'mcp-egress');
    mkdirSync(configDir, { recursive: true });
    mkdirSync(join(scratch, 'secrets'));
    writeSecretFile(join(scratch, 'secrets', 'reader'), `${workspace.secrets.goodFile}\n`, 0o600);
    writeFileSync(
      join(configDir, 'egress.yaml'),
      [
        'dataDir: state',
        `upstream: { ca: [${join(workspace.dir, 'valid', 'certs', 'ca.pem')}] }`, // absolute stays absolute
        'tools: { reader: { secretFile: ../../secrets/reader } }',
        'audit: { sinks: [{ type: file, path: logs/audit.jsonl }] }',
      ].join('\n'),
    );
    const config = loadConfigFile(join(configDir, 'egress.yaml'), {});
    expect(process.cwd()).not.toBe(configDir);
    expect(config.dataDir).toBe(join(configDir, 'state'));
    expect(config.upstream.ca).toEqual([join(workspace.dir, 'valid', 'certs', 'ca.pem')]);
    expect(config.tools.get('reader')?.secret).toBe(workspace.secrets.goodFile);
    expect(config.audit.sinks).toEqual([{ type: 'file', path: join(configDir, 'logs', 'audit.jsonl'), ...FILE_SINK_DEFAULTS }]);
  });

  it('the default audit file lives in the resolved dataDir', () => {
    const config = parseConfigText('dataDir: ../var/egress', { baseDir: '/srv/conf', env: {}, source: null });
    expect(config.dataDir).toBe('/srv/var/egress');
    expect(config.audit.sinks).toEqual([{ type: 'file', path: '/srv/var/egress/audit.jsonl', ...FILE_SINK_DEFAULTS }]);
  });

  it('the embedded default resolves dataDir against the given working directory', () => {
    const config: EgressConfig = loadEmbeddedDefault('/work/here', {});
    expect(config.source).toBeNull();
    expect(config.mode).toBe('report');
    expect(config.tools.size).toBe(0);
    expect(config.dataDir).toBe('/work/here/.mcp-egress');
    expect(config.audit.sinks).toEqual([{ type: 'file', path: '/work/here/.mcp-egress/audit.jsonl', ...FILE_SINK_DEFAULTS }]);
    expect(Object.isFrozen(config)).toBe(true);
  });
});

describe('tool defaults', () => {
  const env = { A_SECRET: workspace.secrets.reader, B_SECRET: workspace.secrets.writer };
  const text = [
    'mode: enforce',
    'tools:',
    '  a: { secretEnv: A_SECRET }',
    '  b: { secretEnv: B_SECRET, mode: report, actor: { principal: bob@example.com } }',
  ].join('\n');
  const config = parseConfigText(text, { baseDir: scratch, env, source: null });

  it('a tool without mode follows the global mode; a tool mode overrides it', () => {
    expect(config.tools.get('a')?.mode).toBe('enforce');
    expect(config.tools.get('b')?.mode).toBe('report');
  });

  it('actor defaults to the tool name with type unknown, field by field', () => {
    expect(config.tools.get('a')?.actor).toEqual({ principal: 'a', type: 'unknown' });
    expect(config.tools.get('b')?.actor).toEqual({ principal: 'bob@example.com', type: 'unknown' });
  });

  it('allow defaults to no rules', () => {
    expect(config.tools.get('a')?.allow).toEqual([]);
  });
});

describe('secrets', () => {
  it('a secret file keeps inner whitespace and loses only trailing newlines (LF or CRLF)', () => {
    const file = join(scratch, 'crlf.secret');
    writeSecretFile(file, ' spaced secret value 01 \r\n\r\n', 0o600);
    const config = parseConfigText(`tools: { t: { secretFile: ${file} } }`, { baseDir: scratch, env: {}, source: null });
    expect(config.tools.get('t')?.secret).toBe(' spaced secret value 01 ');
  });

  it('the secret value is in no error message, whatever is wrong with it', () => {
    const leaked = 'leaky-secret-VALUE-0001';
    const openFile = join(scratch, 'open.secret');
    writeSecretFile(openFile, leaked, 0o640);
    const cases: Array<{ text: string; env: Record<string, string> }> = [
      { text: 'tools: { t: { secretEnv: S } }', env: { S: leaked.slice(0, 10) } },
      { text: `tools: { t: { secretFile: ${openFile} } }`, env: {} },
      { text: 'tools: { t: { secretEnv: S }, u: { secretEnv: T } }', env: { S: leaked, T: leaked } },
    ];
    for (const { text, env } of cases) {
      const error = failure(() => parseConfigText(text, { baseDir: scratch, env, source: null }));
      expect(error.issues.length).toBeGreaterThan(0);
      expect(error.message).not.toContain(leaked.slice(0, 10));
      for (const issue of error.issues) expect(JSON.stringify(issue)).not.toContain(leaked.slice(0, 10));
    }
  });

  it('group-readable secret files are refused with the chmod to run', () => {
    const file = join(scratch, 'group.secret');
    writeSecretFile(file, 'group-readable-secret-01', 0o640);
    const error = failure(() => parseConfigText(`tools: { t: { secretFile: ${file} } }`, { baseDir: scratch, env: {}, source: null }));
    expect(error.issues).toEqual([
      {
        path: 'tools.t.secretFile',
        line: 1,
        message: expect.stringContaining(`(mode 0640); run: chmod 600 ${file}`),
      },
    ]);
  });
});

describe('errors', () => {
  it('YAML syntax errors carry line and column', () => {
    const error = failure(() => parseConfigText('mode: report\ntools:\n  a: [1, 2\n', { baseDir: scratch, env: {}, source: null }));
    expect(error.issues.length).toBeGreaterThan(0);
    for (const issue of error.issues) {
      expect(issue.line).toBeGreaterThan(0);
      expect(issue.column).toBeGreaterThan(0);
    }
  });

  it('duplicate keys are an error at the second occurrence', () => {
    const error = failure(() => parseConfigText('mode: report\nadmin: 9091\nmode: enforce\n', { baseDir: scratch, env: {}, source: null }));
    expect(error.issues).toEqual<ConfigIssue[]>([
      { path: '', line: 3, column: 1, message: 'YAML syntax error: Map keys must be unique' },
    ]);
  });

  it('an alias to a missing anchor is reported, not thrown raw', () => {
    const error = failure(() => parseConfigText('mode: *nope\n', { baseDir: scratch, env: {}, source: null }));
    expect(error.issues.map((issue) => issue.path)).toEqual(['']);
  });

  it('unknown YAML tags are errors, not silently strings', () => {
    const error = failure(() => parseConfigText('mode: !mode report\n', { baseDir: scratch, env: {}, source: null }));
    expect(error.issues[0]?.message).toContain('Unresolved tag');
  });

  it('the message lists every problem, one per line, after a header naming the file', () => {
    const source = join(scratch, 'x.yaml');
    const error = failure(() => parseConfigText('mode: strict\nextra: 1\n', { baseDir: scratch, env: {}, source }));
    expect(error.message.split('\n')).toEqual([
      `Invalid configuration in ${source} (2 problems):`,
      '  mode (line 1): Invalid option: expected one of "enforce"|"report"',
      '  extra (line 2): unknown key; expected one of: listen, admin, dataDir, mode, upstream, tools, audit, tokens, scrub, shutdownGraceMs',
    ]);
    expect(error.source).toBe(source);
  });

  it('a missing config file is a ConfigError naming the path', () => {
    const missing = join(scratch, 'nope.yaml');
    const error = failure(() => loadConfigFile(missing, {}));
    expect(error.issues).toEqual([{ path: '', message: `config file ${missing} does not exist` }]);
  });
});
