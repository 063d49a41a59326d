/**
 * The header text a request scan reads: a line per header, unscanned values blanked to their length, and
 * the unscanned-name test, which must answer exactly as `set.has(name.toLowerCase())` for any name (it only
 * skips lower-casing where the first or last character rules a match out).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { headerLines, lowerCaseMember } from '../../../src/scanning/header-lines.js';

describe('headerLines', () => {
  const raw = ['Host', 'api.test', 'Authorization', 'Bearer abc', 'X-Note', 'n\u00e9', 'Dangling'];

  it.each([
    ['values', 1 as const, undefined, 'api.test\nBearer abc\nn\u00e9\n', [0, 9, 20]],
    ['values, one blanked', 1 as const, (name: string) => name === 'Authorization', 'api.test\n          \nn\u00e9\n', [0, 9, 20]],
    ['names (a name without a value too)', 0 as const, undefined, 'Host\nAuthorization\nX-Note\nDangling\n', [0, 5, 19, 26]],
  ])('%s', (_what, first, blank, text, starts) => {
    expect(headerLines(raw, first, blank)).toEqual({ text, starts });
  });

  it('writes nothing for no headers', () => {
    expect(headerLines([], 1)).toEqual({ text: '', starts: [] });
  });
});

describe('lowerCaseMember', () => {
  const CREDENTIALS = new Set(['authorization', 'cookie', 'x-api-key', 'kid']);

  it.each([
    ['Authorization', true],
    ['AUTHORIZATION', true],
    ['cookie', true],
    ['X-Api-Key', true],
    ['Accept', false],
    ['Connection', false],
    ['X-Api-Keys', false],
    ['', false],
    // KELVIN SIGN lower-cases to an ASCII `k`: wherever it stands, the name is still found.
    ['X-Api-\u212aey', true],
    ['\u212aID', true],
    ['Ki\u212a', false],
    ['KI\u0130', false],
  ])('%j: %s', (name, expected) => {
    expect(lowerCaseMember(CREDENTIALS)(name)).toBe(expected);
    expect(lowerCaseMember(CREDENTIALS)(name)).toBe(CREDENTIALS.has(name.toLowerCase()));
  });

  it('agrees with set.has(name.toLowerCase()) on any names and sets, non-ASCII included', () => {
    const char = fc.constantFrom(...'aAzZkK-_0@[`{', '\u0130', '\u0131', '\u00df', '\u03a3', '\u03c2', '\u212a', '\u00e9', '\u00c9', '\u01c5');
    const word = fc.array(char, { maxLength: 5 }).map((chars) => chars.join(''));
    fc.assert(
      fc.property(fc.array(word, { maxLength: 6 }), fc.array(word, { maxLength: 10 }), fc.boolean(), (entries, names, lower) => {
        const set = new Set(lower ? entries.map((entry) => entry.toLowerCase()) : entries);
        const member = lowerCaseMember(set);
        for (const name of [...names, ...entries.map((entry) => entry.toUpperCase())]) expect(member(name)).toBe(set.has(name.toLowerCase()));
      }),
      { numRuns: 500 },
    );
  });
});
