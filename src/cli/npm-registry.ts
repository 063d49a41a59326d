/**
 * The npm registry hosts a user configured (`registry=` and `@scope:registry=` in .npmrc, or
 * `npm_config_registry`), so `npx -y <server>` under wrap reaches them directly like the public one.
 * Read from the sources npm itself reads first (environment, project .npmrc, user .npmrc), without
 * running npm: wrap starts on every MCP server launch and `npm config get` costs a Node start.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface NpmrcSources {
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly home: string;
  /** File text, or null when it cannot be read. */
  readonly read: (path: string) => string | null;
}

export function readTextOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

export function npmRegistryHosts(sources: NpmrcSources): string[] {
  const urls: string[] = [];
  for (const [name, value] of Object.entries(sources.env)) {
    if (value !== undefined && name.toLowerCase() === 'npm_config_registry') urls.push(value);
  }
  const userConfig = sources.env.npm_config_userconfig ?? sources.env.NPM_CONFIG_USERCONFIG ?? join(sources.home, '.npmrc');
  for (const file of [join(sources.cwd, '.npmrc'), userConfig]) {
    const text = sources.read(file);
    if (text !== null) urls.push(...registryUrls(text));
  }
  const hosts = urls.map(hostOf).filter((host): host is string => host !== null);
  return [...new Set(hosts)];
}

/** `registry=URL` and `@scope:registry=URL` lines; comments (`#`, `;`) and other keys ignored. */
function registryUrls(npmrc: string): string[] {
  const urls: string[] = [];
  for (const raw of npmrc.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const key = line.slice(0, eq).trim();
    if (key === 'registry' || (key.startsWith('@') && key.endsWith(':registry'))) urls.push(unquote(line.slice(eq + 1).trim()));
  }
  return urls;
}

function unquote(value: string): string {
  return value.length >= 2 && (value.startsWith('"') || value.startsWith("'")) && value.endsWith(value[0]!) ? value.slice(1, -1) : value;
}

/** The host of an http(s) URL; anything else (`${VAR}` templates, junk) yields nothing. */
function hostOf(url: string): string | null {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return null;
    const host = parsed.hostname.toLowerCase();
    return host === '' || host.includes('$') ? null : host.replace(/^\[|\]$/g, '');
  } catch {
    return null;
  }
}
