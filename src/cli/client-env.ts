/**
 * The environment a tool's MCP server needs to go through the proxy: proxy URLs (with the tool's
 * credentials when tools are configured), NO_PROXY, and CA trust for Node, Python, curl and git.
 * Python, curl and git replace their roots with the file they are given, so they get a combined bundle
 * (system roots + proxy CA); Node's NODE_EXTRA_CA_CERTS adds to its roots, so it gets the CA alone.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import type { EgressConfig, HostPort } from '../config/types.js';

export const BUNDLE_FILE = 'ca-bundle.pem';

const SYSTEM_BUNDLES = [
  '/etc/ssl/certs/ca-certificates.crt', // Debian, Ubuntu, Alpine
  '/etc/pki/tls/certs/ca-bundle.crt', // Fedora, RHEL
  '/etc/ssl/cert.pem', // macOS, BSD
];

export function writeCombinedBundle(dataDir: string, caCertPem: string): string {
  const system = SYSTEM_BUNDLES.find((file) => existsSync(file));
  const roots = system ? readFileSync(system, 'utf8') : rootCertificates.join('\n');
  const path = join(dataDir, BUNDLE_FILE);
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${roots.trimEnd()}\n# mcp-egress interception CA\n${caCertPem.trim()}\n`, { mode: 0o644 });
  renameSync(temp, path); // readers never see a half-written bundle
  return path;
}

export function proxyUrl(listen: HostPort, credentials: { user: string; password: string } | null): string {
  const host = listen.host === '0.0.0.0' ? '127.0.0.1' : listen.host === '::' ? '::1' : listen.host;
  const authority = host.includes(':') ? `[${host}]:${listen.port}` : `${host}:${listen.port}`;
  const userinfo = credentials
    ? `${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.password)}@`
    : '';
  return `http://${userinfo}${authority}`;
}

/**
 * Loopback, and the public npm registry: `npx -y <server>` fetches the server package before the server
 * runs, with the tool's environment, and a tool's allowlist names the API it calls, not the registry.
 * So npm reaches its registry directly (README "Make the proxy the only way out": where nothing may).
 */
export const DEFAULT_NO_PROXY = ['localhost', '127.0.0.1', '::1', 'registry.npmjs.org'];

/** `extraNoProxy`: more hosts to reach directly (wrap adds the npm registry the user configured). */
export function clientEnvironment(
  config: EgressConfig,
  tool: string | null,
  caCertPath: string,
  bundlePath: string,
  extraNoProxy: readonly string[] = [],
): Record<string, string> {
  const toolConfig = tool === null ? undefined : config.tools.get(tool);
  const url = proxyUrl(config.listen, toolConfig ? { user: toolConfig.name, password: toolConfig.secret } : null);
  const noProxy = [...new Set([...DEFAULT_NO_PROXY, ...extraNoProxy])].join(',');
  return {
    HTTPS_PROXY: url,
    HTTP_PROXY: url,
    https_proxy: url,
    http_proxy: url,
    NO_PROXY: noProxy,
    no_proxy: noProxy,
    NODE_EXTRA_CA_CERTS: caCertPath,
    SSL_CERT_FILE: bundlePath,
    REQUESTS_CA_BUNDLE: bundlePath,
    CURL_CA_BUNDLE: bundlePath,
    GIT_SSL_CAINFO: bundlePath,
  };
}

export function shellLines(env: Readonly<Record<string, string>>): string {
  return Object.entries(env)
    .map(([key, value]) => `export ${key}='${value.replaceAll("'", "'\\''")}'`)
    .join('\n');
}
