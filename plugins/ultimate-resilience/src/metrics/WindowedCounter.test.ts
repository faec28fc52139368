import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { getSdkCompatibility } from '@datawarehouse/sdk';
import { fieldOf } from '@datawarehouse/sdk/testing';
import { WindowedCounter } from './WindowedCounter.js';

describe('WindowedCounter', () => {
  it('is decorated for SDK 6.0.0', () => {
    expect(getSdkCompatibility(WindowedCounter)?.sdkVersion).toBe('6.0.0');
  });

  it('sums each field separately within the window', () => {
    const w = new WindowedCounter(10_000, 10, 3);
    w.add(0, 1, 0);
    w.add(0, 1, 500);
    w.add(1, 1, 1_500);
    w.add(2, 2.5, 9_999);
    expect(w.sum(0, 9_999)).toBe(2);
    expect(w.sum(1, 9_999)).toBe(1);
    expect(w.sum(2, 9_999)).toBe(2.5);
    expect(Array.from(w.sums(9_999))).toEqual([2, 1, 2.5]);
  });

  it('expires buckets as they leave the window', () => {
    const w = new WindowedCounter(10_000, 10, 1); // 1 s buckets
    w.add(0, 1, 0); // epoch 0
    w.add(0, 1, 1_000); // epoch 1
    expect(w.sum(0, 9_999)).toBe(2);
    expect(w.sum(0, 10_000)).toBe(1); // epoch 10: epochs 1..10 count
    expect(w.sum(0, 11_000)).toBe(0);
  });

  it('zeroes a reused bucket before counting into it', () => {
    const w = new WindowedCounter(4_000, 4, 1);
    w.add(0, 5, 100); // epoch 0, slot 0
    w.add(0, 1, 4_100); // epoch 4, slot 0 again
    expect(w.sum(0, 4_100)).toBe(1);
  });

  it('counts nothing stale after an idle period of any length', () => {
    fc.assert(
      fc.property(fc.integer({ min: 60_000, max: 1e13 }), (idle) => {
        const w = new WindowedCounter(60_000, 12, 2);
        for (let t = 0; t < 60_000; t += 700) w.add(1, 1, t);
        expect(w.sum(1, 59_999 + idle)).toBe(0);
        w.add(1, 1, 59_999 + idle);
        expect(w.sum(1, 59_999 + idle)).toBe(1);
      }),
      { numRuns: 200 },
    );
  });

  it('matches an exact count of the last `buckets` epochs (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.array(
          fc.record({
            gap: fc.integer({ min: 0, max: 300 }),
            field: fc.integer({ min: 0, max: 2 }),
            n: fc.integer({ min: -3, max: 10 }),
          }),
          { maxLength: 200 },
        ),
        fc.integer({ min: 0, max: 2_000 }),
        (buckets, events, readDelay) => {
          const windowMs = 1_000;
          const bucketMs = windowMs / buckets;
          const w = new WindowedCounter(windowMs, buckets, 3);
          const log: { t: number; field: number; n: number }[] = [];
          let t = 0;
          for (const e of events) {
            t += e.gap;
            w.add(e.field, e.n, t);
            log.push({ t, field: e.field, n: e.n });
          }
          const now = t + readDelay;
          const current = Math.floor(now / bucketMs);
          for (let f = 0; f < 3; f++) {
            const expected = log
              .filter((x) => x.field === f && Math.floor(x.t / bucketMs) > current - buckets)
              .reduce((s, x) => s + x.n, 0);
            expect(w.sum(f, now)).toBe(expected);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('adds into the newer bucket when the clock goes backwards', () => {
    const w = new WindowedCounter(1_000, 2, 1);
    w.add(0, 1, 1_000); // epoch 2, slot 0
    w.add(0, 1, 0); // epoch 0, slot 0 holds epoch 2: kept, not wiped
    expect(w.sum(0, 1_000)).toBe(2);
  });

  it('writes sums into a caller-provided array without allocating', () => {
    const w = new WindowedCounter(1_000, 4, 2);
    const out = new Float64Array(2);
    w.add(1, 3, 10);
    expect(w.sums(10, out)).toBe(out);
    expect(Array.from(out)).toEqual([0, 3]);
  });

  it('forgets everything on reset', () => {
    const w = new WindowedCounter(1_000, 4, 1);
    w.add(0, 3, 10);
    w.reset();
    expect(w.sum(0, 10)).toBe(0);
  });

  it('rejects bad arguments naming the field', () => {
    expect(fieldOf(() => new WindowedCounter(0, 10, 1))).toBe('windowMs');
    expect(fieldOf(() => new WindowedCounter(1_000, 0, 1))).toBe('buckets');
    expect(fieldOf(() => new WindowedCounter(1_000, 10, 0))).toBe('fields');
    const w = new WindowedCounter(1_000, 10, 2);
    expect(fieldOf(() => w.add(2, 1, 0))).toBe('field');
    expect(fieldOf(() => w.add(-1, 1, 0))).toBe('field');
    expect(fieldOf(() => w.add(0.5, 1, 0))).toBe('field');
    expect(fieldOf(() => w.add(0, NaN, 0))).toBe('n');
    expect(fieldOf(() => w.add(0, 1, NaN))).toBe('nowMs');
    expect(fieldOf(() => w.sum(5, 0))).toBe('field');
    expect(fieldOf(() => w.sum(0, Infinity))).toBe('nowMs');
    expect(fieldOf(() => w.sums(0, new Float64Array(1)))).toBe('out');
  });
});

describe('WindowedCounter.addPair', () => {
  it('adds one to both fields in the same bucket and validates its fields', () => {
    const c = new WindowedCounter(1000, 10, 3);
    c.addPair(0, 2, 50);
    c.addPair(0, 1, 150);
    expect([c.sum(0, 150), c.sum(1, 150), c.sum(2, 150)]).toEqual([2, 1, 1]);
    expect(c.sum(0, 1050)).toBe(1);
    expect(() => c.addPair(0, 3, 0)).toThrow(expect.objectContaining({ field: 'fieldB' }));
    expect(() => c.addPair(-1, 0, 0)).toThrow(expect.objectContaining({ field: 'fieldA' }));
  });
});
