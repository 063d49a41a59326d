/**
 * The claims of a JWT a tool sends, for the audit event: decoded (base64url JSON), never verified — the
 * proxy holds no keys and the claims are evidence, not proof. The signature is never kept. Claims are
 * attacker-chosen text bound for a log line, so each string is cut short and stripped of control, format
 * and line-separator characters, and only the named claims, of the expected types, come out.
 */

export interface JwtClaims {
  readonly iss?: string;
  readonly sub?: string;
  readonly aud?: string | readonly string[];
  readonly exp?: number;
  readonly iat?: number;
  readonly azp?: string;
  readonly client_id?: string;
  readonly scope?: string;
  /** Present with `exp`: true when `exp` is at or before the request's time. */
  readonly expired?: boolean;
}

export interface DecodedJwt {
  readonly claims: JwtClaims;
  /** Raw payload facts used for attribution only (never audited as such). */
  readonly facts: JwtFacts;
}

/** Unsanitized claim values for comparisons (sub = azp) and shapes; bounded by MAX_TOKEN_CHARS. */
export interface JwtFacts {
  readonly sub: string | null;
  readonly azp: string | null;
  readonly clientId: string | null;
  readonly grantType: string | null;
  readonly idType: string | null;
  readonly authTime: boolean;
}

const MAX_TOKEN_CHARS = 8192;
const MAX_CLAIM_CHARS = 200;
const MAX_SCOPE_CHARS = 500;
const MAX_AUDIENCES = 8;
const UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;

/** The claims of a JWS compact token (`header.payload.signature`), or null when the value is not one. */
export function decodeJwt(token: string, now: Date): DecodedJwt | null {
  if (token.length > MAX_TOKEN_CHARS) return null;
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  const header = jsonObject(parts[0]!);
  if (header === null || typeof header['alg'] !== 'string') return null;
  const payload = jsonObject(parts[1]!);
  if (payload === null) return null;
  return { claims: claimsOf(payload, now), facts: factsOf(payload) };
}

function claimsOf(payload: Record<string, unknown>, now: Date): JwtClaims {
  const claims: Record<string, unknown> = {};
  for (const name of ['iss', 'sub'] as const) setIf(claims, name, text(payload[name], MAX_CLAIM_CHARS));
  setIf(claims, 'aud', audience(payload['aud']));
  setIf(claims, 'exp', numericDate(payload['exp']));
  setIf(claims, 'iat', numericDate(payload['iat']));
  for (const name of ['azp', 'client_id'] as const) setIf(claims, name, text(payload[name], MAX_CLAIM_CHARS));
  setIf(claims, 'scope', scope(payload['scope'] ?? payload['scp']));
  const exp = claims['exp'];
  if (typeof exp === 'number') claims['expired'] = exp * 1000 <= now.getTime();
  return claims as JwtClaims;
}

function factsOf(payload: Record<string, unknown>): JwtFacts {
  const raw = (name: string): string | null => (typeof payload[name] === 'string' ? (payload[name] as string) : null);
  return {
    sub: raw('sub'),
    azp: raw('azp'),
    clientId: raw('client_id'),
    grantType: raw('gty'),
    idType: raw('idtyp'),
    authTime: numericDate(payload['auth_time']) !== undefined,
  };
}

/** A claim string safe for a log line: unsafe characters become `?`, at most `max` code points (then `…`). */
export function safeClaimText(value: string, max: number): string {
  const points = Array.from(value.slice(0, max * 2 + 2));
  const cut = points.length > max || value.length > max * 2 + 2;
  return points.slice(0, max).join('').replace(UNSAFE, '?') + (cut ? '…' : '');
}

function text(value: unknown, max: number): string | undefined {
  return typeof value === 'string' ? safeClaimText(value, max) : undefined;
}

function audience(value: unknown): string | readonly string[] | undefined {
  if (typeof value === 'string') return safeClaimText(value, MAX_CLAIM_CHARS);
  if (!Array.isArray(value)) return undefined;
  const names = value.filter((entry): entry is string => typeof entry === 'string');
  const kept = names.slice(0, MAX_AUDIENCES).map((entry) => safeClaimText(entry, MAX_CLAIM_CHARS));
  if (names.length > MAX_AUDIENCES) kept.push('…');
  return kept;
}

/** `scope` is a space-separated string (RFC 8693); some issuers send an array or `scp`. */
function scope(value: unknown): string | undefined {
  if (typeof value === 'string') return safeClaimText(value, MAX_SCOPE_CHARS);
  if (!Array.isArray(value)) return undefined;
  const joined = value.filter((entry): entry is string => typeof entry === 'string').join(' ');
  return safeClaimText(joined.slice(0, MAX_SCOPE_CHARS * 2 + 4), MAX_SCOPE_CHARS);
}

/** Seconds since the epoch, a finite number within ±1e11 (year ~5000): anything else is dropped. */
function numericDate(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && Math.abs(value) < 1e11 ? value : undefined;
}

function setIf(target: Record<string, unknown>, name: string, value: unknown): void {
  if (value !== undefined) target[name] = value;
}

function jsonObject(segment: string): Record<string, unknown> | null {
  if (segment.length === 0 || !isBase64Url(segment)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
}

function isBase64Url(segment: string): boolean {
  for (let i = 0; i < segment.length; i++) {
    const c = segment.charCodeAt(i);
    const ok = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45 || c === 95;
    if (!ok) return false;
  }
  return true;
}
