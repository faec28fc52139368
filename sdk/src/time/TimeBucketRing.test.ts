import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { getSdkCompatibility } from '../compat/SdkCompatibility.js';
import { TimeBucketRing } from './TimeBucketRing.js';

const RUNS = { numRuns: 300, seed: 0x5eed_7b };

describe('TimeBucketRing', () => {
  it('is decorated for SDK 6.0.0', () => {
    expect(getSdkCompatibility(TimeBucketRing)?.sdkVersion).toBe('6.0.0');
  });

  it('maps a time to its epoch and slot, negative times included', () => {
    const ring = new TimeBucketRing(100, 4, 1);
    expect([ring.epochOf(0), ring.epochOf(99.9), ring.epochOf(100), ring.epochOf(-1)]).toEqual([0, 0, 1, -1]);
    expect([ring.slotOf(0), ring.slotOf(5), ring.slotOf(-1), ring.slotOf(-4) + 0]).toEqual([0, 1, 3, 0]);
  });

  it('counts a bucket only while its epoch is within the span read', () => {
    const ring = new TimeBucketRing(100, 4, 2);
    ring.add(ring.claim(0), 0, 1);
    ring.add(ring.claim(2), 1, 5);
    expect([ring.sum(0, 3, 4), ring.sum(1, 3, 4)]).toEqual([1, 5]);
    expect(ring.sum(0, 4, 4)).toBe(0); // epoch 0 left the 4 epochs ending at 4
    expect(ring.sum(1, 3, 1)).toBe(0); // a span of 1: epoch 3 only
    expect(ring.sum(1, 1, 4)).toBe(0); // a read in the past does not see epoch 2
    expect(Array.from(ring.sums(3, 4, new Float64Array(2)))).toEqual([1, 5]);
    const epoch0 = ring.bucketAt(0);
    expect([ring.isLive(epoch0, 3, 4), ring.isLive(epoch0, 4, 4), ring.isLive(ring.bucketAt(1), 3, 4)]).toEqual([
      true,
      false,
      false,
    ]);
  });

  it('empties a reused slot before writing and never wipes a newer bucket for an older epoch', () => {
    const ring = new TimeBucketRing(100, 2, 1);
    const bucket = ring.claim(1);
    ring.add(bucket, 0, 3);
    expect(ring.claim(3)).toBe(bucket); // slot 1 again: epoch 1 is gone
    ring.add(bucket, 0, 1);
    expect([ring.epochAt(bucket), ring.get(bucket, 0)]).toEqual([3, 1]);
    ring.add(ring.claim(1), 0, 1); // the clock went back: folded into epoch 3
    expect([ring.epochAt(bucket), ring.get(bucket, 0)]).toEqual([3, 2]);
    expect(ring.bucketAt(ring.slotOf(3))).toBe(bucket);
  });

  it('starts a bucket from the initial values and goes back to them on reset', () => {
    const ring = new TimeBucketRing(100, 2, 3, { initial: [0, Infinity, -Infinity] });
    const bucket = ring.claim(7);
    expect([ring.get(bucket, 0), ring.get(bucket, 1), ring.get(bucket, 2)]).toEqual([0, Infinity, -Infinity]);
    ring.set(bucket, 1, 4);
    ring.reset();
    expect(ring.epochAt(bucket)).toBe(-Infinity);
    ring.claim(7);
    expect(ring.get(bucket, 1)).toBe(Infinity);
  });

  it('keeps running totals of the last `buckets` epochs up to the head', () => {
    const ring = new TimeBucketRing(100, 3, 2, { totals: true });
    expect([ring.head, ring.advance(NaN), ring.advance(Infinity)]).toEqual([-Infinity, -1, -1]); // no head yet
    ring.addCounted(ring.advance(10), 0, 2);
    const head = ring.advance(11);
    ring.addCounted(head, 1, 1);
    expect(ring.advance(9)).toBe(head); // earlier: the head stays at 11
    ring.addCounted(head, 0, 1);
    expect([ring.head, ring.total(0), ring.total(1)]).toEqual([11, 3, 1]);
    expect([ring.valueAt(10, 0), ring.valueAt(11, 0), ring.valueAt(12, 0)]).toEqual([2, 1, 0]);
    ring.advance(13); // epoch 10 leaves
    expect([ring.total(0), ring.total(1)]).toEqual([1, 1]);
    ring.advance(1_000_000); // a long idle: everything leaves at once
    expect([ring.total(0), ring.total(1)]).toEqual([0, 0]);
    ring.advance(Infinity);
    ring.advance(NaN);
    expect(ring.head).toBe(1_000_000);
    ring.addCounted(ring.advance(1_000_000), 0, 4);
    ring.reset(); // the head stays, its bucket emptied
    expect([ring.head, ring.total(0), ring.valueAt(1_000_000, 0)]).toEqual([1_000_000, 0, 0]);
    ring.addCounted(ring.advance(1_000_000), 0, 1);
    expect([ring.total(0), ring.sum(0, 1_000_000, 3)]).toEqual([1, 1]);
  });

  it('has no head and no totals unless asked for', () => {
    const ring = new TimeBucketRing(100, 3, 1);
    ring.advance(1);
    expect([ring.advance(2), ring.head, ring.total(0)]).toEqual([-1, -Infinity, 0]);
    ring.add(ring.claim(1), 0, 5);
    expect([ring.total(0), ring.sum(0, 1, 3)]).toEqual([0, 5]);
  });

  it('gives the first time of an epoch, even where epoch * bucketMs rounds below it', () => {
    const ring = new TimeBucketRing(1_000 / 3, 3, 1);
    for (let e = -50; e < 5_000; e++) {
      const at = ring.startOf(e);
      expect(ring.epochOf(at)).toBe(e);
      expect(at).toBeLessThanOrEqual(
        e * ring.bucketMs + Math.abs(e * ring.bucketMs) * 4 * Number.EPSILON + Number.MIN_VALUE,
      );
    }
  });

  it('rejects a bad geometry', () => {
    expect(() => new TimeBucketRing(0, 1, 1)).toThrow(RangeError);
    expect(() => new TimeBucketRing(NaN, 1, 1)).toThrow(RangeError);
    expect(() => new TimeBucketRing(1, 0, 1)).toThrow(RangeError);
    expect(() => new TimeBucketRing(1, 1.5, 1)).toThrow(RangeError);
    expect(() => new TimeBucketRing(1, 1, 0)).toThrow(RangeError);
    expect(() => new TimeBucketRing(1, 1, 2, { initial: [1] })).toThrow(RangeError);
  });

  // Virtual time throughout: every call names its own `now`.
  const write = fc.record({
    back: fc.integer({ min: 0, max: 4 }).map((k) => k === 0), // a clock going backwards now and then
    gap: fc.integer({ min: 0, max: 700 }),
    field: fc.integer({ min: 0, max: 1 }),
    n: fc.integer({ min: -3, max: 9 }),
  });

  it('tagged: every read equals a model of the writes each bucket kept (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 500 }),
        fc.array(write, { maxLength: 120, size: 'max' }),
        fc.integer({ min: -800, max: 3_000 }),
        fc.integer({ min: 1, max: 12 }),
        (buckets, bucketMs, writes, readOffset, spanIn) => {
          const ring = new TimeBucketRing(bucketMs, buckets, 2);
          // Model: a slot holds the newest epoch written to it; a write lands in that epoch when
          // it is newer than its own, and a bucket keeps only what landed in the epoch it holds.
          const held = new Map<number, number>();
          const landed: { slot: number; epoch: number; field: number; n: number }[] = [];
          let now = 0;
          for (const w of writes) {
            now += w.back ? -w.gap : w.gap;
            const epoch = Math.floor(now / bucketMs);
            const slot = ((epoch % buckets) + buckets) % buckets;
            const into = Math.max(epoch, held.get(slot) ?? -Infinity);
            held.set(slot, into);
            landed.push({ slot, epoch: into, field: w.field, n: w.n });
            ring.add(ring.claim(epoch), w.field, w.n);
          }
          const readEpoch = Math.floor((now + readOffset) / bucketMs);
          const span = Math.min(spanIn, buckets);
          const kept = landed.filter(
            (l) => held.get(l.slot) === l.epoch && l.epoch <= readEpoch && l.epoch > readEpoch - span,
          );
          const sums = ring.sums(readEpoch, span, new Float64Array(2));
          for (const f of [0, 1]) {
            const expected = kept.filter((l) => l.field === f).reduce((s, l) => s + l.n, 0);
            expect(ring.sum(f, readEpoch, span)).toBe(expected);
            expect(sums[f]).toBe(expected);
          }
        },
      ),
      RUNS,
    );
  });

  it('head: totals and bucket values equal a model of the last `buckets` head epochs (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 500 }),
        fc.array(fc.oneof({ weight: 30, arbitrary: write }, { weight: 1, arbitrary: fc.constant('reset' as const) }), {
          maxLength: 120,
          size: 'max',
        }),
        (buckets, bucketMs, steps) => {
          const ring = new TimeBucketRing(bucketMs, buckets, 2, { totals: true });
          let log: { epoch: number; field: number; n: number }[] = [];
          let head = -Infinity;
          let now = 0;
          for (const s of steps) {
            if (s === 'reset') {
              ring.reset();
              log = [];
              continue;
            }
            now += s.back ? -s.gap : s.gap;
            head = Math.max(head, Math.floor(now / bucketMs)); // writes never go behind the head
            ring.addCounted(ring.advance(ring.epochOf(now)), s.field, s.n);
            log.push({ epoch: head, field: s.field, n: s.n });
            expect(ring.head).toBe(head);
            const live = log.filter((l) => l.epoch > head - buckets);
            for (const f of [0, 1]) {
              const inField = live.filter((l) => l.field === f);
              expect(ring.total(f)).toBe(inField.reduce((sum, l) => sum + l.n, 0));
              for (let e = head - buckets + 1; e <= head; e++) {
                expect(ring.valueAt(e, f)).toBe(inField.filter((l) => l.epoch === e).reduce((sum, l) => sum + l.n, 0));
              }
            }
          }
        },
      ),
      RUNS,
    );
  });

  it('head: after any idle of a window or more, nothing is left (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 60, size: 'max' }),
        fc.integer({ min: 0, max: 1e9 }),
        (buckets, gaps, extra) => {
          const ring = new TimeBucketRing(10, buckets, 1, { totals: true });
          let now = 0;
          for (const g of gaps) {
            now += g;
            ring.addCounted(ring.advance(ring.epochOf(now)), 0, 1);
          }
          const later = ring.epochOf(now) + buckets + extra;
          ring.advance(later);
          expect(ring.total(0)).toBe(0);
          expect(ring.sum(0, later, buckets)).toBe(0);
        },
      ),
      RUNS,
    );
  });
});
