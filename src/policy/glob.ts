/**
 * Path globs, matched segment by segment against a normalized path (never compiled to a RegExp, so a
 * glob from the config cannot cost more than O(glob segments x path segments) per request).
 *
 *  - `**` as a whole segment matches any number of segments, zero included: `/repos/**` matches
 *    `/repos`, `/repos/` and `/repos/a/b`.
 *  - `*` as a whole segment matches exactly one non-empty segment; inside a segment (`v*`, `*.json`) it
 *    matches any run of characters within that segment, the empty run included.
 *  - Everything else is literal and compared after the same one-time decode as the request path, so
 *    `/my%20repo` and `/my repo`-as-encoded-by-a-client are one segment.
 */
import { decodeSegment, isDotSegmentWithParameters } from './segment.js';

export type SegmentPattern =
  | { readonly kind: 'any_depth' }
  | { readonly kind: 'literal'; readonly text: string }
  /** `text` split on `*`: at least two pieces, each decoded. */
  | { readonly kind: 'wildcard'; readonly pieces: readonly string[] };

export interface PathGlob {
  readonly source: string;
  readonly segments: readonly SegmentPattern[];
}

export type ParsedGlob = { readonly ok: true; readonly glob: PathGlob } | { readonly ok: false; readonly problem: string };

/** Why `glob` cannot be an allow-rule path glob, or null when it can. Used by the config schema. */
export function pathGlobProblem(glob: string): string | null {
  const parsed = parsePathGlob(glob);
  return parsed.ok ? null : parsed.problem;
}

export function parsePathGlob(source: string): ParsedGlob {
  if (!source.startsWith('/')) return { ok: false, problem: 'path glob must start with /' };
  if (source.includes('?')) return { ok: false, problem: 'path glob must not contain ? (globs match the path without query)' };
  const rawSegments = source.slice(1).split('/');
  const segments: SegmentPattern[] = [];
  for (const [index, raw] of rawSegments.entries()) {
    if (raw === '' && index !== rawSegments.length - 1) {
      return { ok: false, problem: `empty segment at position ${index} (//) can never match a normalized path` };
    }
    const parsed = parseSegmentPattern(raw);
    if (typeof parsed === 'string') return { ok: false, problem: `segment ${index}: ${parsed}` };
    segments.push(parsed);
  }
  return { ok: true, glob: { source, segments } };
}

function parseSegmentPattern(raw: string): SegmentPattern | string {
  if (raw === '**') return { kind: 'any_depth' };
  if (raw.includes('**')) return '** must be a whole segment';
  if (!raw.includes('*')) return parseLiteral(raw);
  const pieces: string[] = [];
  for (const piece of raw.split('*')) {
    const decoded = decodeSegment(piece);
    if (!decoded.ok) return decoded.problem;
    pieces.push(decoded.text);
  }
  return { kind: 'wildcard', pieces };
}

function parseLiteral(raw: string): SegmentPattern | string {
  const decoded = decodeSegment(raw);
  if (!decoded.ok) return decoded.problem;
  const text = decoded.text;
  if (text === '.' || text === '..' || isDotSegmentWithParameters(text)) {
    return 'dot segment can never match a normalized path';
  }
  return { kind: 'literal', text };
}

/** Whether the decoded segments of a normalized path (NormalizedPath.segments) match the glob. */
export function matchesPathGlob(glob: PathGlob, pathSegments: readonly string[]): boolean {
  // reachable[j]: the glob segments seen so far can consume exactly the first j path segments.
  const width = pathSegments.length + 1;
  let reachable = new Uint8Array(width);
  let next = new Uint8Array(width);
  reachable[0] = 1;
  for (const pattern of glob.segments) {
    next.fill(0);
    let any = 0;
    if (pattern.kind === 'any_depth') {
      for (let j = 0; j < width; j++) {
        any |= reachable[j]!;
        next[j] = any;
      }
    } else {
      for (let j = 0; j < pathSegments.length; j++) {
        if (reachable[j] === 1 && matchesSegment(pattern, pathSegments[j]!)) next[j + 1] = any = 1;
      }
    }
    if (any === 0) return false; // nothing reachable: no later glob segment can revive a match
    [reachable, next] = [next, reachable];
  }
  return reachable[pathSegments.length] === 1;
}

function matchesSegment(pattern: Exclude<SegmentPattern, { kind: 'any_depth' }>, segment: string): boolean {
  if (pattern.kind === 'literal') return pattern.text === segment;
  const onlyStar = pattern.pieces.every((piece) => piece === '');
  if (onlyStar && pattern.pieces.length === 2) return segment !== '';
  return matchesWildcard(pattern.pieces, segment);
}

// Classic glob matching with `*` only: anchor the first and last pieces, then take each middle piece at
// its leftmost position. Leftmost is always safe because `*` can absorb whatever lies between pieces.
function matchesWildcard(pieces: readonly string[], text: string): boolean {
  const first = pieces[0] ?? '';
  const last = pieces[pieces.length - 1] ?? '';
  if (text.length < first.length + last.length) return false;
  if (!text.startsWith(first) || !text.endsWith(last)) return false;
  const end = text.length - last.length;
  let position = first.length;
  for (const piece of pieces.slice(1, -1)) {
    const found = text.indexOf(piece, position);
    if (found === -1 || found + piece.length > end) return false;
    position = found + piece.length;
  }
  return true;
}
