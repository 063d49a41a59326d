/**
 * isoTime is Date.prototype.toISOString: within a cached day, across day boundaries either way, for years
 * toISOString writes with a sign, and for an invalid date (the same RangeError).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoTime } from '../../../src/audit/iso-time.js';

const DAY = 86_400_000;
const MAX_TIME = 8.64e15;

describe('isoTime', () => {
  it.each([
    ['the epoch', 0],
    ['the last millisecond of a day, then the first of the next', Date.UTC(2025, 2, 4) - 1],
    ['a leap day', Date.UTC(2024, 1, 29, 23, 59, 59, 999)],
    ['before 1970', Date.UTC(1969, 11, 31, 12, 0, 0, 5)],
    ['a year with a sign (beyond 9999)', Date.UTC(10000, 0, 1, 0, 0, 0, 1)],
    ['a negative year', -MAX_TIME + DAY / 2],
    ['the largest time', MAX_TIME],
  ])('%s: toISOString exactly, and for the millisecond after and a day before', (_name, ms) => {
    for (const at of [ms, ms + 1, ms - DAY, ms]) {
      if (Math.abs(at) > MAX_TIME) continue;
      expect(isoTime(new Date(at))).toBe(new Date(at).toISOString());
    }
  });

  it('any time, in any order (the cached day moves back and forth): toISOString exactly', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -MAX_TIME, max: MAX_TIME }), { minLength: 1, maxLength: 20 }), fc.integer({ min: 0, max: 3 * DAY }), (times, spread) => {
        for (const time of times) {
          for (const at of [time, Math.min(MAX_TIME, time + spread)]) expect(isoTime(new Date(at))).toBe(new Date(at).toISOString());
        }
      }),
      { numRuns: 500 },
    );
  });

  it('an invalid date throws the RangeError toISOString throws', () => {
    isoTime(new Date(0)); // a day cached: NaN must not pass for a time inside it
    expect(() => isoTime(new Date(Number.NaN))).toThrow(RangeError);
  });
});
