import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  LOG_BUCKET_COUNT,
  MAX_RECORDABLE_MICROS,
  logBucketAtRank,
  logBucketIndex,
  logBucketLowerMicros,
  logBucketMidpointMicros,
  msToMicros,
} from './LogBuckets.js';

describe('LogBuckets', () => {
  it('gives exact buckets below 16 µs and 464 buckets for the whole 32-bit range', () => {
    for (let v = 0; v < 16; v++) {
      expect(logBucketIndex(v)).toBe(v);
      expect(logBucketMidpointMicros(v)).toBe(v);
    }
    expect(logBucketIndex(16)).toBe(16);
    expect(logBucketIndex(31)).toBe(31);
    expect(logBucketIndex(32)).toBe(32);
    expect(logBucketIndex(33)).toBe(32);
    expect(logBucketIndex(MAX_RECORDABLE_MICROS)).toBe(LOG_BUCKET_COUNT - 1);
    expect(logBucketLowerMicros(LOG_BUCKET_COUNT - 1)).toBe(31 * 2 ** 27);
  });

  it('maps every value into the bucket whose range holds it, in value order', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_RECORDABLE_MICROS }), (v) => {
        const i = logBucketIndex(v);
        expect(i).toBeGreaterThanOrEqual(0);
        expect(i).toBeLessThan(LOG_BUCKET_COUNT);
        expect(logBucketLowerMicros(i)).toBeLessThanOrEqual(v);
        if (i + 1 < LOG_BUCKET_COUNT) expect(logBucketLowerMicros(i + 1)).toBeGreaterThan(v);
        if (v > 0) expect(logBucketIndex(v - 1)).toBeLessThanOrEqual(i);
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps the midpoint within 1/32 of any value of its bucket', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_RECORDABLE_MICROS }), (v) => {
        const mid = logBucketMidpointMicros(logBucketIndex(v));
        expect(Math.abs(mid - v)).toBeLessThanOrEqual(v / 32);
      }),
      { numRuns: 2000 },
    );
  });

  it('has contiguous bucket ranges (each lower bound is the previous upper bound + 1)', () => {
    for (let i = 1; i < LOG_BUCKET_COUNT; i++) {
      const lo = logBucketLowerMicros(i);
      expect(logBucketIndex(lo)).toBe(i);
      expect(logBucketIndex(lo - 1)).toBe(i - 1);
    }
  });

  it('rounds ms to integer µs and clamps to 2^32 - 1', () => {
    expect(msToMicros(1.2344)).toBe(1234);
    expect(msToMicros(1.2346)).toBe(1235);
    expect(msToMicros(0)).toBe(0);
    expect(msToMicros(5e6)).toBe(MAX_RECORDABLE_MICROS);
    expect(msToMicros(Infinity)).toBe(MAX_RECORDABLE_MICROS);
  });

  it('finds the bucket at a rank across several slices', () => {
    const counts = new Uint32Array(2 * LOG_BUCKET_COUNT);
    counts[3] = 2; // slice 0, bucket 3
    counts[LOG_BUCKET_COUNT + 3] = 1; // slice 1, bucket 3
    counts[LOG_BUCKET_COUNT + 40] = 1; // slice 1, bucket 40
    expect(logBucketAtRank(counts, [0, LOG_BUCKET_COUNT], 2, 3)).toBe(3);
    expect(logBucketAtRank(counts, [0, LOG_BUCKET_COUNT], 2, 4)).toBe(40);
    expect(logBucketAtRank(counts, [0, LOG_BUCKET_COUNT], 2, 5)).toBe(-1);
    expect(logBucketAtRank(counts, [0], 1, 3)).toBe(-1);
  });
});
