import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LOG_BUCKET_COUNT, logBucketIndex, logBucketLowerMicros, msToMicros } from '../metrics/LogBuckets.js';
import { WindowedHistogram } from '../metrics/WindowedHistogram.js';
import { LATENCY_EDGES_MICROS, LATENCY_EDGES_SECONDS, toLatencyHistogram } from './latencyBuckets.js';

describe('latency histogram edges', () => {
  it('are increasing boundaries of the log-scale buckets, two per power of two from 64 µs to ~50 s', () => {
    expect(LATENCY_EDGES_MICROS).toHaveLength(40);
    expect(LATENCY_EDGES_MICROS[0]).toBe(64);
    expect(LATENCY_EDGES_SECONDS.at(-1)).toBeCloseTo(50.331648, 9);
    for (let i = 1; i < LATENCY_EDGES_MICROS.length; i++) {
      expect(LATENCY_EDGES_MICROS[i]!).toBeGreaterThan(LATENCY_EDGES_MICROS[i - 1]!);
    }
    for (const edge of LATENCY_EDGES_MICROS) expect(logBucketLowerMicros(logBucketIndex(edge))).toBe(edge);
  });

  it('count exactly the values below each edge, cumulatively, with a sum within 1/32 of the true one', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 70_000, noNaN: true }), { maxLength: 400 }), (values) => {
        const h = new WindowedHistogram(60_000, 3);
        values.forEach((v, i) => h.record(v, i));
        const counts = new Float64Array(LOG_BUCKET_COUNT);
        h.lifetimeCounts(counts);
        const { cumulative, count, sumSeconds } = toLatencyHistogram(counts);
        expect(count).toBe(values.length);
        LATENCY_EDGES_MICROS.forEach((edge, i) => {
          expect(cumulative[i]).toBe(values.filter((v) => msToMicros(v) < edge).length);
          if (i > 0) expect(cumulative[i]!).toBeGreaterThanOrEqual(cumulative[i - 1]!);
        });
        const exact = values.reduce((a, v) => a + msToMicros(v), 0) / 1e6;
        expect(Math.abs(sumSeconds - exact)).toBeLessThanOrEqual(exact / 32 + values.length * 1e-6);
      }),
      { numRuns: 200, seed: 7 },
    );
  });
});
