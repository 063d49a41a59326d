/**
 * The local interception CA: generated once into the data dir, loaded on every later start. Only the
 * fixed names `ca.pem` and `ca.key` are used; no path is ever derived from a host name.
 */
import { randomBytes, webcrypto } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import * as x509 from './x509.js';
import { ensureDataDir } from '../../state/data-dir.js';
import { createFileExclusive, isErrnoCode } from '../../state/private-file.js';
import { loadCaFromFiles } from './ca-files.js';
import type { CertificateAuthority } from './ca-files.js';
import { randomPositiveSerial } from './serial.js';

export { loadCaFromFiles } from './ca-files.js';
export type { CertificateAuthority, LoadCaOptions } from './ca-files.js';

export const CA_CERT_FILE = 'ca.pem';
export const CA_KEY_FILE = 'ca.key';

const DAY_MS = 24 * 60 * 60 * 1000;
const CA_VALIDITY_MS = 3650 * DAY_MS;
const CLOCK_SKEW_MS = 60 * 60 * 1000;
const CA_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;

export interface CaOptions {
  readonly clock?: () => Date;
}

/** Loads `<dir>/ca.pem` + `<dir>/ca.key`, generating both on first start. */
export async function loadOrCreateCa(dir: string, options: CaOptions = {}): Promise<CertificateAuthority> {
  await ensureDataDir(dir);
  const certPath = join(dir, CA_CERT_FILE);
  const keyPath = join(dir, CA_KEY_FILE);
  const [haveCert, haveKey] = await Promise.all([exists(certPath), exists(keyPath)]);
  if (haveCert !== haveKey) {
    // A start interrupted between the two writes, or a file removed by hand. Generating a new pair would
    // silently invalidate every client that trusts the old CA, so the operator decides.
    const [present, missing] = haveKey ? [keyPath, certPath] : [certPath, keyPath];
    throw new Error(`${present} exists but ${missing} does not; restore it, or remove ${present} to generate a new CA`);
  }
  if (!haveCert) await writeNewCa(certPath, keyPath, options.clock?.() ?? new Date());
  // Read back even what was just written: one code path validates every CA we use.
  return loadCaFromFiles(certPath, keyPath, { ...options, requireOwnerOnlyKey: true });
}

async function writeNewCa(certPath: string, keyPath: string, now: Date): Promise<void> {
  const { certPem, keyPem } = await generateCa(now);
  // Key first: a crash between the two writes leaves a lone key, which the check above reports.
  // When another process won the race, its files are the CA and ours are discarded.
  if ((await createFileExclusive(keyPath, keyPem, 0o600)) === 'exists') return;
  await createFileExclusive(certPath, certPem, 0o644);
}

async function generateCa(now: Date): Promise<{ certPem: string; keyPem: string }> {
  const keys = await webcrypto.subtle.generateKey(CA_ALGORITHM, true, ['sign', 'verify']);
  const ski = await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, webcrypto);
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: randomPositiveSerial(),
      name: [{ CN: [`mcp-egress local CA ${randomBytes(6).toString('hex')}`] }],
      notBefore: new Date(now.getTime() - CLOCK_SKEW_MS),
      notAfter: new Date(now.getTime() + CA_VALIDITY_MS),
      keys,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      extensions: [
        // pathLen 0: this CA signs leaves only, never another CA.
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        ski,
        new x509.AuthorityKeyIdentifierExtension(ski.keyId),
      ],
    },
    webcrypto,
  );
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { certPem: `${cert.toString('pem')}\n`, keyPem: `${x509.PemConverter.encode(pkcs8, 'PRIVATE KEY')}\n` };
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if (isErrnoCode(error, 'ENOENT')) return false;
    throw error;
  }
}
