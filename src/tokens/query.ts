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
