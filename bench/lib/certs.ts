/**
 * Throw-away certificates for one benchmark run, made with the openssl CLI in the run's temp dir:
 * a backend CA and its leaf (the only CA the proxy trusts upstream, SAN *.bench.test + 127.0.0.1), and an
 * interception CA handed to the proxy. The client trusts exactly one of the two per route (interception CA
 * through the proxy, backend CA direct), so a request that was not intercepted, or not verified, fails TLS.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface BenchCertificates {
  readonly backendCaPath: string;
  readonly backendCertPath: string;
  readonly backendKeyPath: string;
  readonly mitmCaPath: string;
  readonly mitmKeyPath: string;
  readonly backendCaPem: string;
  readonly mitmCaPem: string;
}

const LEAF_EXTENSIONS = [
  'basicConstraints=CA:FALSE',
  'keyUsage=critical,digitalSignature,keyEncipherment',
  'extendedKeyUsage=serverAuth',
  'subjectAltName=DNS:*.bench.test,DNS:bench.test,IP:127.0.0.1',
  '',
].join('\n');

export function generateCertificates(dir: string): BenchCertificates {
  const path = (name: string): string => join(dir, name);
  for (const ca of ['backend-ca', 'mitm-ca']) makeCa(dir, ca);
  writeFileSync(path('leaf.ext'), LEAF_EXTENSIONS);
  openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'backend.key', '-out', 'backend.csr', '-subj', '/CN=backend.bench.test']);
  openssl(dir, [
    'x509', '-req', '-in', 'backend.csr', '-CA', 'backend-ca.pem', '-CAkey', 'backend-ca.key', '-CAcreateserial',
    '-days', '2', '-sha256', '-extfile', 'leaf.ext', '-out', 'backend.pem',
  ]);
  for (const key of ['backend-ca.key', 'mitm-ca.key', 'backend.key']) chmodSync(path(key), 0o600);
  return {
    backendCaPath: path('backend-ca.pem'),
    backendCertPath: path('backend.pem'),
    backendKeyPath: path('backend.key'),
    mitmCaPath: path('mitm-ca.pem'),
    mitmKeyPath: path('mitm-ca.key'),
    backendCaPem: readFileSync(path('backend-ca.pem'), 'utf8'),
    mitmCaPem: readFileSync(path('mitm-ca.pem'), 'utf8'),
  };
}

// RSA-2048 like the peer harness's CAs, so the proxy's signing cost per new host is comparable to peers'.
function makeCa(dir: string, name: string): void {
  openssl(dir, [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '2', '-keyout', `${name}.key`, '-out', `${name}.pem`,
    '-subj', `/CN=mcp-egress bench ${name}/O=mcp-egress bench`,
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
    '-addext', 'subjectKeyIdentifier=hash',
  ]);
}

function openssl(cwd: string, args: readonly string[]): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error: unknown) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim() ?? '';
    throw new Error(`openssl ${args[0] ?? ''} failed: ${stderr || String(error)}`);
  }
}
