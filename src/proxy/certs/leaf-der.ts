/**
 * A leaf certificate written straight as DER and signed synchronously with node:crypto.
 *
 * Why not the x509 library for leaves: its generic ASN.1 layer serialises and re-parses the certificate
 * (~3.5 ms of CPU per mint, measured), and a new host's first request waits for it. The leaf's shape is
 * fixed (RFC 5280 §4.1), so only a handful of DER primitives are needed here; the CA's subject is copied
 * as the issuer byte for byte. The result is checked by `openssl verify -x509_strict` and field by field
 * in test/unit/proxy/certs/leaf-openssl.test.ts, and against the library in leaf-der.test.ts.
 */
import { sign, type KeyObject } from 'node:crypto';

/** One DER element: tag, definite length, contents. */
function tlv(tag: number, ...contents: Buffer[]): Buffer {
  const body = contents.length === 1 ? contents[0]! : Buffer.concat(contents);
  const length = body.length;
  let head: Buffer;
  if (length < 0x80) head = Buffer.from([tag, length]);
  else if (length < 0x100) head = Buffer.from([tag, 0x81, length]);
  else if (length < 0x10000) head = Buffer.from([tag, 0x82, length >> 8, length & 0xff]);
  else head = Buffer.from([tag, 0x83, length >> 16, (length >> 8) & 0xff, length & 0xff]);
  return Buffer.concat([head, body]);
}

const sequence = (...items: Buffer[]): Buffer => tlv(0x30, ...items);
const octetString = (bytes: Buffer): Buffer => tlv(0x04, bytes);
const TRUE = Buffer.from([0x01, 0x01, 0xff]);

/** An OBJECT IDENTIFIER from its dotted form (base-128 arcs after the first two). */
export function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number);
  const bytes = [40 * arcs[0]! + arcs[1]!];
  for (const arc of arcs.slice(2)) {
    const groups = [arc & 0x7f];
    for (let rest = Math.floor(arc / 128); rest > 0; rest = Math.floor(rest / 128)) groups.unshift((rest & 0x7f) | 0x80);
    bytes.push(...groups);
  }
  return tlv(0x06, Buffer.from(bytes));
}

/** A positive INTEGER from big-endian bytes whose top bit is clear (serial.ts guarantees it). */
function positiveInteger(bytes: Buffer): Buffer {
  return tlv(0x02, bytes);
}

/** UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5), to the second, in UTC. */
function time(date: Date): Buffer {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  const year = date.getUTCFullYear();
  return year >= 1950 && year < 2050 ? tlv(0x17, Buffer.from(digits.slice(2), 'latin1')) : tlv(0x18, Buffer.from(digits, 'latin1'));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? sequence(oid(id), TRUE, octetString(value)) : sequence(oid(id), octetString(value));
}

export interface LeafFields {
  /** Big-endian serial bytes, top bit clear, no leading zero octet. */
  readonly serial: Buffer;
  /** The issuing CA's subject Name, DER, copied as the issuer. */
  readonly issuerName: Buffer;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** The subject CN (already at most 64 characters). */
  readonly commonName: string;
  readonly san: { readonly kind: 'dns'; readonly name: string } | { readonly kind: 'ip'; readonly bytes: Buffer };
  /** The leaf's SubjectPublicKeyInfo, DER. */
  readonly publicKeySpki: Buffer;
  readonly subjectKeyId: Buffer;
  readonly authorityKeyId: Buffer;
}

export interface LeafSigner {
  /** AlgorithmIdentifier DER for the signature. */
  readonly algorithm: Buffer;
  /** Digest name for node:crypto sign. */
  readonly digest: string;
  readonly key: KeyObject;
}

const SIGNATURE_ALGORITHMS: Readonly<Record<string, Buffer>> = {
  'ECDSA SHA-256': sequence(oid('1.2.840.10045.4.3.2')),
  'ECDSA SHA-384': sequence(oid('1.2.840.10045.4.3.3')),
  'ECDSA SHA-512': sequence(oid('1.2.840.10045.4.3.4')),
  'RSASSA-PKCS1-v1_5 SHA-256': sequence(oid('1.2.840.113549.1.1.11'), Buffer.from([0x05, 0x00])),
};

/** The signer for a CA key and its WebCrypto signing algorithm; null for a combination not listed. */
export function leafSigner(key: KeyObject, algorithm: { readonly name: string; readonly hash?: unknown }): LeafSigner | null {
  const hash = typeof algorithm.hash === 'string' ? algorithm.hash : (algorithm.hash as { name?: string } | undefined)?.name;
  const identifier = SIGNATURE_ALGORITHMS[`${algorithm.name} ${hash ?? ''}`];
  if (identifier === undefined || hash === undefined) return null;
  return { algorithm: identifier, digest: hash.replace('-', '').toLowerCase(), key };
}

export function leafCertificateDer(fields: LeafFields, signer: LeafSigner): Buffer {
  const altName = fields.san.kind === 'dns' ? tlv(0x82, Buffer.from(fields.san.name, 'latin1')) : tlv(0x87, fields.san.bytes);
  const extensions = tlv(
    0xa3,
    sequence(
      extension('2.5.29.19', true, sequence()), // basicConstraints: CA:FALSE
      extension('2.5.29.15', true, Buffer.from([0x03, 0x02, 0x07, 0x80])), // keyUsage: digitalSignature
      extension('2.5.29.37', false, sequence(oid('1.3.6.1.5.5.7.3.1'))), // extKeyUsage: serverAuth
      extension('2.5.29.17', false, sequence(altName)),
      extension('2.5.29.14', false, octetString(fields.subjectKeyId)),
      extension('2.5.29.35', false, sequence(tlv(0x80, fields.authorityKeyId))),
    ),
  );
  const subject = sequence(tlv(0x31, sequence(oid('2.5.4.3'), tlv(0x0c, Buffer.from(fields.commonName, 'utf8')))));
  const tbs = sequence(
    Buffer.from([0xa0, 0x03, 0x02, 0x01, 0x02]), // version v3
    positiveInteger(fields.serial),
    signer.algorithm,
    fields.issuerName,
    sequence(time(fields.notBefore), time(fields.notAfter)),
    subject,
    fields.publicKeySpki,
    extensions,
  );
  // ECDSA signatures come out as DER Ecdsa-Sig-Value, which is what X.509 carries.
  const signature = sign(signer.digest, tbs, { key: signer.key, dsaEncoding: 'der' });
  return sequence(tbs, signer.algorithm, tlv(0x03, Buffer.from([0x00]), signature));
}

/** The element starting at `offset`: where its contents start and where it ends. */
function element(der: Buffer, offset: number): { readonly contents: number; readonly end: number } {
  const first = der[offset + 1]!;
  if (first < 0x80) return { contents: offset + 2, end: offset + 2 + first };
  const count = first & 0x7f;
  let length = 0;
  for (let i = 0; i < count; i++) length = length * 256 + der[offset + 2 + i]!;
  return { contents: offset + 2 + count, end: offset + 2 + count + length };
}

/** The subject Name of a certificate, DER, exactly as it appears in it (the leaves' issuer). */
export function subjectNameOf(certificateDer: Buffer): Buffer {
  const tbs = element(certificateDer, element(certificateDer, 0).contents);
  let at = tbs.contents;
  if (certificateDer[at] === 0xa0) at = element(certificateDer, at).end; // version
  for (let skip = 0; skip < 4; skip++) at = element(certificateDer, at).end; // serial, signature, issuer, validity
  return certificateDer.subarray(at, element(certificateDer, at).end);
}

export function pemOf(der: Buffer): string {
  const base64 = der.toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN CERTIFICATE-----\n${base64}${base64.endsWith('\n') ? '' : '\n'}-----END CERTIFICATE-----\n`;
}
