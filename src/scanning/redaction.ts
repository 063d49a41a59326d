/**
 * Writing the redacted copy: every finding's span replaced by `[REDACTED:<kind>]`, or
 * `[REDACTED:<kind>:<8 hex>]` when a keyed fingerprinter is injected so analysts can correlate two
 * sightings of one secret without holding it. Bytes outside findings are copied unchanged, so invalid
 * UTF-8 and binary data pass through as they came.
 */
import { isDigit, isLower } from './ascii.js';
import type { Finding } from './findings.js';

/**
 * Keyed fingerprint of a secret (an HMAC under the installation's key, bound by the caller). It returns
 * hex, optionally behind an algorithm label (`hmac-sha256:9f2c…`); the marker shows the first 8 hex digits.
 */
export type SecretFingerprinter = (secret: Buffer) => string;

export interface RedactOptions {
  readonly fingerprint?: SecretFingerprinter;
}

export interface RedactResult {
  readonly output: Buffer;
  readonly findings: readonly Finding[];
}

const FINGERPRINT_DIGITS = 8;

/** `findings` are sorted by start and do not overlap (as mergeMatches returns them); offsets are relative to `input`. */
export function applyRedactions(input: Buffer, findings: readonly Finding[], options: RedactOptions = {}): Buffer {
  if (findings.length === 0) return input;
  const pieces: Buffer[] = [];
  let copied = 0;
  for (const finding of findings) {
    pieces.push(input.subarray(copied, finding.start));
    pieces.push(Buffer.from(replacementFor(finding.kind, input.subarray(finding.start, finding.end), options)));
    copied = finding.end;
  }
  pieces.push(input.subarray(copied));
  return Buffer.concat(pieces);
}

export function replacementFor(kind: string, secret: Buffer, options: RedactOptions): string {
  if (options.fingerprint === undefined) return `[REDACTED:${kind}]`;
  return `[REDACTED:${kind}:${shortFingerprint(options.fingerprint(secret))}]`;
}

function shortFingerprint(fingerprint: string): string {
  const digits = fingerprint.slice(fingerprint.lastIndexOf(':') + 1, fingerprint.lastIndexOf(':') + 1 + FINGERPRINT_DIGITS);
  // A fingerprinter that returned the secret, or anything but hex, must not put it into the output.
  const isHex = digits.length === FINGERPRINT_DIGITS && [...digits].every((c) => isDigit(c.charCodeAt(0)) || (isLower(c.charCodeAt(0)) && c <= 'f'));
  if (!isHex) throw new TypeError('the fingerprinter must return lower-case hex (optionally after "algorithm:")');
  return digits;
}
