/**
 * Minted leaves as OpenSSL sees them: strict chain verification for names and IP literals, with our own
 * generated CA and with operator CAs made by openssl (RSA PKCS#8, RSA PKCS#1, EC P-384 SEC1), and the
 * extensions a strict client requires.
 */
import { X509Certificate } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCaFromFiles, loadOrCreateCa } from '../../../../src/proxy/certs/ca.js';
import type { CertificateAuthority } from '../../../../src/proxy/certs/ca.js';
import { createLeafMinter } from '../../../../src/proxy/certs/leaf.js';
import { makeTempDir, nodeHandshake, openssl, run, serveTls } from './support.js';

// Whole seconds, so certificate times (second precision) can be compared exactly.
const NOW = new Date(Math.floor(Date.now() / 1000) * 1000);
const HOUR_MS = 3_600_000;

let temp: Awaited<ReturnType<typeof makeTempDir>>;
let generatedCa: CertificateAuthority;

beforeAll(async () => {
  temp = await makeTempDir();
  generatedCa = await loadOrCreateCa(join(temp.path, 'data'));
});
afterAll(async () => temp.remove());

/** Mints through the public API and captures the leaf exactly as a TLS client receives it. */
async function mintedLeafFile(ca: CertificateAuthority, host: string, name: string): Promise<string> {
  const minter = createLeafMinter({ ca, clock: () => NOW });
  const endpoint = await serveTls(await minter.secureContextFor(host));
  try {
    const { leaf } = await nodeHandshake(endpoint.port, {});
    if (leaf === undefined) throw new Error('server presented no certificate');
    const path = join(temp.path, `${name}.pem`);
    await writeFile(path, leaf.toString());
    return path;
  } finally {
    await endpoint.close();
  }
}

async function verifyStrict(caPath: string, leafPath: string, identity: string[]) {
  return run('openssl', ['verify', '-x509_strict', '-CAfile', caPath, ...identity, leafPath]);
}

describe('openssl verify -x509_strict accepts minted leaves', () => {
  const cases = [
    { host: 'api.example.test', identity: ['-verify_hostname', 'api.example.test'] },
    { host: '127.0.0.1', identity: ['-verify_ip', '127.0.0.1'] },
    { host: '2001:db8::1', identity: ['-verify_ip', '2001:db8::1'] },
    { host: `${'a'.repeat(63)}.${'b'.repeat(63)}.example.test`, identity: ['-verify_hostname', `${'a'.repeat(63)}.${'b'.repeat(63)}.example.test`] },
  ];
  it.each(cases)('for $host', async ({ host, identity }) => {
    const leafPath = await mintedLeafFile(generatedCa, host, `leaf-${cases.findIndex((c) => c.host === host)}`);
    const result = await verifyStrict(generatedCa.certPath, leafPath, identity);
    expect(result.stdout.trim()).toBe(`${leafPath}: OK`);
  });

  it('but not for a different name (the check can fail)', async () => {
    const leafPath = await mintedLeafFile(generatedCa, 'api.example.test', 'leaf-other');
    const result = await verifyStrict(generatedCa.certPath, leafPath, ['-verify_hostname', 'evil.example.test']);
    expect(result.code).not.toBe(0);
  });
});

describe('leaf extensions as printed by openssl x509 -text', () => {
  let text: string;
  let caText: string;
  let leaf: X509Certificate;

  beforeAll(async () => {
    const leafPath = await mintedLeafFile(generatedCa, 'api.example.test', 'leaf-text');
    text = (await openssl('x509', '-in', leafPath, '-noout', '-text')).stdout;
    caText = (await openssl('x509', '-in', generatedCa.certPath, '-noout', '-text')).stdout;
    leaf = new X509Certificate((await openssl('x509', '-in', leafPath)).stdout);
  });

  const extensionValue = (source: string, name: string): string | undefined =>
    new RegExp(`X509v3 ${name}:(?: critical)?\\s*\\n\\s*(.+)`).exec(source)?.[1]?.trim();

  it('names the host in the SAN and the subject CN', () => {
    expect(extensionValue(text, 'Subject Alternative Name')).toBe('DNS:api.example.test');
    expect(text).toMatch(/Subject: CN ?= ?api\.example\.test\n/);
  });

  it('carries AKI equal to the CA SKI, and its own SKI', () => {
    const caSki = extensionValue(caText, 'Subject Key Identifier');
    expect(caSki).toMatch(/^([0-9A-F]{2}:){19}[0-9A-F]{2}$/);
    expect(extensionValue(text, 'Authority Key Identifier')?.replace(/^keyid:/, '')).toBe(caSki);
    expect(extensionValue(text, 'Subject Key Identifier')).toMatch(/^([0-9A-F]{2}:){19}[0-9A-F]{2}$/);
    expect(extensionValue(text, 'Subject Key Identifier')).not.toBe(caSki);
  });

  it('is a critical CA:FALSE server-auth certificate for digital signatures', () => {
    expect(text).toMatch(/X509v3 Basic Constraints: critical\s*\n\s*CA:FALSE/);
    expect(text).toMatch(/X509v3 Key Usage: critical\s*\n\s*Digital Signature\n/);
    expect(extensionValue(text, 'Extended Key Usage')).toBe('TLS Web Server Authentication');
  });

  it('has a positive 16-byte serial and is valid from now - 1 h to now + 24 h', () => {
    expect(leaf.serialNumber).toMatch(/^[0-7][0-9A-F]{31}$/i);
    expect(leaf.serialNumber.slice(0, 2)).not.toBe('00');
    expect(new Date(leaf.validFrom).getTime()).toBe(NOW.getTime() - HOUR_MS);
    expect(new Date(leaf.validTo).getTime()).toBe(NOW.getTime() + 24 * HOUR_MS);
  });

  it('truncates a CN longer than 64 characters while the SAN keeps the full name', async () => {
    const host = `${'c'.repeat(63)}.example.test`;
    const leafPath = await mintedLeafFile(generatedCa, host, 'leaf-long');
    const longText = (await openssl('x509', '-in', leafPath, '-noout', '-text')).stdout;
    expect(longText).toContain(`Subject: CN = ${host.slice(0, 64)}\n`);
    expect(extensionValue(longText, 'Subject Alternative Name')).toBe(`DNS:${host}`);
  });
});

describe('leaves signed by an operator CA made with openssl', () => {
  const strictCaExtensions = ['-addext', 'keyUsage=critical,keyCertSign,cRLSign'];
  const variants = [
    { kind: 'RSA-2048, PKCS#8 key', keygen: ['-newkey', 'rsa:2048'], convert: null },
    { kind: 'RSA-2048, PKCS#1 key', keygen: ['-newkey', 'rsa:2048'], convert: ['rsa', '-traditional'] },
    { kind: 'EC P-384, SEC1 key', keygen: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384'], convert: ['ec'] },
  ];

  it.each(variants)('verify strictly with a $kind', async ({ kind, keygen, convert }) => {
    const base = join(temp.path, kind.replace(/[^a-z0-9]+/gi, '-'));
    await openssl('req', '-x509', ...keygen, '-nodes', '-keyout', `${base}.key`, '-out', `${base}.pem`,
      '-days', '30', '-subj', '/C=DE/O=Bench/CN=Bench CA', ...strictCaExtensions);
    if (convert !== null) await openssl(...convert, '-in', `${base}.key`, '-out', `${base}.key`);
    const ca = await loadCaFromFiles(`${base}.pem`, `${base}.key`);
    expect(ca.strictVerificationWarnings).toEqual([]);
    const leafPath = await mintedLeafFile(ca, 'api.example.test', `${kind.replace(/[^a-z0-9]+/gi, '-')}-leaf`);
    const result = await verifyStrict(`${base}.pem`, leafPath, ['-verify_hostname', 'api.example.test']);
    expect(result.stdout.trim()).toBe(`${leafPath}: OK`);
  });

  it('warns about a CA without keyUsage, which strict OpenSSL indeed rejects', async () => {
    const base = join(temp.path, 'no-key-usage');
    await openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${base}.key`, '-out', `${base}.pem`,
      '-days', '30', '-subj', '/CN=Lenient CA');
    const ca = await loadCaFromFiles(`${base}.pem`, `${base}.key`);
    expect(ca.strictVerificationWarnings).toEqual([expect.stringContaining('has no keyUsage extension')]);
    const leafPath = await mintedLeafFile(ca, 'api.example.test', 'no-key-usage-leaf');
    expect((await run('openssl', ['verify', '-CAfile', `${base}.pem`, leafPath])).code).toBe(0);
    expect((await verifyStrict(`${base}.pem`, leafPath, [])).stderr).toContain('CA cert does not include key usage extension');
  });
});
