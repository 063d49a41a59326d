/**
 * One leaf certificate for one host, signed by the CA. The key pair is shared by every leaf of a minter,
 * so a new host costs one signature (a DNS name: the leaf written directly as DER, leaf-der.ts, ~0.2 ms of
 * CPU; an IP literal: the x509 library, ~3.5 ms) instead of an RSA key
 * generation (about 200 ms on the event loop).
 */
import { createHash, generateKeyPairSync, KeyObject, webcrypto } from 'node:crypto';
import * as x509 from './x509.js';
import type { CertificateAuthority } from './ca-files.js';
import type { MintHost } from './mint-host.js';
import { randomPositiveSerial } from './serial.js';
import { leafCertificateDer, leafSigner, pemOf, subjectNameOf, type LeafSigner } from './leaf-der.js';

export interface LeafKeyPair {
  readonly privateKeyPem: string;
  readonly publicKeySpki: Buffer;
  /** Hex SHA-1 of the public key bits (RFC 5280 4.2.1.2 method 1), the leaves' Subject Key Identifier. */
  readonly keyIdentifier: string;
}

export interface LeafValidity {
  readonly notBefore: Date;
  readonly notAfter: Date;
}

// RFC 5280 upper bound for a CommonName; the SAN, which verifiers actually match, carries the full name.
const MAX_COMMON_NAME = 64;

export function createLeafKeyPair(): LeafKeyPair {
  // P-256 generation takes well under a millisecond, so doing it synchronously once per minter is fine.
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const jwk = publicKey.export({ format: 'jwk' });
  const point = Buffer.concat([Buffer.from([0x04]), Buffer.from(jwk.x ?? '', 'base64url'), Buffer.from(jwk.y ?? '', 'base64url')]);
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeySpki: publicKey.export({ type: 'spki', format: 'der' }),
    keyIdentifier: createHash('sha1').update(point).digest('hex'),
  };
}

interface DirectSigning {
  readonly signer: LeafSigner;
  readonly issuerName: Buffer;
  readonly authorityKeyId: Buffer;
}

// Keyed by the CA's signing key, which is read at each mint (as the library path reads it).
const directSigning = new WeakMap<webcrypto.CryptoKey, DirectSigning | null>();

/** How this CA signs leaves directly (leaf-der.ts); null: a key or algorithm only the library handles. */
function directSigningFor(ca: CertificateAuthority): DirectSigning | null {
  const privateKey = ca.privateKey;
  let known = directSigning.get(privateKey);
  if (known === undefined) {
    const keyObject = KeyObject.from(privateKey);
    const signer = keyObject.type === 'private' ? leafSigner(keyObject, ca.signingAlgorithm) : null;
    known = signer === null ? null : { signer, issuerName: subjectNameOf(Buffer.from(ca.cert.rawData)), authorityKeyId: Buffer.from(ca.keyIdentifier, 'hex') };
    directSigning.set(privateKey, known);
  }
  return known;
}

export async function signLeafCertificate(
  ca: CertificateAuthority,
  key: LeafKeyPair,
  host: MintHost,
  validity: LeafValidity,
): Promise<string> {
  // A DNS name (nearly every host) is written directly; an IP-literal host goes through the library.
  const direct = host.ipVersion === 0 ? directSigningFor(ca) : null;
  if (direct !== null) {
    const der = leafCertificateDer(
      {
        serial: Buffer.from(randomPositiveSerial(), 'hex'),
        issuerName: direct.issuerName,
        notBefore: validity.notBefore,
        notAfter: validity.notAfter,
        commonName: host.name.slice(0, MAX_COMMON_NAME),
        san: { kind: 'dns', name: host.name },
        publicKeySpki: key.publicKeySpki,
        subjectKeyId: Buffer.from(key.keyIdentifier, 'hex'),
        authorityKeyId: direct.authorityKeyId,
      },
      direct.signer,
    );
    return pemOf(der);
  }
  return signLeafWithLibrary(ca, key, host, validity);
}

/** The same leaf made by the x509 library (IP-literal hosts; and the oracle leaf-der.test.ts compares with). */
export async function signLeafWithLibrary(ca: CertificateAuthority, key: LeafKeyPair, host: MintHost, validity: LeafValidity): Promise<string> {
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: randomPositiveSerial(),
      subject: [{ CN: [host.name.slice(0, MAX_COMMON_NAME)] }],
      issuer: ca.cert.subjectName,
      notBefore: validity.notBefore,
      notAfter: validity.notAfter,
      publicKey: key.publicKeySpki,
      signingKey: ca.privateKey,
      signingAlgorithm: ca.signingAlgorithm,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
        new x509.SubjectAlternativeNameExtension([{ type: host.ipVersion === 0 ? 'dns' : 'ip', value: host.name }], false),
        new x509.SubjectKeyIdentifierExtension(key.keyIdentifier),
        new x509.AuthorityKeyIdentifierExtension(ca.keyIdentifier),
      ],
    },
    webcrypto,
  );
  return `${cert.toString('pem')}\n`;
}
