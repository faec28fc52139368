import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { getSdkCompatibility } from '@datawarehouse/sdk';
import { fieldOf } from '@datawarehouse/sdk/testing';
import { SlidingWindowMetrics } from './SlidingWindowMetrics.js';
import type { IntervalSample } from './SlidingWindowMetrics.js';

function sample(partial: Partial<IntervalSample> = {}): IntervalSample {
  return {
    calls: 0,
    successes: 0,
    failures: 0,
    timeouts: 0,
    attempts: 0,
    rejectedBulkhead: 0,
    rejectedCircuitOpen: 0,
    rejectedRateLimited: 0,
    p50Ms: NaN,
    p99Ms: NaN,
    queued: 0,
    ...partial,
  };
}

describe('SlidingWindowMetrics', () => {
  it('is decorated for SDK 6.0.0', () => {
    expect(getSdkCompatibility(SlidingWindowMetrics)?.sdkVersion).toBe('6.0.0');
  });

  it('sums the intervals of each window separately (1, 5 and 15 minutes of 10 s buckets)', () => {
    const m = new SlidingWindowMetrics(10_000, 90);
    // One sample per interval for 15 minutes: interval i has i failures out of 100 calls.
    for (let i = 0; i < 90; i++) m.record(i * 10_000 + 5_000, sample({ calls: 100, successes: 100 - i, failures: i }));
    const now = 89 * 10_000 + 5_000;
    const oneMinute = m.window(60_000, now);
    expect(oneMinute.intervals).toBe(6);
    expect(oneMinute.calls).toBe(600);
    expect(oneMinute.failures).toBe(84 + 85 + 86 + 87 + 88 + 89);
    expect(oneMinute.errorRate).toBeCloseTo(oneMinute.failures / 600, 12);
    expect(oneMinute.throughputPerSecond).toBeCloseTo(10, 12);
    expect(m.window(300_000, now).intervals).toBe(30);
    const all = m.window(900_000, now);
    expect(all.intervals).toBe(90);
    expect(all.failures).toBe((89 * 90) / 2);
  });

  it('never counts a bucket older than its window, however long it sat idle', () => {
    const m = new SlidingWindowMetrics(10_000, 90);
    m.record(0, sample({ calls: 50, successes: 40, failures: 10 }));
    expect(m.window(60_000, 59_999).calls).toBe(50);
    expect(m.window(60_000, 60_000).calls).toBe(0); // interval 0 left the 1-minute window
    expect(m.window(900_000, 899_999).calls).toBe(50);
    // A day later the slot of interval 0 is reused by interval 8640 (8640 % 90 === 0): the old data is gone.
    const dayLater = 86_400_000;
    expect(m.window(900_000, dayLater).calls).toBe(0);
    expect(m.window(900_000, dayLater).errorRate).toBeNaN();
    m.record(dayLater, sample({ calls: 3, successes: 3 }));
    const w = m.window(900_000, dayLater);
    expect(w.calls).toBe(3);
    expect(w.failures).toBe(0);
    expect(w.intervals).toBe(1);
  });

  it('adds counts of two samples in the same interval and keeps the newest latency reading', () => {
    const m = new SlidingWindowMetrics(10_000, 6);
    m.record(1_000, sample({ calls: 5, successes: 5, p50Ms: 10, p99Ms: 40, queued: 3 }));
    m.record(2_000, sample({ calls: 7, successes: 6, failures: 1, p50Ms: NaN, p99Ms: NaN, queued: 1 }));
    m.record(3_000, sample({ calls: 1, successes: 1, p50Ms: 12, p99Ms: 50 }));
    const w = m.window(10_000, 3_000);
    expect(w).toMatchObject({ calls: 13, successes: 12, failures: 1, p50Ms: 12, p99Ms: 50, maxQueued: 3 });
  });

  it('reports the newest, lowest and highest latency readings of the window, NaN when none', () => {
    const m = new SlidingWindowMetrics(1_000, 10);
    expect(m.window(10_000, 0).p99Ms).toBeNaN();
    m.record(0, sample({ p50Ms: 5, p99Ms: 30 }));
    m.record(1_000, sample({ p50Ms: 4, p99Ms: 90 }));
    m.record(2_000, sample({ p50Ms: 6, p99Ms: 60 }));
    m.record(3_000, sample({})); // no reading: keeps the previous newest
    const w = m.window(10_000, 3_000);
    expect(w).toMatchObject({ p99Ms: 60, p50Ms: 6, p99MinMs: 30, p99MaxMs: 90, p50MinMs: 4 });
    expect(m.window(2_000, 3_000)).toMatchObject({ p99Ms: 60, p99MinMs: 60, p99MaxMs: 60 });
  });

  it('ignores negative and non-finite deltas (a counter that went backwards adds nothing)', () => {
    const m = new SlidingWindowMetrics(1_000, 4);
    m.record(0, sample({ calls: -5, successes: NaN, failures: Infinity, timeouts: 2 }));
    expect(m.window(1_000, 0)).toMatchObject({ calls: 0, successes: 0, failures: 0, timeouts: 2 });
  });

  it('folds a sample older than its slot (clock going backwards) into the newer bucket instead of wiping it', () => {
    const m = new SlidingWindowMetrics(1_000, 4);
    m.record(4_500, sample({ calls: 10 })); // interval 4 → slot 0
    m.record(500, sample({ calls: 1 })); // interval 0 → slot 0, older
    expect(m.window(4_000, 4_500).calls).toBe(11);
  });

  it('forgets everything on reset', () => {
    const m = new SlidingWindowMetrics(1_000, 4);
    m.record(0, sample({ calls: 10 }));
    m.reset();
    expect(m.window(4_000, 0).calls).toBe(0);
  });

  it('validates its arguments, naming the field', () => {
    expect(fieldOf(() => new SlidingWindowMetrics(0, 10))).toBe('intervalMs');
    expect(fieldOf(() => new SlidingWindowMetrics(1_000, 0))).toBe('capacity');
    expect(fieldOf(() => new SlidingWindowMetrics(1_000, 1.5))).toBe('capacity');
    const m = new SlidingWindowMetrics(1_000, 10);
    expect(fieldOf(() => m.window(10_001, 0))).toBe('windowMs');
    expect(fieldOf(() => m.window(0, 0))).toBe('windowMs');
    expect(fieldOf(() => m.window(1_000, NaN))).toBe('nowMs');
    expect(fieldOf(() => m.record(Infinity, sample()))).toBe('nowMs');
  });

  it('matches a brute-force sum over the samples whose interval lies in the window', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ at: fc.integer({ min: 0, max: 400_000 }), calls: fc.integer({ min: 0, max: 100 }) }), {
          maxLength: 200,
        }),
        fc.integer({ min: 0, max: 500_000 }),
        fc.integer({ min: 1, max: 30 }),
        (samples, now, windowIntervals) => {
          const sorted = [...samples].sort((a, b) => a.at - b.at);
          const m = new SlidingWindowMetrics(10_000, 30);
          for (const s of sorted) if (s.at <= now) m.record(s.at, sample({ calls: s.calls }));
          const current = Math.floor(now / 10_000);
          const expected = sorted
            .filter((s) => s.at <= now)
            .filter((s) => Math.floor(s.at / 10_000) > current - windowIntervals)
            .reduce((sum, s) => sum + s.calls, 0);
          expect(m.window(windowIntervals * 10_000, now).calls).toBe(expected);
        },
      ),
    );
  });

  it('leaves intervals with fewer than minCallsForMin completed calls out of the lowest readings', () => {
    const m = new SlidingWindowMetrics(1_000, 10);
    m.record(0, sample({ calls: 2, successes: 2, p50Ms: 1, p99Ms: 3 }));
    m.record(1_000, sample({ calls: 50, successes: 50, p50Ms: 10, p99Ms: 40 }));
    expect(m.window(10_000, 1_000).p99MinMs).toBe(3);
    const w = m.window(10_000, 1_000, 20);
    expect(w.p99MinMs).toBe(40);
    expect(w.p50MinMs).toBe(10);
    expect(w.calls).toBe(52);
  });
});
