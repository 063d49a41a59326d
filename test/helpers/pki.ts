/**
 * A private PKI for test backends, made with the real openssl: a backend CA and a leaf for the test
 * names (and loopback addresses). The proxy is told to trust it through `upstream.ca`; nothing else does.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface BackendPki {
  readonly dir: string;
  readonly caCert: string; // path
  readonly leafCert: string; // path
  readonly leafKey: string; // path
}

export const BACKEND_NAMES = ['api.example.test', 'other.example.test', 'localhost'];

function openssl(args: readonly string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

export function makeBackendPki(names: readonly string[] = BACKEND_NAMES, dir = mkdtempSync(join(tmpdir(), 'egress-pki-'))): BackendPki {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=egress test backend CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  openssl(['req', ...ec, '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', `/CN=${names[0] ?? 'localhost'}`], dir);
  const san = [...names.map((n) => `DNS:${n}`), 'IP:127.0.0.1', 'IP:::1'].join(',');
  writeFileSync(join(dir, 'leaf.ext'), `subjectAltName=${san}\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nauthorityKeyIdentifier=keyid\nsubjectKeyIdentifier=hash\n`);
  openssl(['x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'leaf.pem', '-days', '2', '-extfile', 'leaf.ext'], dir);
  return { dir, caCert: join(dir, 'ca.pem'), leafCert: join(dir, 'leaf.pem'), leafKey: join(dir, 'leaf.key') };
}
