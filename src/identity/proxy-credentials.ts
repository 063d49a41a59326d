/**
 * Proxy credentials: a tool authenticates with Basic credentials carried in its proxy URL
 * (`http://reader:SECRET@127.0.0.1:8080`); clients send them as `Proxy-Authorization: Basic …` on CONNECT
 * and on absolute-form requests. Pure: the caller hands in the header value and the configured tools.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export type AuthResult =
  | { readonly ok: true; readonly tool: string }
  | { readonly ok: false; readonly reason: 'proxy_auth_missing' | 'proxy_auth_invalid' };

export interface CredentialVerifier {
  verify(proxyAuthorization: string | undefined): AuthResult;
}

interface ParsedBasic {
  readonly user: string;
  readonly password: string;
}

// Parsed by hand, not with a RegExp: this string carries a secret (DEVELOPERS.md: secret-bearing input is
// never run through a backtracking engine).
export function parseBasic(header: string): ParsedBasic | null {
  const trimmed = header.trim();
  const space = trimmed.indexOf(' ');
  if (space < 0 || trimmed.slice(0, space).toLowerCase() !== 'basic') return null;
  const encoded = trimmed.slice(space + 1).trim();
  if (encoded === '' || !isBase64(encoded)) return null;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return null;
  // No percent-decoding here: clients decode the userinfo of a proxy URL before sending it (curl, undici,
  // Python, Go all do), so decoding again would turn a secret containing `%41` into a different one and
  // let two different headers name the same credential.
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * Standard base64 with padding only at the end. Node's decoder is lenient (it stops at an inner `=` and
 * ignores what follows), so without this check trailing junk would be accepted as part of a credential.
 */
function isBase64(value: string): boolean {
  let end = value.length;
  while (end > 0 && value.charCodeAt(end - 1) === 61) end--; // trailing '=' padding
  const padding = value.length - end;
  if (padding > 2 || (padding > 0 && value.length % 4 !== 0) || end % 4 === 1) return false;
  for (let i = 0; i < end; i++) {
    const c = value.charCodeAt(i);
    const alnum = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
    if (!alnum && c !== 43 && c !== 47) return false; // + /
  }
  return true;
}

/**
 * Builds a verifier over `tool name -> secret`. Secrets are compared as HMAC digests under a key made
 * for this process, so the compare is constant-time and of fixed length whatever the secret lengths,
 * and an unknown user costs the same as a wrong password (no oracle for which tool names exist).
 */
export function createCredentialVerifier(secrets: ReadonlyMap<string, string>): CredentialVerifier {
  const key = randomBytes(32);
  const digest = (value: string): Buffer => createHmac('sha256', key).update(value, 'utf8').digest();
  const expected = new Map<string, Buffer>();
  for (const [tool, secret] of secrets) expected.set(tool, digest(secret));
  const decoy = digest(randomBytes(32).toString('hex'));

  return {
    verify(header) {
      if (header === undefined || header.trim() === '') return { ok: false, reason: 'proxy_auth_missing' };
      const parsed = parseBasic(header);
      if (!parsed) return { ok: false, reason: 'proxy_auth_invalid' };
      const want = expected.get(parsed.user);
      const matches = timingSafeEqual(digest(parsed.password), want ?? decoy);
      return matches && want ? { ok: true, tool: parsed.user } : { ok: false, reason: 'proxy_auth_invalid' };
    },
  };
}
