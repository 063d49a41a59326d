/** Small statistics helpers for latency samples and per-round medians. */

export interface LatencySummary {
  readonly p50: number | null;
  readonly p99: number | null;
  readonly max: number | null;
}

/** Nearest-rank percentile of an ascending array (no interpolation: every reported value was observed). */
export function percentile(sorted: ArrayLike<number>, p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? null;
}

export function summarizeLatency(samplesMs: readonly number[]): LatencySummary {
  const sorted = Float64Array.from(samplesMs).sort();
  return {
    p50: roundTo(percentile(sorted, 50), 3),
    p99: roundTo(percentile(sorted, 99), 3),
    max: roundTo(sorted.length > 0 ? (sorted[sorted.length - 1] ?? null) : null, 3),
  };
}

/** Median of the values that exist; null when none does (a metric no round produced). */
export function median(values: readonly (number | null)[]): number | null {
  const present = values.filter((value): value is number => value !== null && Number.isFinite(value)).sort((a, b) => a - b);
  if (present.length === 0) return null;
  const middle = Math.floor(present.length / 2);
  const upper = present[middle] ?? null;
  if (present.length % 2 === 1 || upper === null) return upper;
  return ((present[middle - 1] ?? upper) + upper) / 2;
}

export function roundTo(value: number | null, digits: number): number | null {
  if (value === null || !Number.isFinite(value)) return null;
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
