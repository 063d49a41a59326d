/**
 * The environment wrap builds for an MCP server: launch context from CI variables, NODE_OPTIONS merged
 * and quoted so that Node really loads the preload (checked with real Node processes, paths with
 * spaces, quotes and backslashes), NO_PROXY with the npm registries, and the server env as a whole.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clientEnvironment } from '../../../src/cli/client-env.js';
import { npmRegistryHosts } from '../../../src/cli/npm-registry.js';
import { ciVariablesOf, LAUNCH_ENV, launchContext, mergeNodeOptions, parseProxyAddress, PRELOAD_PATH, serverEnvironment } from '../../../src/cli/wrap-env.js';
import { parseConfigText } from '../../../src/config/load.js';
import { cleanEnv } from '../../helpers/clients.js';

describe('launchContext', () => {
  it.each([
    { env: {}, expected: { context: 'interactive', user: 'alice', ci: null } },
    { env: { CI: 'true' }, expected: { context: 'ci', user: 'alice', ci: 'ci' } },
    { env: { CI: 'false' }, expected: { context: 'interactive', user: 'alice', ci: null } },
    { env: { CI: '0' }, expected: { context: 'interactive', user: 'alice', ci: null } },
    { env: { CI: 'true', GITHUB_ACTIONS: 'true' }, expected: { context: 'ci', user: 'alice', ci: 'github_actions' } },
    { env: { CI: 'true', GITLAB_CI: 'true' }, expected: { context: 'ci', user: 'alice', ci: 'gitlab_ci' } },
    { env: { BUILDKITE: 'true' }, expected: { context: 'ci', user: 'alice', ci: 'buildkite' } },
    { env: { JENKINS_URL: 'https://jenkins.example.test/' }, expected: { context: 'ci', user: 'alice', ci: 'jenkins' } },
    { env: { TF_BUILD: 'True' }, expected: { context: 'ci', user: 'alice', ci: 'azure_pipelines' } },
  ])('$env', ({ env, expected }) => {
    expect(launchContext(env, 'alice')).toEqual(expected);
  });
});

describe('mergeNodeOptions', () => {
  it.each([
    { existing: undefined, path: '/opt/egress/bin/preload.cjs', expected: '--require "/opt/egress/bin/preload.cjs"' },
    { existing: '  ', path: '/p.cjs', expected: '--require "/p.cjs"' },
    { existing: '--max-old-space-size=512', path: '/p.cjs', expected: '--max-old-space-size=512 --require "/p.cjs"' },
    { existing: '--require "/p.cjs"', path: '/p.cjs', expected: '--require "/p.cjs"' },
    { existing: undefined, path: '/My Tools/mcp "egress"/p.cjs', expected: '--require "/My Tools/mcp \\"egress\\"/p.cjs"' },
    { existing: undefined, path: 'C:\\Program Files\\egress\\p.cjs', expected: '--require "C:\\\\Program Files\\\\egress\\\\p.cjs"' },
  ])('$existing + $path', ({ existing, path, expected }) => {
    expect(mergeNodeOptions(existing, path)).toBe(expected);
  });

  it.each([
    { name: 'spaces', dir: 'with spaces' },
    { name: 'a double quote', dir: 'quote"d' },
    { name: 'a backslash', dir: 'back\\slash' },
  ])('Node loads a preload whose path has $name, after existing options', async ({ dir }) => {
    const root = mkdtempSync(join(tmpdir(), 'egress-nodeopts-'));
    mkdirSync(join(root, dir));
    const preload = join(root, dir, 'marker.cjs');
    writeFileSync(preload, "process.stderr.write('preload-loaded\\n');\n");
    const env = cleanEnv({ NODE_OPTIONS: mergeNodeOptions('--no-warnings', preload) });
    const result = await new Promise<{ stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, ['-e', "console.log('server ran')"], { env, timeout: 10_000 }, (_e, stdout, stderr) => resolve({ stdout, stderr }));
    });
    expect(result.stderr).toBe('preload-loaded\n');
    expect(result.stdout).toBe('server ran\n');
  });
});

describe('npmRegistryHosts', () => {
  const files = (map: Record<string, string>) => (path: string): string | null => map[path] ?? null;
  it.each([
    { name: 'nothing configured', env: {}, read: files({}), expected: [] },
    { name: 'environment', env: { npm_config_registry: 'https://npm.corp.example/' }, read: files({}), expected: ['npm.corp.example'] },
    { name: 'upper-case environment', env: { NPM_CONFIG_REGISTRY: 'http://Registry.Local:4873' }, read: files({}), expected: ['registry.local'] },
    {
      name: 'project and user .npmrc, scoped registries, comments and junk',
      env: {},
      read: files({
        '/work/app/.npmrc': '# registry=https://commented.example/\nregistry = "https://proj.example/npm/"\n@corp:registry=https://corp.example\n',
        '/home/u/.npmrc': '; comment\n//proj.example/:_authToken=${NPM_TOKEN}\nregistry=${REGISTRY}\nstrict-ssl=false\nregistry=ftp://x.example\n',
      }),
      expected: ['proj.example', 'corp.example'],
    },
    { name: 'NPM_CONFIG_USERCONFIG', env: { NPM_CONFIG_USERCONFIG: '/etc/npmrc-u' }, read: files({ '/etc/npmrc-u': 'registry=https://u.example/' }), expected: ['u.example'] },
  ])('$name', ({ env, read, expected }) => {
    expect(npmRegistryHosts({ env, cwd: '/work/app', home: '/home/u', read })).toEqual(expected);
  });
});

describe('the server environment', () => {
  const SECRET = 'wrap-env-Secret-0123456789ab';
  const config = parseConfigText(
    'listen: 0.0.0.0:18080\ntools:\n  github:\n    secretEnv: GH_PROXY_SECRET\n    allow:\n      - host: api.github.com\n',
    { baseDir: tmpdir(), env: { GH_PROXY_SECRET: SECRET }, source: join(tmpdir(), 'config.yaml') },
  );

  it('NO_PROXY: loopback, the public npm registry and the configured ones, once each', () => {
    const env = clientEnvironment(config, 'github', '/d/ca.pem', '/d/ca-bundle.pem', ['npm.corp.example', 'registry.npmjs.org']);
    expect(env.NO_PROXY).toBe('localhost,127.0.0.1,::1,registry.npmjs.org,npm.corp.example');
    expect(env.no_proxy).toBe(env.NO_PROXY);
  });

  it('keeps the parent environment, puts the proxy settings over it, appends the preload, carries the launch', () => {
    const client = clientEnvironment(config, 'github', '/d/ca.pem', '/d/ca-bundle.pem');
    const parent = { PATH: '/usr/bin', HTTPS_PROXY: 'http://elsewhere:3128', https_proxy: 'http://elsewhere:3128', NODE_OPTIONS: '--max-old-space-size=512', GITHUB_PERSONAL_ACCESS_TOKEN: 'ghp_kept' };
    const env = serverEnvironment({ parent, client, launch: { context: 'ci', user: 'runner', ci: 'github_actions' }, preloadPath: PRELOAD_PATH });
    expect(env).toMatchObject({
      PATH: '/usr/bin',
      GITHUB_PERSONAL_ACCESS_TOKEN: 'ghp_kept',
      HTTPS_PROXY: `http://github:${SECRET}@127.0.0.1:18080`,
      https_proxy: `http://github:${SECRET}@127.0.0.1:18080`,
      NODE_EXTRA_CA_CERTS: '/d/ca.pem',
      NODE_OPTIONS: `--max-old-space-size=512 --require "${PRELOAD_PATH}"`,
      [LAUNCH_ENV]: 'context=ci;ci=github_actions;user=runner',
    });
  });

  it('the preload path points at the shipped file', async () => {
    const { existsSync } = await import('node:fs');
    expect(PRELOAD_PATH.endsWith(join('bin', 'preload.cjs'))).toBe(true);
    expect(existsSync(PRELOAD_PATH)).toBe(true);
  });
});

describe('ciVariablesOf (the MCP host environment, as /proc/<pid>/environ shows it)', () => {
  it.each([
    { environ: '', expected: {} },
    { environ: 'PATH=/usr/bin\0HOME=/root\0', expected: {} },
    { environ: 'PATH=/usr/bin\0CI=true\0GITHUB_ACTIONS=true\0GITHUB_TOKEN=ghs_x\0', expected: { CI: 'true', GITHUB_ACTIONS: 'true' } },
    { environ: 'JENKINS_URL=https://j.example.test/=x\0=odd\0CI', expected: { JENKINS_URL: 'https://j.example.test/=x' } },
  ])('$environ', ({ environ, expected }) => {
    expect(ciVariablesOf(environ)).toEqual(expected);
  });

  it('feeds launchContext when wrap itself got no CI variables', () => {
    expect(launchContext({ ...ciVariablesOf('GITLAB_CI=true\0'), PATH: '/usr/bin' }, 'runner')).toEqual({ context: 'ci', user: 'runner', ci: 'gitlab_ci' });
  });
});

describe('parseProxyAddress (--proxy)', () => {
  it.each([
    { text: 'mcp-egress:8080', expected: { host: 'mcp-egress', port: 8080 } },
    { text: 'Proxy.Agents.svc.cluster.local.:3128', expected: { host: 'proxy.agents.svc.cluster.local', port: 3128 } },
    { text: '10.0.0.7:8080', expected: { host: '10.0.0.7', port: 8080 } },
    { text: '[fd00::7]:8080', expected: { host: 'fd00::7', port: 8080 } },
    { text: 'fd00::7:8080', expected: null },
    { text: 'mcp-egress', expected: null },
    { text: 'mcp-egress:0', expected: null },
    { text: 'mcp-egress:65536', expected: null },
    { text: 'http://mcp-egress:8080', expected: null },
    { text: 'user:secret@mcp-egress:8080', expected: null },
    { text: ':8080', expected: null },
  ])('$text', ({ text, expected }) => {
    expect(parseProxyAddress(text)).toEqual(expected);
  });
});
