// Percentiles and small number helpers shared by the scenarios and the report.

export type Summary = { count: number; p50: number; p95: number; p99: number; max: number };

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))] as number;
}

export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.length ? (sorted[sorted.length - 1] as number) : Number.NaN,
  };
}

/** `points` evenly spaced quantiles (0..100 %) of the values, for CDF charts. */
export function quantiles(values: readonly number[], points = 100): [number, number][] {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return [];
  const out: [number, number][] = [];
  for (let i = 0; i <= points; i++) {
    const p = (i / points) * 100;
    out.push([p, percentile(sorted, Math.max(p, 0.0001))]);
  }
  return out;
}

export const round = (n: number, digits = 1) =>
  Number.isFinite(n) ? Math.round(n * 10 ** digits) / 10 ** digits : n;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
