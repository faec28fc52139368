import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { getSdkCompatibility } from '@datawarehouse/sdk';
import { fieldOf } from '@datawarehouse/sdk/testing';
import { TokenBucketRateLimiter } from './TokenBucketRateLimiter.js';

describe('TokenBucketRateLimiter', () => {
  it('is decorated for SDK 6.0.0', () => {
    expect(getSdkCompatibility(TokenBucketRateLimiter)?.sdkVersion).toBe('6.0.0');
  });

  it('admits a burst of capacity, then says how long until the next token', () => {
    const limiter = new TokenBucketRateLimiter({ capacity: 5, refillPerSecond: 10 });
    for (let i = 0; i < 5; i++) expect(limiter.tryAcquire(1_000)).toBe(0);
    expect(limiter.tryAcquire(1_000)).toBeCloseTo(100, 9);
    expect(limiter.tryAcquire(1_050)).toBeCloseTo(50, 9);
    expect(limiter.tryAcquire(1_100)).toBe(0);
    expect(limiter.getStatistics()).toMatchObject({ kind: 'token-bucket', admitted: 6, rejected: 2, capacity: 5 });
  });

  it('refills lazily from the time passed in, up to capacity', () => {
    const limiter = new TokenBucketRateLimiter({ capacity: 3, refillPerSecond: 1 });
    for (let i = 0; i < 3; i++) limiter.tryAcquire(0);
    expect(limiter.getStatistics(1_500).available).toBeCloseTo(1.5, 9);
    expect(limiter.getStatistics(1e9).available).toBe(3);
    expect(limiter.getStatistics().available).toBe(0); // the read did not change state
    let admitted = 0;
    for (let i = 0; i < 10; i++) if (limiter.tryAcquire(1e9) === 0) admitted++;
    expect(admitted).toBe(3);
  });

  it('refills nothing when the clock goes backwards', () => {
    const limiter = new TokenBucketRateLimiter({ capacity: 1, refillPerSecond: 1 });
    expect(limiter.tryAcquire(10_000)).toBe(0);
    expect(limiter.tryAcquire(5_000)).toBeGreaterThan(0);
    expect(limiter.tryAcquire(10_999)).toBeGreaterThan(0);
    expect(limiter.tryAcquire(11_000)).toBe(0);
  });

  it('never admits more than capacity + refill * elapsed over any interval (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.double({ min: 0.1, max: 1_000, noNaN: true }),
        fc.array(fc.double({ min: 0, max: 200, noNaN: true }), { minLength: 1, maxLength: 300 }),
        (capacity, refillPerSecond, gaps) => {
          const limiter = new TokenBucketRateLimiter({ capacity, refillPerSecond });
          const admitted: number[] = [];
          let t = 0;
          for (const g of gaps) {
            t += g;
            if (limiter.tryAcquire(t) === 0) admitted.push(t);
          }
          for (let i = 0; i < admitted.length; i++) {
            for (let j = i; j < admitted.length; j++) {
              const bound = capacity + (refillPerSecond * (admitted[j]! - admitted[i]!)) / 1000;
              expect(j - i + 1).toBeLessThanOrEqual(bound + 1e-6);
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('admits once the wait it returned has passed (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.double({ min: 0.01, max: 10_000, noNaN: true }),
        fc.integer({ min: 0, max: 30 }),
        (capacity, refillPerSecond, extra) => {
          const limiter = new TokenBucketRateLimiter({ capacity, refillPerSecond });
          const t = 1_000;
          for (let i = 0; i < capacity + extra; i++) limiter.tryAcquire(t);
          const wait = limiter.tryAcquire(t);
          expect(wait).toBeGreaterThan(0);
          expect(limiter.tryAcquire(t + wait * (1 + 1e-9) + 1e-9)).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('reconfigures in place, keeping tokens clamped to the new capacity', () => {
    const limiter = new TokenBucketRateLimiter({ capacity: 10, refillPerSecond: 1 });
    limiter.tryAcquire(0); // 9 left
    limiter.reconfigure({ capacity: 4 });
    expect(limiter.options).toEqual({ kind: 'token-bucket', capacity: 4, refillPerSecond: 1 });
    let admitted = 0;
    for (let i = 0; i < 10; i++) if (limiter.tryAcquire(0) === 0) admitted++;
    expect(admitted).toBe(4);
    limiter.reconfigure({ capacity: 100, refillPerSecond: 1_000 }, 0);
    expect(limiter.getStatistics().available).toBe(0); // growing capacity adds no tokens
    expect(limiter.tryAcquire(1)).toBe(0); // the new rate applies from here
  });

  it('settles the elapsed time at the old rate when reconfigured with nowMs', () => {
    const limiter = new TokenBucketRateLimiter({ capacity: 100, refillPerSecond: 1 });
    for (let i = 0; i < 100; i++) limiter.tryAcquire(0);
    limiter.reconfigure({ refillPerSecond: 1_000 }, 10_000); // 10 tokens earned at 1/s
    expect(limiter.getStatistics().available).toBeCloseTo(10, 9);
  });

  it('rejects bad options and times naming the field; a failed reconfigure changes nothing', () => {
    expect(fieldOf(() => new TokenBucketRateLimiter({ capacity: 0, refillPerSecond: 1 }))).toBe('rateLimit.capacity');
    expect(fieldOf(() => new TokenBucketRateLimiter({ capacity: 1, refillPerSecond: -1 }))).toBe(
      'rateLimit.refillPerSecond',
    );
    const limiter = new TokenBucketRateLimiter({ capacity: 2, refillPerSecond: 1 });
    expect(fieldOf(() => limiter.reconfigure({ kind: 'sliding-window', limit: 1, windowMs: 10 }))).toBe(
      'rateLimit.kind',
    );
    expect(fieldOf(() => limiter.reconfigure({ capacity: -5 }))).toBe('rateLimit.capacity');
    expect(fieldOf(() => limiter.reconfigure({ burst: 5 }))).toBe('rateLimit.burst');
    expect(limiter.options.capacity).toBe(2);
    expect(fieldOf(() => limiter.tryAcquire(NaN))).toBe('nowMs');
    expect(fieldOf(() => limiter.tryAcquire(Infinity))).toBe('nowMs');
  });
});
