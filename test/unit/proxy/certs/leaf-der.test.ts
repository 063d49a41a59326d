/**
 * Leaves written directly as DER (leaf-der.ts) against the same leaves made by the x509 library: the same
 * subject, issuer bytes, validity, key and, extension by extension, the same DER; the signature verifies
 * with the CA's key. Across CA key types: the generated P-256 CA and operator RSA-2048 and P-384 CAs.
 */
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import * as x509 from '../../../../src/proxy/certs/x509.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCaFromFiles, type CertificateAuthority } from '../../../../src/proxy/certs/ca-files.js';
import { loadOrCreateCa } from '../../../../src/proxy/certs/ca.js';
import { createLeafKeyPair, signLeafCertificate, signLeafWithLibrary } from '../../../../src/proxy/certs/leaf-certificate.js';
import { oid, subjectNameOf } from '../../../../src/proxy/certs/leaf-der.js';
import { parseMintHost } from '../../../../src/proxy/certs/mint-host.js';
import { makeTempDir, openssl } from './support.js';

let temp: Awaited<ReturnType<typeof makeTempDir>>;
const cas: { kind: string; ca: CertificateAuthority }[] = [];

beforeAll(async () => {
  temp = await makeTempDir();
  cas.push({ kind: 'generated P-256', ca: await loadOrCreateCa(join(temp.path, 'generated')) });
  for (const [kind, keygen] of [
    ['operator RSA-2048', ['-newkey', 'rsa:2048']],
    ['operator P-384', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384']],
  ] as const) {
    const base = join(temp.path, kind.replace(/[^a-z0-9]+/gi, '-'));
    await openssl('req', '-x509', ...keygen, '-nodes', '-keyout', `${base}.key`, '-out', `${base}.pem`, '-days', '30',
      '-subj', '/C=DE/O=Bench Ltd/CN=Bench CA', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
    cas.push({ kind, ca: await loadCaFromFiles(`${base}.pem`, `${base}.key`) });
  }
});

afterAll(async () => temp.remove());

const validity = { notBefore: new Date('2026-11-27T07:00:00Z'), notAfter: new Date('2026-11-28T08:00:00Z') };

function extensionsByOid(pem: string): Map<string, string> {
  const cert = new x509.X509Certificate(pem);
  return new Map(cert.extensions.map((extension) => [extension.type, Buffer.from(extension.rawData).toString('hex')]));
}

describe('a directly written leaf equals the library-made one, field by field', () => {
  it.each(['api.example.test', 'a-very-long-label-that-goes-on-and-on.and-another-long-label-that-goes-on.example.test'])('for %s', async (name) => {
    for (const { kind, ca } of cas) {
      const key = createLeafKeyPair();
      const host = parseMintHost(name);
      const direct = new X509Certificate(await signLeafCertificate(ca, key, host, validity));
      const library = new X509Certificate(await signLeafWithLibrary(ca, key, host, validity));
      expect(direct.subject, kind).toBe(library.subject);
      expect(direct.issuer, kind).toBe(library.issuer);
      expect(direct.subjectAltName, kind).toBe(`DNS:${name}`);
      expect([direct.validFrom, direct.validTo], kind).toEqual([library.validFrom, library.validTo]);
      expect(direct.publicKey.export({ type: 'spki', format: 'der' }).equals(library.publicKey.export({ type: 'spki', format: 'der' })), kind).toBe(true);
      expect(extensionsByOid(direct.toString()), kind).toEqual(extensionsByOid(library.toString()));
      expect(direct.checkIssued(new X509Certificate(ca.certPem)), kind).toBe(true);
      expect(direct.verify(new X509Certificate(ca.certPem).publicKey), kind).toBe(true);
      expect(direct.serialNumber, kind).toMatch(/^[0-7][0-9A-F]{31}$/);
    }
  });

  it('copies the CA subject byte for byte as the issuer', () => {
    for (const { ca } of cas) {
      const raw = Buffer.from(ca.cert.rawData);
      expect(subjectNameOf(raw).equals(Buffer.from(ca.cert.subjectName.toArrayBuffer()))).toBe(true);
    }
  });

  it.each([
    { dotted: '2.5.29.17', hex: '0603551d11' },
    { dotted: '1.2.840.10045.4.3.2', hex: '06082a8648ce3d040302' },
    { dotted: '1.3.6.1.5.5.7.3.1', hex: '06082b06010505070301' },
  ])('encodes OID $dotted', ({ dotted, hex }) => {
    expect(oid(dotted).toString('hex')).toBe(hex);
  });
});
