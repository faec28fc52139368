import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { InvalidConfigurationError, getSdkCompatibility } from '@datawarehouse/sdk';
import { LogHistogram } from './LogHistogram.js';

// mulberry32: a deterministic source for the distributions (tests only).
function seeded(seed: number): () => number {
  let s = seed | 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Nearest-rank quantile of the exact data (sorting is fine in a test). */
function exactQuantile(sorted: readonly number[], q: number): number {
  if (q === 0) return sorted[0]!;
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1]!;
}

/** The documented bound: |estimate - x| <= x / 32 + 0.52 µs (in ms), plus float noise. */
function expectWithinBound(estimate: number, exact: number): void {
  expect(Math.abs(estimate - exact)).toBeLessThanOrEqual(exact / 32 + 0.00052 + 1e-9);
}

const DISTRIBUTIONS: Record<string, (r: () => number) => number> = {
  uniform: (r) => r() * 500,
  exponential: (r) => -Math.log(1 - r()) * 40,
  bimodal: (r) => (r() < 0.9 ? 2 + r() * 3 : 800 + r() * 400),
  constant: () => 17.25,
  submillisecond: (r) => r() * 0.05,
};
const QUANTILES = [0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999];

describe('LogHistogram', () => {
  it('is decorated for SDK 6.0.0', () => {
    expect(getSdkCompatibility(LogHistogram)?.sdkVersion).toBe('6.0.0');
  });

  it('reports NaN percentiles, min and max while empty', () => {
    const h = new LogHistogram();
    expect(h.count).toBe(0);
    expect(h.percentile(0.5)).toBeNaN();
    expect(h.min).toBeNaN();
    expect(h.max).toBeNaN();
    expect(h.mean).toBeNaN();
  });

  for (const [name, draw] of Object.entries(DISTRIBUTIONS)) {
    it(`estimates percentiles of a ${name} distribution within x/32 + 0.52 µs`, () => {
      const r = seeded(name.length * 7919);
      const h = new LogHistogram();
      const values: number[] = [];
      for (let i = 0; i < 20_000; i++) {
        const v = draw(r);
        values.push(v);
        h.record(v);
      }
      values.sort((a, b) => a - b);
      expect(h.count).toBe(values.length);
      for (const q of QUANTILES) expectWithinBound(h.percentile(q), exactQuantile(values, q));
      expect(h.min).toBe(values[0]);
      expect(h.max).toBe(values[values.length - 1]);
    });
  }

  it('stays within the bound for any data and any q (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 4_000_000, noNaN: true }), { minLength: 1, maxLength: 300 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (values, q) => {
          const h = new LogHistogram();
          for (const v of values) h.record(v);
          const sorted = [...values].sort((a, b) => a - b);
          expectWithinBound(h.percentile(q), exactQuantile(sorted, q));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('returns the exact min for q = 0 and the exact max for q = 1', () => {
    const h = new LogHistogram();
    for (const v of [3.14159, 1000.001, 42]) h.record(v);
    expect(h.percentile(0)).toBe(3.14159);
    expect(h.percentile(1)).toBe(1000.001);
  });

  it('ignores NaN and negative values and counts them as invalid', () => {
    const h = new LogHistogram();
    h.record(NaN);
    h.record(-1);
    h.record(-0.0001);
    h.record(5);
    expect(h.count).toBe(1);
    expect(h.invalid).toBe(3);
    expect(h.percentile(0.5)).toBe(5);
  });

  it('clamps values above 2^32 - 1 µs into the top bucket but keeps the exact max', () => {
    const h = new LogHistogram();
    h.record(10);
    h.record(1e7); // 10 000 s, above the 4 295 s range
    expect(h.count).toBe(2);
    expect(h.max).toBe(1e7);
    // The top bucket's midpoint is ~4 228 s; clamping to [min, max] keeps it an under-estimate, never NaN.
    expect(h.percentile(0.99)).toBeGreaterThan(4_000_000);
    expect(h.percentile(0.99)).toBeLessThanOrEqual(1e7);
  });

  it('forgets everything on reset', () => {
    const h = new LogHistogram();
    h.record(1);
    h.record(NaN);
    h.reset();
    expect(h.count).toBe(0);
    expect(h.invalid).toBe(0);
    expect(h.percentile(0.5)).toBeNaN();
    h.record(7);
    expect(h.min).toBe(7);
    expect(h.percentile(0.5)).toBe(7);
  });

  it('merges another histogram as if its values had been recorded here', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 10_000, noNaN: true }), { maxLength: 100 }),
        fc.array(fc.double({ min: 0, max: 10_000, noNaN: true }), { maxLength: 100 }),
        (a, b) => {
          const merged = new LogHistogram();
          const other = new LogHistogram();
          const both = new LogHistogram();
          for (const v of a) {
            merged.record(v);
            both.record(v);
          }
          for (const v of b) {
            other.record(v);
            both.record(v);
          }
          other.record(NaN);
          merged.addFrom(other);
          expect(merged.count).toBe(both.count);
          expect(merged.invalid).toBe(1);
          if (both.count > 0) {
            expect(merged.min).toBe(both.min);
            expect(merged.max).toBe(both.max);
            for (const q of [0.1, 0.5, 0.9, 0.99]) expect(merged.percentile(q)).toBe(both.percentile(q));
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('rejects q outside [0, 1] naming the field q', () => {
    const h = new LogHistogram();
    h.record(1);
    for (const q of [-0.1, 1.01, NaN, Infinity]) {
      expect(() => h.percentile(q)).toThrow(InvalidConfigurationError);
      try {
        h.percentile(q);
      } catch (e) {
        expect((e as InvalidConfigurationError).field).toBe('q');
      }
    }
  });
});
