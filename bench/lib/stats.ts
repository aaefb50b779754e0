export interface LatencySummary {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/** Nearest-rank percentiles of request latencies (ms). */
export function summariseLatencies(latenciesMs: Float64Array): LatencySummary {
  if (latenciesMs.length === 0) return { p50: 0, p99: 0, max: 0, mean: 0 };
  const sorted = Float64Array.from(latenciesMs).sort();
  const rank = (p: number): number => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
  const sum = sorted.reduce((total, value) => total + value, 0);
  return { p50: rank(50), p99: rank(99), max: sorted[sorted.length - 1], mean: sum / sorted.length };
}
