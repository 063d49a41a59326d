/**
 * Request-target path normalization: the one form allow-rule globs are matched against.
 *
 * Decided semantics, in order:
 *  1. The query (from the first `?`) is split off and returned raw; globs never see it.
 *  2. An empty path is `/`. Anything else must start with `/` (origin-form).
 *  3. Each segment is percent-decoded exactly once (segment.ts). A segment that decodes to something
 *     containing `/`, `\`, a NUL or control character, a remaining `%XX`, bytes that are not UTF-8, or a
 *     Unicode form folding to one of those, makes the path ambiguous.
 *  4. An empty segment anywhere but at the end (`//repos`, `/a//b`) is ambiguous: servers disagree on
 *     whether it collapses, and a leading `//` reads as a network-path reference to some routers.
 *  5. A dot segment with parameters (`..;x`) is ambiguous (Tomcat strips `;x` and then climbs).
 *  6. Dot segments are resolved per RFC 3986 section 5.2.4 AFTER decoding, so `%2e%2e` climbs exactly as
 *     `..` does and the policy judges the resource the backend will serve. Climbing above `/` is ambiguous
 *     rather than clamped: a request that tries it is hostile or broken.
 *  7. The result is re-encoded canonically (segment.ts): normalizing it again gives the same path.
 *
 * Paths stay case-sensitive. Proxies should forward the original target; the canonical path is only the
 * form the decision was made on (equal to it under one decode).
 */
import { decodeSegment, encodeSegment, isDotSegmentWithParameters, isLiteralPchar } from './segment.js';

export type NormalizedPath =
  | {
      readonly ok: true;
      /** Canonical path, always starting with `/`, no query. */
      readonly path: string;
      /** Raw text after the first `?`, or null when there was no `?`. */
      readonly query: string | null;
      /** The decoded segments of `path` (`/` is `['']`; a trailing slash adds a last `''`). */
      readonly segments: readonly string[];
    }
  | { readonly ok: false; readonly problem: string };

type Segments = { readonly ok: true; readonly segments: readonly string[] } | { readonly ok: false; readonly problem: string };

export function normalizePath(rawTarget: string): NormalizedPath {
  const queryStart = rawTarget.indexOf('?');
  const rawPath = queryStart === -1 ? rawTarget : rawTarget.slice(0, queryStart);
  const query = queryStart === -1 ? null : rawTarget.slice(queryStart + 1);
  if (rawPath === '') return { ok: true, path: '/', query, segments: [''] };
  if (!rawPath.startsWith('/')) return { ok: false, problem: 'not an origin-form path (must start with /)' };
  if (isCanonicalPlainPath(rawPath)) return { ok: true, path: rawPath, query, segments: rawPath.slice(1).split('/') };
  const decoded = decodeSegments(rawPath.slice(1).split('/'));
  if (!decoded.ok) return decoded;
  const resolved = removeDotSegments(decoded.segments);
  if (!resolved.ok) return resolved;
  const path = `/${resolved.segments.map(encodeSegment).join('/')}`;
  return { ok: true, path, query, segments: resolved.segments };
}

/**
 * The common case, already canonical: only characters the canonical form writes literally (so no `%` to
 * decode and nothing to re-encode), no empty segment but the last, and no segment starting with `.` (so
 * no dot segment, with or without parameters). Every step below would return such a path unchanged.
 */
function isCanonicalPlainPath(rawPath: string): boolean {
  for (let i = 1; i < rawPath.length; i++) {
    const code = rawPath.charCodeAt(i);
    const previous = rawPath.charCodeAt(i - 1);
    if (previous === SLASH && (code === SLASH || code === DOT)) return false;
    if (code !== SLASH && !isLiteralPchar(code)) return false;
  }
  return true;
}

const SLASH = 0x2f;
const DOT = 0x2e;

function decodeSegments(rawSegments: readonly string[]): Segments {
  const segments: string[] = [];
  for (let index = 0; index < rawSegments.length; index++) {
    const raw = rawSegments[index]!;
    const isLast = index === rawSegments.length - 1;
    if (raw === '' && !isLast) return { ok: false, problem: `empty segment at position ${index} (//)` };
    const decoded = decodeSegment(raw);
    if (!decoded.ok) return { ok: false, problem: `segment ${index}: ${decoded.problem}` };
    if (isDotSegmentWithParameters(decoded.text)) {
      return { ok: false, problem: `segment ${index}: dot segment with parameters` };
    }
    segments.push(decoded.text);
  }
  return { ok: true, segments };
}

/** RFC 3986 remove_dot_segments on decoded segments; a trailing `.` or `..` leaves a trailing slash. */
function removeDotSegments(segments: readonly string[]): Segments {
  const output: string[] = [];
  for (let index = 0; index < segments.length; index++) {
    const segment = segments[index]!;
    const isLast = index === segments.length - 1;
    if (segment === '.' || segment === '..') {
      if (segment === '..' && output.pop() === undefined) {
        return { ok: false, problem: `segment ${index}: climbs above the root` };
      }
      if (isLast) output.push('');
      continue;
    }
    output.push(segment);
  }
  if (output.length === 0) output.push('');
  return { ok: true, segments: output };
}
