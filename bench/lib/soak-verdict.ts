/**
 * Whether memory stayed flat: one reading per period; the first periods are warm-up
 * (warmupPeriods); the median of the few periods right after it is compared with the median of
 * the last few, so that one odd period decides nothing.
 *
 * For a replica the reading is its peak RSS in the period: every period does the same work, so
 * the peak is comparable from one to the next and a leak lifts it. The lowest RSS is not: V8
 * gives memory back to the system only now and then, so the troughs jump by a third at random.
 */

/** Readings compared at each end: up to 3, fewer when the run after warm-up is short. */
const WINDOW = 3;

/**
 * The first third of the run, at least two periods, and at least `steadyAfter`: the periods the
 * workload needs before what it keeps stored stops growing.
 */
export function warmupPeriods(periods: number, steadyAfter: number): number {
  return Math.max(2, Math.ceil(periods / 3), steadyAfter);
}

export interface MemoryTrend {
  readonly baseline: number;
  readonly end: number;
  /** (end − baseline) / baseline. */
  readonly growth: number;
  readonly flat: boolean;
  /** 1-based periods whose readings were compared. */
  readonly baselinePeriods: readonly [number, number];
  readonly endPeriods: readonly [number, number];
}

export function memoryTrend(readings: readonly number[], maxGrowth: number, warmup: number): MemoryTrend {
  const size = Math.max(1, Math.min(WINDOW, Math.floor((readings.length - warmup) / 2)));
  const baseline = median(readings.slice(warmup, warmup + size));
  const end = median(readings.slice(-size));
  const growth = (end - baseline) / baseline;
  return {
    baseline,
    end,
    growth,
    flat: growth <= maxGrowth,
    baselinePeriods: [warmup + 1, warmup + size],
    endPeriods: [readings.length - size + 1, readings.length],
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
