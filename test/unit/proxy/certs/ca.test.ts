/**
 * The local CA: generated once with the profile strict verifiers require, owner-only key, reused on
 * every later start; operator CAs load from RSA or EC keys in the usual PEM encodings; anything that
 * cannot sign valid leaves is refused at start with a message that names the file, never the key.
 */
import { X509Certificate } from 'node:crypto';
import { chmod, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadCaFromFiles, loadOrCreateCa } from '../../../../src/proxy/certs/ca.js';
import { makeTempDir, openssl } from './support.js';

const YEAR_MS = 365 * 24 * 3_600_000;

let temp: Awaited<ReturnType<typeof makeTempDir>>;
let dir: string;
let caseNumber = 0;

beforeAll(async () => {
  temp = await makeTempDir();
});
afterAll(async () => temp.remove());
beforeEach(() => {
  caseNumber += 1;
  dir = join(temp.path, `data-${caseNumber}`);
});

const modeOf = async (path: string) => (await stat(path)).mode & 0o777;
const opensslText = async (path: string) => (await openssl('x509', '-in', path, '-noout', '-text')).stdout;

describe('loadOrCreateCa on first start', () => {
  it('writes ca.pem and an owner-only ca.key into an owner-only data dir, and nothing else', async () => {
    const ca = await loadOrCreateCa(join(dir, 'nested'));
    expect(ca.certPath).toBe(join(dir, 'nested', 'ca.pem'));
    expect((await readdir(join(dir, 'nested'))).sort()).toEqual(['ca.key', 'ca.pem']);
    expect(await modeOf(join(dir, 'nested'))).toBe(0o700);
    expect(await modeOf(join(dir, 'nested', 'ca.key'))).toBe(0o600);
    expect(await readFile(ca.certPath, 'utf8')).toBe(ca.certPem);
  });

  it('generates an ECDSA P-256 CA with CA:TRUE pathlen 0, keyCertSign + cRLSign, SKI and ~10 years', async () => {
    const now = new Date('2031-05-01T00:00:00Z');
    const ca = await loadOrCreateCa(dir, { clock: () => now });
    const text = await opensslText(ca.certPath);
    expect(text).toMatch(/Subject: CN ?= ?mcp-egress local CA [0-9a-f]{12}\n/);
    expect(text).toContain('ASN1 OID: prime256v1');
    expect(text).toMatch(/X509v3 Basic Constraints: critical\s*\n\s*CA:TRUE, pathlen:0/);
    expect(text).toMatch(/X509v3 Key Usage: critical\s*\n\s*Certificate Sign, CRL Sign\n/);
    expect(text).toMatch(/X509v3 Subject Key Identifier:\s*\n\s*([0-9A-F]{2}:){19}[0-9A-F]{2}\n/);
    const cert = new X509Certificate(ca.certPem);
    expect(Date.parse(cert.validTo) - now.getTime()).toBeGreaterThan(9.9 * YEAR_MS);
    expect(Date.parse(cert.validFrom)).toBeLessThan(now.getTime());
    expect(ca.strictVerificationWarnings).toEqual([]);
  });

  it('gives two data dirs two different CAs', async () => {
    const first = await loadOrCreateCa(join(dir, 'one'));
    const second = await loadOrCreateCa(join(dir, 'two'));
    expect(second.certPem).not.toBe(first.certPem);
    expect(second.cert.subject).not.toBe(first.cert.subject);
  });

  it('keeps the private key out of reach: non-extractable, sign only', async () => {
    const ca = await loadOrCreateCa(dir);
    expect(ca.privateKey.extractable).toBe(false);
    expect(ca.privateKey.usages).toEqual(['sign']);
  });
});

describe('loadOrCreateCa on later starts', () => {
  it('reuses the same CA', async () => {
    const first = await loadOrCreateCa(dir);
    const second = await loadOrCreateCa(dir);
    expect(second.certPem).toBe(first.certPem);
    expect(second.keyIdentifier).toBe(first.keyIdentifier);
  });

  it('refuses a ca.key readable by group or others (0644)', async () => {
    await loadOrCreateCa(dir);
    await chmod(join(dir, 'ca.key'), 0o644);
    await expect(loadOrCreateCa(dir)).rejects.toThrow(/ca\.key: is accessible by group or others \(mode 0644\)/);
  });

  it.each(['ca.key', 'ca.pem'])('refuses to regenerate when only %s is missing', async (missing) => {
    const ca = await loadOrCreateCa(dir);
    await rm(join(dir, missing));
    await expect(loadOrCreateCa(dir)).rejects.toThrow(`${join(dir, missing)} does not`);
    const left = await readdir(dir);
    expect(left).toHaveLength(1);
    if (missing === 'ca.key') expect(await readFile(ca.certPath, 'utf8')).toBe(ca.certPem);
  });

  it('refuses an expired CA and says to replace it', async () => {
    await loadOrCreateCa(dir, { clock: () => new Date('2030-01-01T00:00:00Z') });
    await expect(loadOrCreateCa(dir, { clock: () => new Date('2041-01-01T00:00:00Z') })).rejects.toThrow(/is not valid now/);
  });
});

describe('loadCaFromFiles with operator files', () => {
  async function opensslCa(name: string, extraArgs: string[] = []) {
    const base = join(temp.path, name);
    await openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${base}.key`, '-out', `${base}.pem`,
      '-days', '30', '-subj', `/CN=${name}`, ...extraArgs);
    return { certPath: `${base}.pem`, keyPath: `${base}.key` };
  }

  it('accepts a 0644 operator key (mounted secrets often are) and signs with RSA PKCS#1 v1.5 SHA-256', async () => {
    const files = await opensslCa('operator-rsa');
    await chmod(files.keyPath, 0o644);
    const ca = await loadCaFromFiles(files.certPath, files.keyPath);
    expect(ca.signingAlgorithm).toEqual({ name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' });
    expect(ca.keyIdentifier).toMatch(/^[0-9a-f]{40}$/);
  });

  it('takes the first certificate of a bundle', async () => {
    const files = await opensslCa('bundled');
    const other = await opensslCa('bundled-other');
    const bundle = join(temp.path, 'bundle.pem');
    await writeFile(bundle, (await readFile(files.certPath, 'utf8')) + (await readFile(other.certPath, 'utf8')));
    const ca = await loadCaFromFiles(bundle, files.keyPath);
    expect(ca.certPem).toBe(await readFile(files.certPath, 'utf8'));
  });

  it('refuses a key that belongs to another certificate, without printing either key', async () => {
    const files = await opensslCa('mismatch-a');
    const other = await opensslCa('mismatch-b');
    const error = await loadCaFromFiles(files.certPath, other.keyPath).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe(`CA key ${other.keyPath} does not belong to the certificate in ${files.certPath}`);
  });

  it('refuses a certificate that is not a CA', async () => {
    const files = await opensslCa('not-a-ca', ['-addext', 'basicConstraints=critical,CA:FALSE']);
    await expect(loadCaFromFiles(files.certPath, files.keyPath)).rejects.toThrow(/is not a CA/);
  });

  it('refuses a CA whose keyUsage forbids signing certificates', async () => {
    const files = await opensslCa('no-cert-sign', ['-addext', 'keyUsage=critical,digitalSignature']);
    await expect(loadCaFromFiles(files.certPath, files.keyPath)).rejects.toThrow(/lacks keyCertSign/);
  });

  it('refuses an encrypted key with a message that contains no key material', async () => {
    const files = await opensslCa('encrypted');
    const encrypted = join(temp.path, 'encrypted-protected.key');
    await openssl('pkey', '-in', files.keyPath, '-aes256', '-passout', 'pass:hunter2hunter2', '-out', encrypted);
    const error = (await loadCaFromFiles(files.certPath, encrypted).catch((caught: unknown) => caught)) as Error;
    expect(error.message).toBe(`CA key ${encrypted} is not an unencrypted PEM private key (PKCS#8, PKCS#1 or SEC1)`);
    const keyBody = (await readFile(encrypted, 'utf8')).split('\n')[1] ?? '';
    expect(keyBody.length).toBeGreaterThan(20);
    expect(error.message).not.toContain(keyBody.slice(0, 20));
  });

  it('refuses a file without a certificate', async () => {
    const files = await opensslCa('no-cert');
    await expect(loadCaFromFiles(files.keyPath, files.keyPath)).rejects.toThrow(/holds no PEM certificate/);
  });
});
