/**
 * `mcp-egress wrap --tool NAME [-c FILE] -- <server command…>`: the launch line to put in an MCP host's
 * config. It checks that the proxy is up and accepts the tool's credential, then runs the server with
 * the environment of `mcp-egress env` plus the preload that makes Node servers use the proxy, and the
 * launch attestation. stdout belongs to the server (the MCP channel): everything wrap says goes to
 * stderr, and never the tool's secret.
 */
import { lstatSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { EgressConfig, ToolConfig } from '../config/types.js';
import { formatLaunchAttestation, LAUNCH_HEADER } from '../identity/launch-attestation.js';
import { CA_CERT_FILE } from '../proxy/certs/ca.js';
import { clientEnvironment, writeCombinedBundle } from './client-env.js';
import { loadConfigOrReport } from './load-config.js';
import { npmRegistryHosts, readTextOrNull } from './npm-registry.js';
import { preflight, probeAuthority } from './preflight.js';
import { runServer } from './wrap-child.js';
import { ciVariablesOf, launchContext, parseProxyAddress, PRELOAD_PATH, serverEnvironment } from './wrap-env.js';

export interface WrapOptions {
  readonly tool: string;
  readonly config?: string;
  /** host:port of the proxy as the server reaches it, when not the config's `listen`. */
  readonly proxy?: string;
}

const USAGE = 'mcp-egress wrap --tool NAME [-c FILE] [--proxy HOST:PORT] -- <server command> [args…]';

function say(line: string): void {
  process.stderr.write(`mcp-egress wrap: ${line}\n`);
}

export async function runWrap(options: WrapOptions, command: readonly string[]): Promise<number> {
  const [executable, ...args] = command;
  if (executable === undefined || executable === '') {
    say(`no server command given; usage: ${USAGE}`);
    return 2;
  }
  const setup = loadSetup(options);
  if (typeof setup === 'number') return setup;
  const { config, tool } = setup;
  const launch = launchContext({ ...parentCiVariables(), ...process.env }, osUserName());
  const check = await preflight({
    proxy: config.listen,
    tool: tool ? { name: tool.name, secret: tool.secret } : null,
    authority: probeAuthority(tool),
    headers: { [LAUNCH_HEADER]: formatLaunchAttestation(launch) },
  });
  if (!check.ok) {
    say(check.message);
    return 1;
  }
  const client = toolClientEnvironment(config, tool ? tool.name : null);
  if (typeof client === 'string') {
    say(client);
    return 1;
  }
  const env = serverEnvironment({ parent: process.env, client, launch, preloadPath: PRELOAD_PATH });
  return runServer({ command: executable, args, env }, say);
}

/** The config (with `--proxy` as the proxy address) and the tool, or the exit code after saying why not. */
function loadSetup(options: WrapOptions): { config: EgressConfig; tool: ToolConfig | undefined } | number {
  const proxyAt = options.proxy === undefined ? undefined : parseProxyAddress(options.proxy);
  if (proxyAt === null) {
    // Not echoed: a URL pasted here may carry a credential.
    say('--proxy must be host:port or [v6]:port (no scheme, no credentials)');
    return 2;
  }
  const loaded = loadConfigOrReport(options.config);
  if (!loaded) return 2;
  const config: EgressConfig = proxyAt ? { ...loaded, listen: proxyAt } : loaded;
  if (config.tools.size > 0 && !config.tools.has(options.tool)) {
    say(`no tool named "${options.tool}" in ${config.source ?? 'the embedded default'}; configured: ${[...config.tools.keys()].join(', ')}`);
    return 2;
  }
  return { config, tool: config.tools.get(options.tool) };
}

/**
 * What `mcp-egress env --tool` prints, plus the npm registries this user configured in NO_PROXY; or a
 * problem sentence. Unlike `env`, only the running proxy's CA certificate is read, never its key, and
 * no CA is created: a CA made here would not be the one the proxy signs with.
 */
function toolClientEnvironment(config: EgressConfig, tool: string | null): Record<string, string> | string {
  const certPath = join(config.dataDir, CA_CERT_FILE);
  let certPem: string;
  try {
    certPem = readFileSync(certPath, 'utf8');
  } catch (error: unknown) {
    return `cannot read the proxy CA at ${certPath} (${errorCode(error)}); wrap must see the proxy's dataDir`;
  }
  let bundle: string;
  try {
    bundle = writeBundle(config.dataDir, certPem);
  } catch (error: unknown) {
    return `cannot write the combined CA bundle (${errorCode(error)})`;
  }
  const registries = npmRegistryHosts({ env: process.env, cwd: process.cwd(), home: homeDirectory(), read: readTextOrNull });
  return clientEnvironment(config, tool, certPath, bundle, registries);
}

const READ_ONLY = new Set(['EROFS', 'EACCES', 'EPERM']);

/**
 * The combined bundle goes next to the CA, as with `env`; a sandboxed server's container may mount the
 * proxy's dataDir read-only, and then it goes to a private directory of this user under the temp dir
 * (checked to be ours and closed to others: a shared temp dir could hold one planted by someone else).
 */
function writeBundle(dataDir: string, certPem: string): string {
  try {
    return writeCombinedBundle(dataDir, certPem);
  } catch (error: unknown) {
    if (!READ_ONLY.has(errorCode(error))) throw error;
  }
  const uid = process.getuid?.() ?? -1;
  const dir = join(tmpdir(), `mcp-egress-${uid >= 0 ? uid : 'user'}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stats = lstatSync(dir);
  if (!stats.isDirectory() || (uid >= 0 && stats.uid !== uid) || (stats.mode & 0o077) !== 0) {
    throw Object.assign(new Error('unsafe fallback directory'), { code: `unsafe ${dir}` });
  }
  return writeCombinedBundle(dir, certPem);
}

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException | undefined)?.code ?? 'failed';
}

/** The MCP host's CI variables where the OS shows them (Linux, same user); none elsewhere. */
function parentCiVariables(): NodeJS.ProcessEnv {
  try {
    return ciVariablesOf(readFileSync(`/proc/${process.ppid}/environ`, 'latin1'));
  } catch {
    return {};
  }
}

/** The OS user (containers may run as a uid with no passwd entry: then the usual variables, or none). */
function osUserName(): string | null {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? process.env.USERNAME ?? null;
  }
}

/** Where npm looks for the user's .npmrc: HOME first, as os.homedir() reads it. */
function homeDirectory(): string {
  try {
    return homedir();
  } catch {
    return '/';
  }
}
