/**
 * Token fingerprints and hints: how the audit trail names a credential without ever holding it.
 * A fingerprint is HMAC-SHA256 under the installation's key (data dir), so it is stable across restarts,
 * searchable in a SIEM (`mcp-egress audit fingerprint`), and useless to anyone without the key.
 */
import { createHmac } from 'node:crypto';

export type Fingerprinter = (token: string) => string;

export function createFingerprinter(key: Buffer): Fingerprinter {
  if (key.length < 32) throw new Error('fingerprint key must be at least 32 bytes');
  return (token) => `hmac-sha256:${createHmac('sha256', key).update(token, 'utf8').digest('hex')}`;
}

/**
 * The same fingerprint over raw bytes, for redaction markers (`[REDACTED:<kind>:<8 hex>]`): a marker's hex
 * is the start of the token's audit fingerprint, so an analyst can tie a redaction to a credential.
 */
export function createSecretFingerprinter(key: Buffer): (secret: Buffer) => string {
  if (key.length < 32) throw new Error('fingerprint key must be at least 32 bytes');
  return (secret) => `hmac-sha256:${createHmac('sha256', key).update(secret).digest('hex')}`;
}

// Prefixes that name a token's issuer and kind; they are public format facts, not secret material.
// Longest first so `github_pat_` wins over a shorter match.
const KNOWN_PREFIXES = [
  'github_pat_', 'sk-ant-api03-', 'sk-ant-', 'sk-proj-', 'sk_live_', 'sk_test_', 'rk_live_', 'rk_test_',
  'dop_v1_', 'glpat-', 'glptt-', 'xoxb-', 'xoxp-', 'xoxa-', 'xoxe-', 'xapp-', 'pypi-', 'npm_', 'ghp_', 'gho_',
  'ghu_', 'ghs_', 'ghr_', 'hvs.', 'hf_', 'AKIA', 'ASIA', 'SG.', 'eyJ', 'sk-',
] as const;

const HINT_MIN_LENGTH = 20;
const HINT_SUFFIX_LENGTH = 4;
const HINT_MIN_SECRET_PART = 16;

/**
 * `ghp_…a1b2`: the known prefix and the last 4 characters, only for tokens long enough that 4
 * characters reveal a negligible part of them; null otherwise.
 */
export function tokenHint(token: string): string | null {
  if (token.length < HINT_MIN_LENGTH) return null;
  // A long public prefix plus 4 characters would reveal most of a short token: the part after the prefix
  // must be long enough that 4 characters of it are a negligible share.
  const prefix = KNOWN_PREFIXES.find((p) => token.startsWith(p)) ?? '';
  if (token.length - prefix.length < HINT_MIN_SECRET_PART) return null;
  return `${prefix}…${token.slice(-HINT_SUFFIX_LENGTH)}`;
}
