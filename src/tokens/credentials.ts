/**
 * Finds the credential a tool sends upstream, so the audit event can say which token was used (as a
 * fingerprint and hint). The value is hashed here and never returned.
 */
import { parseBasic } from '../identity/proxy-credentials.js';
import { tokenHint, type Fingerprinter } from './fingerprint.js';

export type CredentialSource = 'authorization' | 'x-api-key' | 'api-key' | 'private-token' | 'x-auth-token';

export interface CredentialSeen {
  readonly source: CredentialSource;
  /**
   * The Authorization scheme in lower case (`bearer`, `token`, `basic`, …) when it is a known scheme,
   * `none` when the value has no scheme, `other` for any other first word; null for API-key headers.
   */
  readonly scheme: string | null;
  readonly fingerprint: string;
  readonly hint: string | null;
}

const API_KEY_HEADERS: readonly CredentialSource[] = ['x-api-key', 'api-key', 'private-token', 'x-auth-token'];

export type HeaderBag = Readonly<Record<string, string | string[] | undefined>>;

/**
 * Every credential in the headers. An array-valued header yields one entry per value: each of them
 * reaches the upstream, so each is recorded.
 */
export function credentialsInHeaders(headers: HeaderBag, fingerprint: Fingerprinter): CredentialSeen[] {
  const seen: CredentialSeen[] = [];
  for (const authorization of valuesOf(headers['authorization'])) {
    const found = authorizationToken(authorization);
    if (found) seen.push(describe('authorization', found.scheme, found.token, fingerprint));
  }
  for (const name of API_KEY_HEADERS) {
    for (const raw of valuesOf(headers[name])) {
      const value = raw.trim();
      if (value) seen.push(describe(name, null, value, fingerprint));
    }
  }
  return seen;
}

// The scheme goes into the audit event verbatim, so it comes from this fixed vocabulary (IANA's registry
// plus common vendor schemes): a malformed value such as `<token> <word>` must not put the token there.
const KNOWN_SCHEMES = new Set([
  'basic', 'bearer', 'token', 'digest', 'negotiate', 'ntlm', 'dpop', 'gnap', 'hoba', 'mutual', 'oauth',
  'privatetoken', 'concealed', 'vapid', 'scram-sha-1', 'scram-sha-256', 'aws4-hmac-sha256', 'apikey',
  'api-key', 'key', 'ssws', 'sso-key',
]);

function authorizationToken(value: string): { scheme: string; token: string } | null {
  const trimmed = value.trim();
  if (trimmed === '') return null;
  const space = trimmed.indexOf(' ');
  if (space < 0) return { scheme: 'none', token: trimmed };
  const word = trimmed.slice(0, space).toLowerCase();
  const scheme = KNOWN_SCHEMES.has(word) ? word : 'other';
  const rest = trimmed.slice(space + 1).trim();
  if (scheme === 'basic') {
    // The password part identifies the credential; the user name of a PAT in Basic is often arbitrary.
    const basic = parseBasic(trimmed);
    return basic ? { scheme, token: basic.password } : { scheme, token: rest };
  }
  return { scheme, token: rest };
}

function describe(source: CredentialSource, scheme: string | null, token: string, fp: Fingerprinter): CredentialSeen {
  return { source, scheme, fingerprint: fp(token), hint: tokenHint(token) };
}

function valuesOf(value: string | string[] | undefined): readonly string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}
