/**
 * `Date.prototype.toISOString`, cheaper: every audit event carries one, and the full conversion (a
 * calendar computation each call) is a measurable share of the per-request audit cost. The calendar part
 * (`YYYY-MM-DDT`) is computed once per UTC day; the time of day is plain arithmetic on the milliseconds.
 * Anything outside the cached day (another day, an invalid date) goes through toISOString itself, so the
 * result is always exactly what toISOString returns (including its RangeError for an invalid date).
 */
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;
const SECOND_MS = 1000;

const TWO_DIGITS = Array.from({ length: 60 }, (_, n) => String(n).padStart(2, '0'));
const THREE_DIGITS = Array.from({ length: 1000 }, (_, n) => String(n).padStart(3, '0'));

/** The UTC day last formatted: its first millisecond and its `YYYY-MM-DDT` (NaN: none yet). */
let dayStart = Number.NaN;
let dayPrefix = '';

export function isoTime(date: Date): string {
  const ms = date.getTime();
  const offset = ms - dayStart;
  // Negated so that NaN (no day cached yet, an invalid date) takes the slow path too.
  if (!(offset >= 0 && offset < DAY_MS)) return startDay(date, ms);
  const hours = Math.floor(offset / HOUR_MS);
  const minutes = Math.floor(offset / MINUTE_MS) % 60;
  const seconds = Math.floor(offset / SECOND_MS) % 60;
  return `${dayPrefix}${TWO_DIGITS[hours]!}:${TWO_DIGITS[minutes]!}:${TWO_DIGITS[seconds]!}.${THREE_DIGITS[offset % SECOND_MS]!}Z`;
}

function startDay(date: Date, ms: number): string {
  const full = date.toISOString(); // throws RangeError for an invalid date, as before
  dayStart = Math.floor(ms / DAY_MS) * DAY_MS;
  dayPrefix = full.slice(0, full.indexOf('T') + 1);
  return full;
}
