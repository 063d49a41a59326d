import { randomBytes } from 'node:crypto';

const SERIAL_BYTES = 16;

/**
 * 16 random bytes as a positive DER INTEGER of exactly 16 octets: the top bit is cleared (a set bit would
 * make it negative) and the first octet is never zero (a leading zero octet is a non-minimal encoding
 * that strict verifiers reject). That leaves 127 bits of randomness, above the CA/B Forum's 64.
 */
export function randomPositiveSerial(): string {
  const bytes = randomBytes(SERIAL_BYTES);
  bytes[0] = (bytes[0]! & 0x7f) || 0x01;
  return bytes.toString('hex');
}
