import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { getSdkCompatibility } from '@datawarehouse/sdk';
import { fieldOf } from '@datawarehouse/sdk/testing';
import { WindowedHistogram } from './WindowedHistogram.js';

function seeded(seed: number): () => number {
  let s = seed | 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function exactQuantile(sorted: readonly number[], q: number): number {
  if (q === 0) return sorted[0]!;
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;
}

function expectWithinBound(estimate: number, exact: number): void {
  expect(Math.abs(estimate - exact)).toBeLessThanOrEqual(exact / 32 + 0.00052 + 1e-9);
}

const DISTRIBUTIONS: Record<string, (r: () => number) => number> = {
  uniform: (r) => 1 + r() * 99,
  exponential: (r) => -Math.log(1 - r()) * 25,
  bimodal: (r) => (r() < 0.95 ? 5 + r() * 5 : 2000 + r() * 1000),
  constant: () => 250,
};

describe('WindowedHistogram', () => {
  it('is decorated for SDK 6.0.0', () => {
    expect(getSdkCompatibility(WindowedHistogram)?.sdkVersion).toBe('6.0.0');
  });

  for (const [name, draw] of Object.entries(DISTRIBUTIONS)) {
    it(`summarizes a ${name} distribution spread over the window within the bound`, () => {
      const r = seeded(name.charCodeAt(0) * 31 + name.length);
      const h = new WindowedHistogram(60_000, 4);
      const values: number[] = [];
      // 10 000 samples spread over 59 s: all four slices in use.
      for (let i = 0; i < 10_000; i++) {
        const v = draw(r);
        values.push(v);
        h.record(v, i * 5.9);
      }
      values.sort((a, b) => a - b);
      const now = 59_000;
      const s = h.summary(now);
      expect(s.count).toBe(values.length);
      expectWithinBound(s.p50, exactQuantile(values, 0.5));
      expectWithinBound(s.p95, exactQuantile(values, 0.95));
      expectWithinBound(s.p99, exactQuantile(values, 0.99));
      expect(s.max).toBe(values[values.length - 1]);
      const [p999, p10] = h.percentiles(now, [0.999, 0.1]);
      expectWithinBound(p999!, exactQuantile(values, 0.999));
      expectWithinBound(p10!, exactQuantile(values, 0.1));
    });
  }

  it('drops whole slices as they leave the window (rotation)', () => {
    const h = new WindowedHistogram(60_000, 4); // 15 s slices
    h.record(100, 1_000); // epoch 0
    h.record(10, 20_000); // epoch 1
    expect(h.summary(59_999)).toMatchObject({ count: 2, max: 100 });
    // At 60 s the current epoch is 4; epochs 1..4 count, epoch 0 is out.
    expect(h.summary(60_000)).toMatchObject({ count: 1, max: 10, p50: 10 });
    // The slot of epoch 0 is reused by epoch 4 and starts empty.
    h.record(1, 61_000);
    expect(h.summary(61_000)).toMatchObject({ count: 2, max: 10 });
    expect(h.percentiles(61_000, [0])).toEqual([1]);
    expect(h.summary(75_000)).toMatchObject({ count: 1, max: 1 });
  });

  it('counts nothing stale after an idle period of any length', () => {
    fc.assert(
      fc.property(fc.integer({ min: 60_000, max: 1e12 }), (idle) => {
        const h = new WindowedHistogram(60_000, 4);
        for (let t = 0; t < 60_000; t += 1_000) h.record(50, t);
        const later = 59_000 + idle;
        const empty = h.summary(later);
        expect(empty.count).toBe(0);
        expect(empty.p99).toBeNaN();
        expect(empty.max).toBeNaN();
        h.record(3, later);
        expect(h.summary(later)).toMatchObject({ count: 1, p50: 3, p99: 3, max: 3 });
      }),
      { numRuns: 200 },
    );
  });

  it('matches an exact sliding window for random recordings (property)', () => {
    const windowMs = 1_000;
    const slices = 4;
    const sliceMs = windowMs / slices;
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ gap: fc.integer({ min: 0, max: 400 }), value: fc.double({ min: 0, max: 5_000, noNaN: true }) }),
          { minLength: 1, maxLength: 200 },
        ),
        fc.integer({ min: 0, max: 1_500 }),
        (events, readDelay) => {
          const h = new WindowedHistogram(windowMs, slices);
          const recorded: { t: number; v: number }[] = [];
          let t = 0;
          for (const e of events) {
            t += e.gap;
            h.record(e.value, t);
            recorded.push({ t, v: e.value });
          }
          const now = t + readDelay;
          const current = Math.floor(now / sliceMs);
          const inWindow = recorded
            .filter((x) => Math.floor(x.t / sliceMs) > current - slices)
            .map((x) => x.v)
            .sort((a, b) => a - b);
          const s = h.summary(now);
          expect(s.count).toBe(inWindow.length);
          if (inWindow.length === 0) {
            expect(s.p50).toBeNaN();
          } else {
            expectWithinBound(s.p50, exactQuantile(inWindow, 0.5));
            expectWithinBound(s.p99, exactQuantile(inWindow, 0.99));
            expect(s.max).toBe(inWindow[inWindow.length - 1]);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('ignores invalid values and times, counting them', () => {
    const h = new WindowedHistogram(1_000, 2);
    h.record(NaN, 0);
    h.record(-5, 0);
    h.record(5, NaN);
    h.record(5, Infinity);
    expect(h.invalid).toBe(4);
    expect(h.count(0)).toBe(0);
  });

  it('does not let a clock going backwards wipe newer data', () => {
    const h = new WindowedHistogram(1_000, 2); // 500 ms slices
    h.record(10, 1_000); // epoch 2, slot 0
    h.record(20, 0); // epoch 0, slot 0: older than what the slot holds
    expect(h.invalid).toBe(1);
    expect(h.summary(1_000)).toMatchObject({ count: 1, max: 10 });
  });

  it('returns quantiles in the order asked', () => {
    const h = new WindowedHistogram();
    for (let v = 1; v <= 100; v++) h.record(v, 0);
    const [p99, p50, p0, p100] = h.percentiles(0, [0.99, 0.5, 0, 1]);
    expectWithinBound(p99!, 99);
    expectWithinBound(p50!, 50);
    expect(p0).toBe(1);
    expect(p100).toBe(100);
  });

  it('forgets everything on reset', () => {
    const h = new WindowedHistogram();
    h.record(1, 0);
    h.record(NaN, 0);
    h.reset();
    expect(h.count(0)).toBe(0);
    expect(h.invalid).toBe(0);
    h.record(2, 0);
    expect(h.summary(0)).toMatchObject({ count: 1, max: 2 });
  });

  it('rejects bad construction and read arguments naming the field', () => {
    expect(fieldOf(() => new WindowedHistogram(0))).toBe('windowMs');
    expect(fieldOf(() => new WindowedHistogram(NaN))).toBe('windowMs');
    expect(fieldOf(() => new WindowedHistogram(1_000, 0))).toBe('slices');
    expect(fieldOf(() => new WindowedHistogram(1_000, 1.5))).toBe('slices');
    expect(fieldOf(() => new WindowedHistogram(1_000, 65))).toBe('slices');
    const h = new WindowedHistogram();
    expect(fieldOf(() => h.summary(NaN))).toBe('nowMs');
    expect(fieldOf(() => h.percentiles(0, [0.5, 2]))).toBe('qs[1]');
  });
});
