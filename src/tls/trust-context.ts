/**
 * What every outgoing TLS connection trusts: the system roots plus the operator's extra CA bundles
 * (added, never replacing the roots; verification is always on). Built once into a SecureContext: a
 * `ca` list passed per connection makes Node parse every root again for each new connection (~17 ms CPU
 * and ~0.8 MB each). The files are read here, at start, so an unreadable bundle fails start-up.
 */
import { readFileSync } from 'node:fs';
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';

export function createTrustContext(extraCaFiles: readonly string[]): SecureContext {
  const ca = [...rootCertificates, ...extraCaFiles.map((file) => readFileSync(file, 'utf8'))];
  return createSecureContext({ ca, minVersion: 'TLSv1.2' });
}
