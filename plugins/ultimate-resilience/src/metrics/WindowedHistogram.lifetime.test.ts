import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LOG_BUCKET_COUNT, logBucketIndex, msToMicros } from './LogBuckets.js';
import { WindowedHistogram } from './WindowedHistogram.js';

const lifetime = (h: WindowedHistogram): { counts: Float64Array; total: number } => {
  const counts = new Float64Array(LOG_BUCKET_COUNT);
  return { total: h.lifetimeCounts(counts), counts };
};

describe('WindowedHistogram lifetime counts', () => {
  it('is empty before the first record', () => {
    const { counts, total } = lifetime(new WindowedHistogram(60_000, 3));
    expect(total).toBe(0);
    expect(counts.every((c) => c === 0)).toBe(true);
  });

  it('keeps every accepted value, per bucket, across slice rotations, idle gaps, clock regressions and reset', () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('record' as const),
        ms: fc.double({ min: 0, max: 5000, noNaN: true }),
        dt: fc.integer({ min: -30_000, max: 90_000 }),
      }),
      fc.record({ kind: fc.constant('bad' as const), ms: fc.constantFrom(NaN, -1), dt: fc.constant(0) }),
      fc.record({ kind: fc.constant('reset' as const), ms: fc.constant(0), dt: fc.constant(0) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), fc.integer({ min: 1, max: 8 }), (ops, slices) => {
        const h = new WindowedHistogram(60_000, slices);
        const expected = new Float64Array(LOG_BUCKET_COUNT);
        let now = 1_000_000;
        let previousTotal = 0;
        for (const o of ops) {
          now += o.dt;
          if (o.kind === 'reset') h.reset();
          else {
            const before = h.invalid;
            h.record(o.ms, now);
            // A value the window refused (stale slice, bad input) is not in the lifetime either.
            if (h.invalid === before) expected[logBucketIndex(msToMicros(o.ms))]! += 1;
          }
          const { counts, total } = lifetime(h);
          expect(total).toBeGreaterThanOrEqual(previousTotal);
          previousTotal = total;
          expect([...counts]).toEqual([...expected]);
        }
      }),
      { numRuns: 150, seed: 12 },
    );
  });

  it('refuses an output array shorter than the bucket layout, naming it', () => {
    expect(() => new WindowedHistogram().lifetimeCounts(new Float64Array(10))).toThrow(/out/);
  });
});
