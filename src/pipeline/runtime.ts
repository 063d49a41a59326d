/**
 * What the stages consult: one immutable snapshot of the compiled configuration plus the injected
 * services. A hot reload builds a whole new snapshot and swaps it; a request keeps the snapshot it
 * started with, so it is never judged by half of one policy and half of another.
 */
import type { EgressConfig } from '../config/types.js';
import type { CompiledPolicy } from '../policy/compile.js';
import type { CredentialVerifier } from '../identity/proxy-credentials.js';
import type { Fingerprinter } from '../tokens/fingerprint.js';
import type { Resolution } from '../destination/resolve.js';
import type { Refusal, RequestContext } from './context.js';
import type { Scanner, SecretFingerprinter } from '../scanning/index.js';

export interface Forwarder {
  /**
   * Sends the request upstream and streams the response back; resolves when the exchange is over, with
   * the refusal when it failed (the runner then replies or, once headers went out, cuts the connection).
   */
  forward(ctx: RequestContext): Promise<Refusal | null>;
}

export interface Runtime {
  readonly config: EgressConfig;
  readonly policy: CompiledPolicy;
  readonly verifier: CredentialVerifier;
  readonly fingerprint: Fingerprinter;
  /** The compiled secret scanner (patterns/), for the exfiltration guard and response scrubbing. */
  readonly scanner: Scanner;
  /** Keyed fingerprints of secret bytes, for `[REDACTED:<kind>:<8 hex>]` markers. */
  readonly secretFingerprint: SecretFingerprinter;
  readonly resolveDestination: (host: string, port: number) => Promise<Resolution>;
  readonly auditHealthy: () => boolean;
  readonly forwarder: Forwarder;
}
