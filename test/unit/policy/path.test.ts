import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parse, resolve } from 'node:url';
import { z } from 'zod';
import { compilePolicy } from '../../../src/policy/compile.js';
import { decide } from '../../../src/policy/decide.js';
import { normalizePath } from '../../../src/policy/path.js';
import { readFixture, toolConfigs } from './fixtures.js';

const table = readFixture(
  'normalize-path.yaml',
  z.strictObject({
    ok: z.array(z.strictObject({ target: z.string(), path: z.string(), query: z.string().optional() })),
    refused: z.array(z.strictObject({ target: z.string(), problem: z.string() })),
  }),
);

describe('normalizePath', () => {
  it.each(table.ok)('normalizes $target to $path', ({ target, path, query }) => {
    expect(normalizePath(target)).toMatchObject({ ok: true, path, query: query ?? null });
  });

  it.each(table.refused)('refuses $target ($problem)', ({ target, problem }) => {
    const result = normalizePath(target);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problem).toContain(problem);
  });

  it('never quotes the target in a problem (paths can carry tokens)', () => {
    const result = normalizePath('/bot123456:AAtokenSecret/%2e%2e/%2e%2e/%2e%2e');
    expect(result).toEqual({ ok: false, problem: 'segment 2: climbs above the root' });
  });
});

// Pieces chosen to collide: dots, encoded dots and slashes, double encodings, overlong UTF-8, parameters,
// backslashes, fullwidth forms, and the /repos prefix the rule guards.
const PIECES = [
  'repos', 'admin', 'a', 'A', '.', '..', '.', '..', '%2e', '%2E', '%2f', '%2F', '%5c', '\\', '%25', '%252e', '%00',
  '%0a', ';', '%3b', '%c0%ae', '%e0%80%ae', '%ef%bc%8e', '%ef%bc%8f', '%c3%a9', '%', '%zz', '?', '#', '*', '%61',
  '~', ' ', 'é', '%7b', '{', '@', ':', '',
];
const segment = fc.array(fc.constantFrom(...PIECES), { minLength: 1, maxLength: 3 }).map((pieces) => pieces.join(''));
const segmentPath = (prefix: string) =>
  fc.array(segment, { maxLength: 8 }).map((segments) => `${prefix}${segments.join('/')}`);
const hostileTarget = fc.oneof(
  segmentPath('/'),
  segmentPath('/repos/'),
  segmentPath('/repos/a/'),
  fc.array(fc.constantFrom('/', ...PIECES), { maxLength: 14 }).map((pieces) => pieces.join('')),
  fc.webPath(),
  fc.string(),
);

const reposPolicy = compilePolicy(
  toolConfigs({ mode: 'enforce', tools: { reader: { allow: [{ host: 'api.example.test', paths: ['/repos/**'] }] } } }),
  'enforce',
);

const BACKEND = 'http://backend.test/';
const LEFTOVER_DOT_SEGMENT = /\/(?:\.|%2e){1,2}(?:\/|$)/i;

/**
 * The pathname a WHATWG parser gives the target. Node 20's parser (ada) leaves literal dot segments in
 * place after a segment that starts with a dot (`/a/.b/../c` -> `/a/.b/../c`); per the spec a parsed
 * pathname holds none, so any that remain are resolved with Node's legacy RFC 3986 resolver.
 */
function whatwgPathname(target: string): string {
  const parsed = new URL(target, BACKEND).pathname;
  if (!LEFTOVER_DOT_SEGMENT.test(parsed)) return parsed;
  return parse(resolve(BACKEND, parsed.replace(/%2e/gi, '.'))).pathname ?? '/';
}

function isUnderRepos(path: string): boolean {
  return path === '/repos' || path.startsWith('/repos/');
}

describe('normalizePath properties', () => {
  it('is a fixed point: normalizing a normalized path gives it back', () => {
    fc.assert(
      fc.property(hostileTarget, (target) => {
        const first = normalizePath(target);
        if (!first.ok) return;
        expect(normalizePath(first.path)).toEqual({ ...first, query: null });
      }),
      { numRuns: 5000 },
    );
  });

  it('lets /repos/** allow only paths that really are /repos or below it', () => {
    fc.assert(
      fc.property(hostileTarget, (target) => {
        const decision = decide(reposPolicy, {
          tool: 'reader',
          scheme: 'https',
          host: 'api.example.test',
          port: 443,
          method: 'GET',
          path: target,
        });
        if (decision.action !== 'allow') return;
        const normalized = normalizePath(target);
        expect(normalized.ok).toBe(true);
        if (normalized.ok) expect(isUnderRepos(normalized.path)).toBe(true);
        // The same judgement from an independent reader of the target, decoded once as a backend would.
        expect(isUnderRepos(decodeURIComponent(whatwgPathname(target)))).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });

  it('agrees with a WHATWG URL parser, decoded once, on every path it accepts', () => {
    // An independent reading of the same target: WHATWG resolves `.`/`%2e` dot segments too. Where we
    // accept a target, one decode of its pathname must give exactly our segments.
    fc.assert(
      fc.property(hostileTarget, (target) => {
        const ours = normalizePath(target);
        if (!ours.ok || !target.startsWith('/')) return;
        const theirs = whatwgPathname(target);
        expect(decodeURIComponent(theirs)).toBe(`/${ours.segments.join('/')}`);
      }),
      { numRuns: 5000 },
    );
  });
});
