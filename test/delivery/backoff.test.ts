// The contract's retry schedule, at its bounds.
import { describe, expect, it } from 'vitest';
import { retryDelayMs } from '../../src/delivery/backoff.js';

describe('retry backoff', () => {
  it('waits half to one and a half times base × 2^(n-1), capped at an hour', () => {
    expect(retryDelayMs(1, 10_000, () => 0)).toBe(5_000);
    expect(retryDelayMs(1, 10_000, () => 1)).toBe(15_000);
    expect(retryDelayMs(3, 10_000, () => 0)).toBe(20_000);
    expect(retryDelayMs(3, 10_000, () => 0.5)).toBe(40_000);
    expect(retryDelayMs(20, 10_000, () => 0.5)).toBe(3_600_000);
  });
});
