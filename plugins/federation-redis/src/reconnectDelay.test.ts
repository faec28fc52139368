import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { reconnectDelay } from './reconnectDelay.js';

describe('reconnectDelay', () => {
  it('doubles from the minimum up to the maximum, jittering within the upper half of the step', () => {
    expect(reconnectDelay(0, 100, 5_000, () => 0)).toBe(50);
    expect(reconnectDelay(0, 100, 5_000, () => 0.999_999)).toBe(100);
    expect(reconnectDelay(3, 100, 5_000, () => 0.999_999)).toBe(800);
    expect(reconnectDelay(20, 100, 5_000, () => 0.999_999)).toBe(5_000);
    expect(reconnectDelay(1e9, 100, 5_000, () => 0)).toBe(2_500);
  });

  it('always lies in [step / 2, step] with step = min(max, min * 2^retries)', () => {
    fc.assert(fc.property(fc.nat(100), fc.integer({ min: 1, max: 1_000 }), fc.integer({ min: 1_000, max: 60_000 }), fc.double({ min: 0, max: 0.999_999, noNaN: true }),
      (retries, min, max, r) => {
        const step = Math.min(max, min * 2 ** Math.min(retries, 30));
        const d = reconnectDelay(retries, min, max, () => r);
        expect(d).toBeGreaterThanOrEqual(Math.floor(step / 2));
        expect(d).toBeLessThanOrEqual(Math.ceil(step));
      }));
  });
});
