/**
 * Finds the credential a tool sends upstream, so the audit event can say which token was used (as a
 * fingerprint and hint). The value is hashed here and never returned.
 */
import { parseBasic } from '../identity/proxy-credentials.js';
import { tokenHint, type Fingerprinter } from './fingerprint.js';

export type CredentialSource = 'authorization' | 'x-api-key' | 'api-key' | 'private-token' | 'x-auth-token';

export interface CredentialSeen {
  readonly source: CredentialSource;
  /** The Authorization scheme in lower case (`bearer`, `token`, `basic`), or null for API-key headers. */
  readonly scheme: string | null;
  readonly fingerprint: string;
  readonly hint: string | null;
}

const API_KEY_HEADERS: readonly CredentialSource[] = ['x-api-key', 'api-key', 'private-token', 'x-auth-token'];

export type HeaderBag = Readonly<Record<string, string | string[] | undefined>>;

export function credentialsInHeaders(headers: HeaderBag, fingerprint: Fingerprinter): CredentialSeen[] {
  const seen: CredentialSeen[] = [];
  const authorization = firstValue(headers['authorization']);
  if (authorization) {
    const found = authorizationToken(authorization);
    if (found) seen.push(describe('authorization', found.scheme, found.token, fingerprint));
  }
  for (const name of API_KEY_HEADERS) {
    const value = firstValue(headers[name])?.trim();
    if (value) seen.push(describe(name, null, value, fingerprint));
  }
  return seen;
}

function authorizationToken(value: string): { scheme: string; token: string } | null {
  const trimmed = value.trim();
  const space = trimmed.indexOf(' ');
  if (space < 0) return { scheme: 'none', token: trimmed };
  const scheme = trimmed.slice(0, space).toLowerCase();
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

function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
