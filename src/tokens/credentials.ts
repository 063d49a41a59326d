/**
 * Where a tool puts the credential it sends upstream: the Authorization header (the password part of
 * Basic, the access key ID of AWS SigV4), the API-key headers, and credential-named query parameters.
 * The values returned here are secrets: credential-detect.ts hashes them and drops them at once.
 */
import { parseBasic } from '../identity/proxy-credentials.js';
import { credentialParams } from './query.js';

/** Headers that carry an API key or token of their own (lower case). */
export const API_KEY_HEADERS = [
  'x-api-key', 'api-key', 'apikey', 'x-apikey', 'private-token', 'job-token', 'x-auth-token', 'x-access-token',
  'x-goog-api-key', 'ocp-apim-subscription-key', 'x-functions-key', 'x-vault-token', 'x-rapidapi-key',
  'dd-api-key', 'dd-application-key', 'x-shopify-access-token', 'x-figma-token', 'x-honeycomb-team',
  'x-amz-security-token',
] as const;

export type ApiKeyHeader = (typeof API_KEY_HEADERS)[number];

/** Every header whose whole value is the tool's own credential. */
export const CREDENTIAL_HEADERS: ReadonlySet<string> = new Set<string>(['authorization', ...API_KEY_HEADERS]);

/** `header`: a token the patterns engine recognised in any other header value; `query`: a credential-named parameter. */
export type CredentialSource = 'authorization' | ApiKeyHeader | 'query' | 'header';

/** A credential as found: `value` is the secret itself and never leaves the tokens module. */
export interface CredentialValue {
  readonly source: CredentialSource;
  /**
   * The Authorization scheme in lower case (`bearer`, `token`, `basic`, …) when it is a known scheme,
   * `none` when the value has no scheme, `other` for any other first word; null for other sources.
   */
  readonly scheme: string | null;
  readonly value: string;
  /** For query parameters: the (decoded) parameter name, which says whether it is a bearer token or a key. */
  readonly param?: string;
}

export type HeaderBag = Readonly<Record<string, string | string[] | undefined>>;

/**
 * Every credential in the Authorization and API-key headers, in that order. An array-valued header yields
 * one entry per value: each of them reaches the upstream, so each is recorded.
 */
export function credentialValuesInHeaders(headers: HeaderBag): CredentialValue[] {
  const seen: CredentialValue[] = [];
  for (const authorization of valuesOf(headers['authorization'])) {
    const found = authorizationToken(authorization);
    if (found) seen.push({ source: 'authorization', scheme: found.scheme, value: found.token });
  }
  for (const name of API_KEY_HEADERS) {
    for (const raw of valuesOf(headers[name])) {
      const value = raw.trim();
      if (value) seen.push({ source: name, scheme: null, value });
    }
  }
  return seen;
}

/** Every non-empty value of a credential-named query parameter (`access_token`, `api_key`, `key`, …). */
export function credentialValuesInQuery(query: string): CredentialValue[] {
  return credentialParams(query).map(({ name, value }) => ({ source: 'query', scheme: null, value, param: name }));
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
  // SigV4 carries a per-request signature: the access key ID in `Credential=` is what names the key.
  if (scheme === 'aws4-hmac-sha256') return { scheme, token: sigV4AccessKeyId(rest) ?? rest };
  return { scheme, token: rest };
}

/** `Credential=AKIA…/20240101/us-east-1/s3/aws4_request, SignedHeaders=…` → `AKIA…`. */
function sigV4AccessKeyId(params: string): string | null {
  for (const part of params.split(',')) {
    const [name, credential] = part.trim().split('=', 2);
    if (name === 'Credential' && credential) return credential.split('/', 1)[0] || null;
  }
  return null;
}

function valuesOf(value: string | string[] | undefined): readonly string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}
