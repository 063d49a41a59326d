/** The prefilter reports every keyword occurrence, overlapping and in any ASCII case, in one pass. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeywordAutomaton } from '../../../src/scanning/keyword-automaton.js';

function hitsOf(keywords: readonly string[], text: string | Buffer): string[] {
  const automaton = KeywordAutomaton.compile(keywords);
  const hits = automaton.findAll(Buffer.isBuffer(text) ? text : Buffer.from(text, 'latin1'));
  return hits.keywords.map((k, i) => `${keywords[k]}@${hits.starts[i]}`).sort();
}

/** Reference: every (keyword, start) pair by brute force. */
function naiveHits(keywords: readonly string[], text: string): string[] {
  const lower = text.toLowerCase();
  return keywords
    .flatMap((keyword) => {
      const found: string[] = [];
      for (let at = lower.indexOf(keyword.toLowerCase()); at >= 0; at = lower.indexOf(keyword.toLowerCase(), at + 1)) found.push(`${keyword}@${at}`);
      return found;
    })
    .sort();
}

describe('KeywordAutomaton', () => {
  it.each([
    [['sk-', 'sk-ant-'], 'key sk-ant-api03', ['sk-@4', 'sk-ant-@4']],
    [['ghp_', 'GHP_'.toLowerCase()], 'GHP_ghp_', ['ghp_@0', 'ghp_@0', 'ghp_@4', 'ghp_@4']],
    [['aaa'], 'aaaaa', ['aaa@0', 'aaa@1', 'aaa@2']],
    [['he', 'she', 'his', 'hers'], 'ushers', ['he@2', 'hers@2', 'she@1']],
    [['password'], 'PassWord=1; PASSWORD=2', ['password@0', 'password@12']],
    [['xoxb-'], 'no keyword here', []],
  ])('%j in %j', (keywords, text, expected) => {
    expect(hitsOf(keywords, text)).toEqual(expected);
  });

  it('treats bytes >= 0x80 as themselves (no case folding outside ASCII)', () => {
    expect(hitsOf(['abc'], Buffer.from([0xff, 0x61, 0x62, 0x63, 0xc1, 0x41, 0x42, 0x43]))).toEqual(['abc@1', 'abc@5']);
  });

  it('finds keywords that straddle the boundaries of the interleaved lanes of a long input', () => {
    const keywords = ['boundary', 'ry-x', 'yyy'];
    for (const length of [1024, 1027, 4099, 10_000]) {
      for (const shift of [-8, -5, -3, -1, 0, 1]) {
        const chars = Array.from({ length }, () => 'y');
        const lane = Math.floor(length / 4);
        for (const boundary of [lane, 2 * lane, 3 * lane]) chars.splice(boundary + shift, 10, ...'boundary-x');
        const text = chars.slice(0, length).join('');
        expect(hitsOf(keywords, text), `length ${length}, shift ${shift}`).toEqual(naiveHits(keywords, text));
      }
    }
  });

  it('finds keywords that straddle the lane boundaries of short inputs (lanes start at 32 bytes)', () => {
    const keywords = ['boundary', 'ry-x', 'yyy'];
    for (let length = 24; length <= 90; length++) {
      for (let at = 0; at + 10 <= length; at++) {
        const text = `${'y'.repeat(at)}boundary-x${'y'.repeat(length - at - 10)}`;
        expect(hitsOf(keywords, text), `length ${length}, at ${at}`).toEqual(naiveHits(keywords, text));
      }
    }
  });

  it('answers an input without keywords with no hits, whatever its length', () => {
    const automaton = KeywordAutomaton.compile(['ghp_', 'xoxb-']);
    for (const length of [0, 1, 31, 32, 33, 200, 5000]) {
      expect(automaton.findAll(Buffer.alloc(length, 0x61))).toEqual({ keywords: [], starts: [] });
    }
  });

  it('agrees with a brute-force search on long random texts (interleaved lanes)', () => {
    const alphabet = fc.constantFrom(...'abAB_-xX');
    fc.assert(
      fc.property(fc.array(alphabet, { minLength: 1024, maxLength: 3000 }), (chars) => {
        const keywords = ['ab_', 'b_x', 'xxx', 'aba', 'bab-'];
        expect(hitsOf(keywords, chars.join(''))).toEqual(naiveHits(keywords, chars.join('')));
      }),
      { numRuns: 50 },
    );
  });

  it('agrees with a brute-force search on random keyword sets and texts', () => {
    const alphabet = fc.constantFrom(...'abAB_-xX');
    const word = (min: number, max: number) => fc.array(alphabet, { minLength: min, maxLength: max }).map((chars) => chars.join(''));
    fc.assert(
      fc.property(fc.uniqueArray(word(3, 6), { minLength: 1, maxLength: 8, selector: (k) => k.toLowerCase() }), word(0, 120), (keywords, text) => {
        expect(hitsOf(keywords, text)).toEqual(naiveHits(keywords, text));
      }),
      { numRuns: 300 },
    );
  });
});
