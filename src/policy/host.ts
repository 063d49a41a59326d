/**
 * Host normalization: every host is compared in one canonical form, so `API.Example.test.`,
 * `api.example.test` and an IDN and its punycode are the same host to the policy.
 */
import { domainToASCII } from 'node:url';
import { isIP } from 'node:net';

export type NormalizedHost =
  | { readonly ok: true; readonly host: string; readonly isIp: 4 | 6 | 0 }
  | { readonly ok: false; readonly problem: string };

// A DNS name after punycode: labels of letters, digits, hyphen and underscore (underscore appears in
// real service names such as `_dmarc`), 1-63 characters each, 253 in all. Matched against short,
// non-secret input only.
const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

/** Canonical form of a host: lowercase, punycode, no trailing dot, IPv6 without brackets and compressed. */
export function normalizeHost(raw: string): NormalizedHost {
  // Every request's host passes through here (Host header, policy, SSRF guard): a name already in
  // canonical form is returned as is, without the trimming, IP-literal and IDNA machinery below.
  if (isCanonicalPlainName(raw)) return { ok: true, host: raw, isIp: 0 };
  let host = raw.trim();
  // `%` is refused outright: WHATWG host parsing percent-decodes (`ex%41mple.test` would become
  // `example.test`) and an IPv6 zone id (`fe80::1%eth0`) names an interface, not a host. Either way the
  // policy would compare a host other than the one a resolver or dialler is handed.
  if (host.includes('%')) return { ok: false, problem: 'percent sign or IPv6 zone id in host' };
  const bracketed = host.startsWith('[') && host.endsWith(']');
  if (bracketed) host = host.slice(1, -1);
  if (ipFamily(host) === 6) return { ok: true, host: canonicalIpv6(host), isIp: 6 };
  if (bracketed) return { ok: false, problem: 'brackets around something that is not an IPv6 address' };
  if (host.endsWith('.')) host = host.slice(0, -1);
  if (ipFamily(host) === 4) return { ok: true, host, isIp: 4 };
  if (host.length === 0) return { ok: false, problem: 'empty host' };
  return normalizeDnsName(host);
}

function normalizeDnsName(host: string): NormalizedHost {
  const lower = host.toLowerCase();
  // domainToASCII() parses like a URL: it cuts at `/`, `?`, `#` or `\` (`evil.test/x` -> `evil.test`) and
  // drops tabs and newlines. Only the characters a host name can hold get that far; non-ASCII goes on to
  // IDNA mapping, whose deletions (soft hyphen, zero-width joiners) every browser applies the same way.
  if (!hasOnlyHostCharacters(lower)) return { ok: false, problem: 'not a valid host name' };
  const ascii = isPlainAsciiName(lower) ? lower : domainToASCII(lower);
  if (ascii === '') return { ok: false, problem: 'not a valid host name' };
  // WHATWG host parsing turns numeric forms such as `0x7f.1`, `2130706433` or `010.0.0.1` into a
  // dotted quad. The input was not a plain dotted quad (checked before), so it is refused: it must not
  // be dialled as an address the policy never saw written that way.
  if (ipFamily(ascii) !== 0) return { ok: false, problem: 'numeric host that is not a dotted-quad IPv4' };
  if (ascii.length > 253) return { ok: false, problem: 'host name longer than 253 characters' };
  for (const label of ascii.split('.')) {
    if (!LABEL.test(label)) return { ok: false, problem: 'not a valid host name' };
  }
  return { ok: true, host: ascii, isIp: 0 };
}

/**
 * `isIP()`, without running its IPv6 RegExp (a large one) on names that cannot be an address: every IPv6
 * text form holds a `:`, and an IPv4 dotted quad is nothing but digits and dots.
 */
function ipFamily(text: string): 4 | 6 | 0 {
  if (!text.includes(':') && !isDigitsAndDots(text)) return 0;
  const family = isIP(text);
  return family === 4 || family === 6 ? family : 0;
}

function isDigitsAndDots(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== DOT && (c < DIGIT_0 || c > DIGIT_9)) return false;
  }
  return true;
}

const DOT = 0x2e;
const HYPHEN = 0x2d;
const UNDERSCORE = 0x5f;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const LOWER_A = 0x61;
const LOWER_Z = 0x7a;
const MAX_LABEL = 63;
const MAX_NAME = 253;

/**
 * Whether `raw` is already a name normalizeHost() returns unchanged as a DNS name, by exactly the rules
 * of the general path: lower-case `[a-z0-9_-]` labels of 1-63 characters that neither start nor end
 * with `-`, 253 characters at most, no trailing dot, no punycode (`xn--` is validated by IDNA), and a
 * last label starting with a letter (so it is not a numeric IPv4 form). Anything else takes the general
 * path, which gives the same answer for what passes here.
 */
function isCanonicalPlainName(raw: string): boolean {
  const length = raw.length;
  if (length === 0 || length > MAX_NAME || raw.includes('xn--')) return false;
  let labelStart = 0;
  for (let i = 0; i <= length; i++) {
    const c = i === length ? DOT : raw.charCodeAt(i);
    if (c === DOT) {
      const labelLength = i - labelStart;
      if (labelLength === 0 || labelLength > MAX_LABEL) return false;
      if (raw.charCodeAt(labelStart) === HYPHEN || raw.charCodeAt(i - 1) === HYPHEN) return false;
      if (i === length) {
        const first = raw.charCodeAt(labelStart);
        return first >= LOWER_A && first <= LOWER_Z;
      }
      labelStart = i + 1;
    } else if (!((c >= LOWER_A && c <= LOWER_Z) || (c >= DIGIT_0 && c <= DIGIT_9) || c === HYPHEN || c === UNDERSCORE)) {
      return false;
    }
  }
  return false;
}

/**
 * The common case, skipped past the IDNA machinery (it is on every request's path): ASCII letters,
 * digits, `-`, `_` and dots, no punycode label to validate, and a last label that starts with a letter
 * and so cannot be read as a number (`0x7f.1`, `2130706433`). For such a name domainToASCII is the identity.
 */
function isPlainAsciiName(lower: string): boolean {
  if (lower.includes('xn--')) return false;
  const lastLabel = lower.slice(lower.lastIndexOf('.') + 1);
  const first = lastLabel[0] ?? '';
  if (!(first >= 'a' && first <= 'z')) return false;
  for (let i = 0; i < lower.length; i++) {
    const c = lower.charCodeAt(i);
    const ok = (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 46 || c === 95;
    if (!ok) return false;
  }
  return true;
}

function hasOnlyHostCharacters(lower: string): boolean {
  for (const char of lower) {
    const isAsciiHostChar = (char >= 'a' && char <= 'z') || (char >= '0' && char <= '9') || '.-_'.includes(char);
    if (!isAsciiHostChar && char.charCodeAt(0) < 0x80) return false;
  }
  return true;
}

function canonicalIpv6(address: string): string {
  // new URL() yields the RFC 5952 text form, e.g. [0:0::1] -> [::1]. Zone ids were refused above, so
  // every address isIP() accepts here parses.
  return new URL(`http://[${address}]/`).hostname.slice(1, -1);
}

/** `host:port` key with IPv6 in brackets, as used by `upstream.resolve` and in audit events. */
export function authorityKey(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
