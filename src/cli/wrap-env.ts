/**
 * What `mcp-egress wrap` puts into the MCP server's environment on top of its own: the lines of
 * `mcp-egress env` (proxy URL with the tool's credential, NO_PROXY, CA trust), the preload for Node
 * servers in NODE_OPTIONS, and the launch attestation the preload sends to the proxy. Pure functions;
 * wrap.ts does the I/O.
 */
import { fileURLToPath } from 'node:url';
import type { HostPort } from '../config/types.js';
import { formatLaunchAttestation, type LaunchAttestation } from '../identity/launch-attestation.js';
import { normalizeHost } from '../policy/host.js';

/** Carries the attestation from wrap to the preload (and to the servers' child processes). */
export const LAUNCH_ENV = 'MCP_EGRESS_LAUNCH';

/** bin/preload.cjs: shipped as is (plain CommonJS, no build step); the same path from src/ and dist/. */
export const PRELOAD_PATH = fileURLToPath(new URL('../../bin/preload.cjs', import.meta.url));

// Checked in order: the specific systems before the generic CI flag most of them also set.
const CI_SYSTEMS: readonly (readonly [variable: string, name: string])[] = [
  ['GITHUB_ACTIONS', 'github_actions'],
  ['GITLAB_CI', 'gitlab_ci'],
  ['BUILDKITE', 'buildkite'],
  ['JENKINS_URL', 'jenkins'],
  ['CIRCLECI', 'circleci'],
  ['TF_BUILD', 'azure_pipelines'],
  ['BITBUCKET_BUILD_NUMBER', 'bitbucket'],
  ['TEAMCITY_VERSION', 'teamcity'],
  ['CODEBUILD_BUILD_ID', 'aws_codebuild'],
  ['TRAVIS', 'travis'],
  ['DRONE', 'drone'],
  ['CI', 'ci'],
];

/**
 * The CI variables of a process environment as Linux shows it (`/proc/<pid>/environ`: NUL-separated).
 * MCP hosts start servers with a minimal environment (the MCP SDK passes HOME, PATH, USER and little
 * else), so an agent running in CI hands wrap no CI variables: its parent, the host, still has them.
 */
export function ciVariablesOf(environ: string): NodeJS.ProcessEnv {
  const names = new Set(CI_SYSTEMS.map(([variable]) => variable));
  const found: NodeJS.ProcessEnv = {};
  for (const entry of environ.split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0 && names.has(entry.slice(0, eq))) found[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return found;
}

function isSet(value: string | undefined): boolean {
  return value !== undefined && value !== '' && value.toLowerCase() !== 'false' && value !== '0';
}

/**
 * `ci` when a CI system's variables are set (actors of type `automation`), otherwise `interactive`: a
 * person's MCP host (Claude Desktop, an editor). Not from a TTY test: MCP hosts always pipe stdio.
 */
export function launchContext(env: NodeJS.ProcessEnv, user: string | null): LaunchAttestation {
  const system = CI_SYSTEMS.find(([variable]) => isSet(env[variable]));
  return system ? { context: 'ci', user, ci: system[1] } : { context: 'interactive', user, ci: null };
}

/**
 * Appends `--require "<preload>"` to NODE_OPTIONS. Node splits NODE_OPTIONS on spaces and reads `"…"`
 * with `\` escapes inside, so the path is quoted and its `\` and `"` escaped (Windows paths, spaces).
 * An existing value is kept as it is; a preload already there (wrap inside wrap) is not added twice.
 */
export function mergeNodeOptions(existing: string | undefined, preloadPath: string): string {
  const quoted = `"${preloadPath.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  const current = (existing ?? '').trim();
  if (current.includes(quoted)) return current;
  return current === '' ? `--require ${quoted}` : `${current} --require ${quoted}`;
}

/**
 * `--proxy host:port`: where the proxy is reached from the server's side when that is not the config's
 * `listen` (another container, a Kubernetes Service). A name is allowed here: the client resolves it.
 */
export function parseProxyAddress(text: string): HostPort | null {
  const colon = text.lastIndexOf(':');
  const portText = text.slice(colon + 1);
  if (colon <= 0 || !/^[0-9]{1,5}$/.test(portText)) return null;
  const port = Number(portText);
  const hostText = text.slice(0, colon);
  if (port < 1 || port > 65_535 || (hostText.includes(':') && !hostText.startsWith('['))) return null;
  const host = normalizeHost(hostText);
  return host.ok ? { host: host.host, port } : null;
}

export interface WrapEnvInput {
  /** wrap's own environment, inherited by the server. */
  readonly parent: NodeJS.ProcessEnv;
  /** The lines `mcp-egress env` prints for the tool. */
  readonly client: Readonly<Record<string, string>>;
  readonly launch: LaunchAttestation;
  readonly preloadPath: string;
}

/** The server's environment: wrap's, with the proxy settings, NODE_OPTIONS and the attestation on top. */
export function serverEnvironment(input: WrapEnvInput): NodeJS.ProcessEnv {
  return {
    ...input.parent,
    ...input.client,
    NODE_OPTIONS: mergeNodeOptions(input.parent.NODE_OPTIONS, input.preloadPath),
    [LAUNCH_ENV]: formatLaunchAttestation(input.launch),
  };
}
