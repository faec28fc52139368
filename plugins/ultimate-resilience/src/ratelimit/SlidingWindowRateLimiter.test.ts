import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { getSdkCompatibility } from '@datawarehouse/sdk';
import { fieldOf } from '@datawarehouse/sdk/testing';
import { SlidingWindowRateLimiter } from './SlidingWindowRateLimiter.js';

/** Most admissions inside any closed interval [t, t + windowMs] (two pointers over sorted times). */
function maxInAnyWindow(times: readonly number[], windowMs: number): number {
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < times.length; hi++) {
    while (times[hi]! - times[lo]! > windowMs) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

describe('SlidingWindowRateLimiter', () => {
  it('is decorated for SDK 6.0.0', () => {
    expect(getSdkCompatibility(SlidingWindowRateLimiter)?.sdkVersion).toBe('6.0.0');
  });

  it('admits limit calls per window, then says when the oldest segment frees a permit', () => {
    const limiter = new SlidingWindowRateLimiter({ limit: 3, windowMs: 1_000, segments: 10 }); // 100 ms segments
    expect(limiter.tryAcquire(0)).toBe(0);
    expect(limiter.tryAcquire(250)).toBe(0);
    expect(limiter.tryAcquire(250)).toBe(0);
    // Segment 0 stays counted through segment 10 (current + 10 previous) and leaves at 1 100 ms.
    expect(limiter.tryAcquire(400)).toBe(700);
    expect(limiter.tryAcquire(1_099)).toBe(1);
    expect(limiter.tryAcquire(1_100)).toBe(0);
    expect(limiter.getStatistics()).toMatchObject({ kind: 'sliding-window', admitted: 4, rejected: 2, capacity: 3 });
  });

  it('admits the full limit again after an idle period of any length', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1_100, max: 1e12 }), (idle) => {
        const limiter = new SlidingWindowRateLimiter({ limit: 5, windowMs: 1_000 });
        for (let i = 0; i < 5; i++) limiter.tryAcquire(0);
        expect(limiter.getStatistics(idle).available).toBe(5);
        for (let i = 0; i < 5; i++) expect(limiter.tryAcquire(idle)).toBe(0);
        expect(limiter.tryAcquire(idle)).toBeGreaterThan(0);
      }),
      { numRuns: 200 },
    );
  });

  it('never admits more than limit in any window of windowMs (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 2_000 }),
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 400 }),
        (limit, windowMs, segments, gaps) => {
          const limiter = new SlidingWindowRateLimiter({ limit, windowMs, segments });
          const admitted: number[] = [];
          let t = 0;
          for (const g of gaps) {
            t += g;
            if (limiter.tryAcquire(t) === 0) admitted.push(t);
          }
          expect(maxInAnyWindow(admitted, windowMs)).toBeLessThanOrEqual(limit);
          expect(limiter.getStatistics().admitted).toBe(admitted.length);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('admits once the wait it returned has passed, and not much later than strictly needed (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 10, max: 5_000 }),
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 100 }),
        (limit, windowMs, segments, gaps) => {
          const limiter = new SlidingWindowRateLimiter({ limit, windowMs, segments });
          let t = 0;
          for (const g of gaps) {
            t += g;
            const wait = limiter.tryAcquire(t);
            if (wait > 0) {
              // Conservative by at most one segment beyond the strict window.
              expect(wait).toBeLessThanOrEqual(windowMs + windowMs / segments + 1e-9);
              const at = t + wait;
              expect(limiter.tryAcquire(at)).toBe(0);
              t = at;
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps counts on reconfigure, clamped to a lower limit, dropping the oldest first', () => {
    const limiter = new SlidingWindowRateLimiter({ limit: 10, windowMs: 1_000, segments: 10 });
    for (let i = 0; i < 4; i++) limiter.tryAcquire(0);
    for (let i = 0; i < 4; i++) limiter.tryAcquire(500);
    limiter.reconfigure({ limit: 5 });
    expect(limiter.getStatistics(500).available).toBe(0);
    expect(limiter.tryAcquire(500)).toBe(600); // segment 0 (1 call left after clamping) leaves at 1 100
    expect(limiter.tryAcquire(1_100)).toBe(0);
    limiter.reconfigure({ limit: 20 });
    expect(limiter.getStatistics(1_100).available).toBe(15);
  });

  it('moves the whole count into the current segment when the window shape changes', () => {
    const limiter = new SlidingWindowRateLimiter({ limit: 3, windowMs: 1_000, segments: 10 });
    for (let i = 0; i < 3; i++) limiter.tryAcquire(0);
    limiter.reconfigure({ windowMs: 2_000, segments: 4 }, 900); // 500 ms segments
    // All 3 calls now count in the segment of 500..1 000 and leave a full window later.
    expect(limiter.tryAcquire(2_499)).toBeGreaterThan(0);
    expect(limiter.tryAcquire(3_000)).toBe(0);
  });

  it('rejects bad options and times naming the field; a failed reconfigure changes nothing', () => {
    expect(fieldOf(() => new SlidingWindowRateLimiter({ limit: 0, windowMs: 1_000 }))).toBe('rateLimit.limit');
    expect(fieldOf(() => new SlidingWindowRateLimiter({ limit: 1, windowMs: -1 }))).toBe('rateLimit.windowMs');
    const limiter = new SlidingWindowRateLimiter({ limit: 2, windowMs: 1_000 });
    expect(limiter.options.segments).toBe(10);
    expect(fieldOf(() => limiter.reconfigure({ kind: 'token-bucket', capacity: 1, refillPerSecond: 1 }))).toBe(
      'rateLimit.kind',
    );
    expect(fieldOf(() => limiter.reconfigure({ segments: 0 }))).toBe('rateLimit.segments');
    expect(limiter.options.segments).toBe(10);
    expect(fieldOf(() => limiter.tryAcquire(NaN))).toBe('nowMs');
  });
});
