/**
 * Allow-rule host patterns: an exact host (DNS name, IPv4 or IPv6 literal) or `*.suffix`, which matches
 * every name below the suffix at any depth but never the bare suffix (a rule for `*.example.test` must
 * not silently open `example.test`, often a different service). Both sides are compared in
 * normalizeHost() form, so case, trailing dots and IDN spellings cannot slip past a rule.
 */
import { normalizeHost } from './host.js';

export type HostPattern =
  | { readonly kind: 'exact'; readonly host: string }
  | { readonly kind: 'subdomains'; readonly suffix: string };

export type ParsedHostPattern = { readonly ok: true; readonly pattern: HostPattern } | { readonly ok: false; readonly problem: string };

const WILDCARD_PREFIX = '*.';

/** Why `pattern` cannot be an allow-rule host, or null when it can. Used by the config schema. */
export function hostPatternProblem(pattern: string): string | null {
  const parsed = parseHostPattern(pattern);
  return parsed.ok ? null : parsed.problem;
}

export function parseHostPattern(source: string): ParsedHostPattern {
  if (!source.startsWith(WILDCARD_PREFIX)) {
    if (source.includes('*')) return { ok: false, problem: 'a wildcard is only allowed as a leading "*." label' };
    const exact = normalizeHost(source);
    return exact.ok ? { ok: true, pattern: { kind: 'exact', host: exact.host } } : exact;
  }
  const rawSuffix = source.slice(WILDCARD_PREFIX.length);
  if (rawSuffix.includes('*')) return { ok: false, problem: 'a wildcard is only allowed as a leading "*." label' };
  const suffix = normalizeHost(rawSuffix);
  if (!suffix.ok) return { ok: false, problem: `after "*.": ${suffix.problem}` };
  if (suffix.isIp !== 0) return { ok: false, problem: 'a wildcard cannot precede an IP address' };
  return { ok: true, pattern: { kind: 'subdomains', suffix: suffix.host } };
}

/** The pattern as it reads after normalization, e.g. `*.xn--bcher-kva.example`. */
export function describeHostPattern(pattern: HostPattern): string {
  if (pattern.kind === 'subdomains') return `${WILDCARD_PREFIX}${pattern.suffix}`;
  return pattern.host.includes(':') ? `[${pattern.host}]` : pattern.host;
}

/**
 * Null when the normalized `host` matches, else why not. `isIp` is normalizeHost()'s verdict: an IP
 * literal is never a subdomain of anything.
 */
export function hostMismatch(pattern: HostPattern, host: string, isIp: 4 | 6 | 0): string | null {
  if (hostMatches(pattern, host, isIp)) return null;
  return pattern.kind === 'exact' ? `host ${host} is not ${describeHostPattern(pattern)}` : `host ${host} is not below ${pattern.suffix}`;
}

/** Whether the normalized `host` matches: hostMismatch() without the text, for per-request decisions. */
export function hostMatches(pattern: HostPattern, host: string, isIp: 4 | 6 | 0): boolean {
  if (pattern.kind === 'exact') return pattern.host === host;
  return isIp === 0 && isBelowSuffix(host, pattern.suffix);
}

/** `a.example.test` is below `example.test`; `example.test` itself is not. */
export function isBelowSuffix(host: string, suffix: string): boolean {
  return host.length > suffix.length + 1 && host.endsWith(`.${suffix}`);
}
