// The contract's retry schedule: the n-th retry waits between half and one and a
// half times base × 2^(n-1), at most one hour.
const HOUR_MS = 3_600_000;

export function retryDelayMs(retry: number, baseMs: number, random: () => number = Math.random) {
  const nominal = baseMs * 2 ** Math.max(0, retry - 1);
  return Math.min(HOUR_MS, Math.round(nominal * (0.5 + random())));
}
