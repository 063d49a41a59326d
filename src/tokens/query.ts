/**
 * Query strings in audit events: parameters whose names say they carry a secret keep their name and
 * lose their value. Name-based only; content scanning of values is the scanning engine's job.
 */
const SECRET_NAMES = new Set([
  'access_token', 'refresh_token', 'id_token', 'token', 'api_key', 'apikey', 'api-key', 'key', 'secret',
  'client_secret', 'password', 'passwd', 'pwd', 'auth', 'authorization', 'code', 'sig', 'signature',
  'x-amz-signature', 'x-amz-credential', 'x-amz-security-token', 'session', 'sessionid', 'private_token',
  'access_key', 'accesskey', 'subscription-key', 'subscription_key', 'client_assertion', 'jwt', 'sas', 'sv_sig',
]);
const SECRET_NAME_PARTS = ['token', 'secret', 'password', 'passwd', 'apikey', 'api_key', 'signature', 'credential'];

export const REDACTED_VALUE = '[REDACTED]';

// Parameters whose value is how the caller authenticates (RFC 6750 §2.3 `access_token`, Google's `key`,
// Azure's `subscription-key`, …): token intelligence records these as credentials. Exact names only: a
// `next_page_token` is a secret-ish name for the redaction above but is not the tool's credential.
const CREDENTIAL_PARAM_NAMES = new Set([
  'access_token', 'token', 'auth_token', 'id_token', 'jwt', 'api_key', 'apikey', 'api-key', 'key',
  'private_token', 'private-token', 'subscription-key', 'subscription_key', 'client_secret', 'access_key',
  'accesskey', 'x-amz-security-token', 'password', 'secret',
]);
const MAX_QUERY_CREDENTIALS = 32;

export function isCredentialParamName(name: string): boolean {
  return CREDENTIAL_PARAM_NAMES.has(name.toLowerCase());
}

/**
 * Non-empty values of credential-named parameters, percent-decoded, in order (the first 32: a query is
 * bounded by the request line anyway). The name is returned lower-cased.
 */
export function credentialParams(query: string): { name: string; value: string }[] {
  const found: { name: string; value: string }[] = [];
  if (query === '') return found;
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=');
    if (eq < 0) continue;
    const name = decodeLoosely(pair.slice(0, eq)).toLowerCase();
    const value = decodeLoosely(pair.slice(eq + 1)).trim();
    if (value !== '' && isCredentialParamName(name)) found.push({ name, value });
    if (found.length >= MAX_QUERY_CREDENTIALS) break;
  }
  return found;
}

export function isSecretParamName(name: string): boolean {
  const lower = name.toLowerCase();
  return SECRET_NAMES.has(lower) || SECRET_NAME_PARTS.some((part) => lower.includes(part));
}

/** Returns the query (without `?`) with secret-named values replaced; parameter order is kept. */
export function redactQuery(query: string): string {
  if (query === '') return '';
  return query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const rawName = eq < 0 ? pair : pair.slice(0, eq);
      if (eq < 0 || !isSecretParamName(decodeLoosely(rawName))) return pair;
      return `${rawName}=${REDACTED_VALUE}`;
    })
    .join('&');
}

function decodeLoosely(value: string): string {
  try {
    return decodeURIComponent(value.replaceAll('+', ' '));
  } catch {
    return value;
  }
}
