/**
 * Loads a CA (certificate + private key) from PEM files and checks, once at start, everything a
 * leaf signature will rely on: the key matches the certificate, the certificate may sign others and is
 * valid now. Per-connection code then only signs.
 */
import { X509Certificate as NodeX509Certificate, createPrivateKey, webcrypto } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as x509 from './x509.js';
import { readOwnerOnlyFile } from '../../state/private-file.js';

/** A CA ready to sign leaves. The private key is a non-extractable WebCrypto key: it can sign, not leak. */
export interface CertificateAuthority {
  readonly certPem: string;
  readonly cert: x509.X509Certificate;
  readonly privateKey: webcrypto.CryptoKey;
  /** Passed to WebCrypto `sign`; its hash matches the CA key (SHA-384 for P-384, and so on). */
  readonly signingAlgorithm: webcrypto.EcdsaParams | webcrypto.Algorithm;
  /** Hex key identifier of the CA key: its SKI, written as every leaf's Authority Key Identifier. */
  readonly keyIdentifier: string;
  readonly certPath: string;
  /**
   * Ways this CA falls short of RFC 5280 profile checks that strict verifiers (OpenSSL X509_STRICT,
   * Python 3.13+ by default) apply to every chain. Such a CA still works for lenient clients, so it is
   * loaded, and the caller logs these at start.
   */
  readonly strictVerificationWarnings: readonly string[];
}

export interface LoadCaOptions {
  readonly clock?: () => Date;
  /** Refuse a key file readable by group or others. On for our own data dir; operator files may be mounted 0644. */
  readonly requireOwnerOnlyKey?: boolean;
}

// Sign with the hash that matches the key's strength, as CAs conventionally do.
const EC_CURVES: Readonly<Record<string, { readonly namedCurve: string; readonly hash: string }>> = {
  prime256v1: { namedCurve: 'P-256', hash: 'SHA-256' },
  secp384r1: { namedCurve: 'P-384', hash: 'SHA-384' },
  secp521r1: { namedCurve: 'P-521', hash: 'SHA-512' },
};

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

/** Loads an operator-supplied or previously generated CA: RSA or EC key, PEM PKCS#8, PKCS#1 or SEC1. */
export async function loadCaFromFiles(certPath: string, keyPath: string, options: LoadCaOptions = {}): Promise<CertificateAuthority> {
  const certPem = extractFirstCertificate(await readFile(certPath, 'utf8'), certPath);
  const nodeCert = new NodeX509Certificate(certPem);
  const keyObject = parsePrivateKey(await readKeyFile(keyPath, options.requireOwnerOnlyKey ?? false), keyPath);
  if (!nodeCert.checkPrivateKey(keyObject)) {
    throw new Error(`CA key ${keyPath} does not belong to the certificate in ${certPath}`);
  }
  const cert = new x509.X509Certificate(certPem);
  assertCanSignCertificates(cert, certPath);
  assertValidAt(cert, certPath, (options.clock ?? (() => new Date()))());
  const { importAlgorithm, signingAlgorithm } = algorithmsFor(keyObject, keyPath);
  const der = keyObject.export({ type: 'pkcs8', format: 'der' });
  const privateKey = await webcrypto.subtle.importKey('pkcs8', der, importAlgorithm, false, ['sign']);
  return {
    certPem,
    cert,
    privateKey,
    signingAlgorithm,
    keyIdentifier: await keyIdentifierOf(cert),
    certPath,
    strictVerificationWarnings: strictVerificationWarnings(cert, certPath),
  };
}

function extractFirstCertificate(text: string, certPath: string): string {
  const match = PEM_CERTIFICATE.exec(text);
  if (match === null) throw new Error(`CA certificate ${certPath} holds no PEM certificate`);
  return `${match[0]}\n`;
}

async function readKeyFile(keyPath: string, requireOwnerOnly: boolean): Promise<Buffer> {
  if (!requireOwnerOnly) return readFile(keyPath);
  const key = await readOwnerOnlyFile(keyPath);
  if (key === null) throw new Error(`CA key ${keyPath} does not exist`);
  return key;
}

function parsePrivateKey(pem: Buffer, keyPath: string): KeyObject {
  try {
    return createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    // The parser's own message is not passed on: it is not needed to fix the file, and a message about
    // key bytes is the kind of text that must never reach a log.
    throw new Error(`CA key ${keyPath} is not an unencrypted PEM private key (PKCS#8, PKCS#1 or SEC1)`);
  }
}

function algorithmsFor(keyObject: KeyObject, keyPath: string) {
  const type = keyObject.asymmetricKeyType;
  if (type === 'rsa') {
    const rsa = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
    return { importAlgorithm: rsa, signingAlgorithm: rsa };
  }
  const curve = type === 'ec' ? EC_CURVES[keyObject.asymmetricKeyDetails?.namedCurve ?? ''] : undefined;
  if (curve === undefined) {
    throw new Error(`CA key ${keyPath} has an unsupported type; use RSA or EC P-256/P-384/P-521`);
  }
  return {
    importAlgorithm: { name: 'ECDSA', namedCurve: curve.namedCurve },
    signingAlgorithm: { name: 'ECDSA', hash: curve.hash },
  };
}

function assertCanSignCertificates(cert: x509.X509Certificate, certPath: string): void {
  const constraints = cert.getExtension(x509.BasicConstraintsExtension);
  if (constraints === null || !constraints.ca) {
    throw new Error(`CA certificate ${certPath} is not a CA (basicConstraints CA:TRUE missing)`);
  }
  const usage = cert.getExtension(x509.KeyUsagesExtension);
  if (usage !== null && (usage.usages & x509.KeyUsageFlags.keyCertSign) === 0) {
    throw new Error(`CA certificate ${certPath} may not sign certificates (keyUsage lacks keyCertSign)`);
  }
}

function assertValidAt(cert: x509.X509Certificate, certPath: string, now: Date): void {
  if (now < cert.notBefore || now > cert.notAfter) {
    throw new Error(
      `CA certificate ${certPath} is not valid now (${cert.notBefore.toISOString()} to ${cert.notAfter.toISOString()}); replace it`,
    );
  }
}

function strictVerificationWarnings(cert: x509.X509Certificate, certPath: string): string[] {
  const problems: string[] = [];
  if (cert.getExtension(x509.BasicConstraintsExtension)?.critical !== true) problems.push('basicConstraints is not critical');
  if (cert.getExtension(x509.KeyUsagesExtension) === null) problems.push('has no keyUsage extension');
  if (cert.getExtension(x509.SubjectKeyIdentifierExtension) === null) problems.push('has no subjectKeyIdentifier extension');
  return problems.map(
    (problem) => `CA certificate ${certPath} ${problem}: strict TLS clients (Python 3.13+, OpenSSL X509_STRICT) will reject its leaves`,
  );
}

/** The CA's own SKI when it has one (leaves must repeat exactly that), else the RFC 5280 SHA-1 of its key. */
async function keyIdentifierOf(cert: x509.X509Certificate): Promise<string> {
  const ski = cert.getExtension(x509.SubjectKeyIdentifierExtension);
  if (ski !== null) return ski.keyId;
  const computed = await x509.SubjectKeyIdentifierExtension.create(cert.publicKey, false, webcrypto);
  return computed.keyId;
}
