import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FailureWindow } from './FailureWindow.js';

describe('FailureWindow', () => {
  it('counts calls, failures and slow calls recorded in the window', () => {
    const w = new FailureWindow(1000, 10);
    w.record(0, true, false);
    w.record(50, false, true);
    w.record(120, false, false);
    expect([w.calls, w.failures, w.slowCalls]).toEqual([3, 1, 1]);
  });

  it('drops a bucket once it is older than the window', () => {
    const w = new FailureWindow(1000, 10); // 100 ms buckets
    w.record(0, true, false); // bucket [0, 100)
    w.record(500, true, false); // bucket [500, 600)
    w.advance(999);
    expect(w.failures).toBe(2);
    w.advance(1000); // [0, 100) left the window
    expect(w.failures).toBe(1);
    w.advance(1499);
    expect(w.failures).toBe(1);
    w.advance(1500);
    expect([w.calls, w.failures]).toEqual([0, 0]);
  });

  it('counts an event for at least window - bucket and never for the whole window after it happened', () => {
    const w = new FailureWindow(1000, 4); // 250 ms buckets
    w.record(249, true, false); // last ms of bucket [0, 250)
    w.advance(249 + 750);
    expect(w.failures).toBe(1);
    w.advance(1000); // its bucket expires: 751 ms after the event, < 1000
    expect(w.failures).toBe(0);
    w.record(1000, true, false); // first ms of bucket [1000, 1250)
    w.advance(1999);
    expect(w.failures).toBe(1);
    w.advance(2000); // exactly one window after the event
    expect(w.failures).toBe(0);
  });

  it('forgets everything after an idle longer than the window, then counts afresh', () => {
    const w = new FailureWindow(1000, 10);
    for (let t = 0; t < 1000; t += 10) w.record(t, true, false);
    expect(w.failures).toBe(100);
    w.record(1_000_000, false, false); // long idle: nothing stale may survive
    expect([w.calls, w.failures]).toEqual([1, 0]);
    w.record(1_000_050, true, false);
    expect([w.calls, w.failures]).toEqual([2, 1]);
  });

  it('keeps counting correctly after several idle gaps shorter than the window', () => {
    const w = new FailureWindow(1000, 10);
    w.record(0, true, false);
    w.record(350, true, false);
    w.record(720, true, false);
    w.advance(1100); // drops [0, 100)
    expect(w.failures).toBe(2);
    w.advance(1460); // drops [300, 400)
    expect(w.failures).toBe(1);
  });

  it('records into the current bucket when time goes backwards', () => {
    const w = new FailureWindow(1000, 10);
    w.record(500, true, false);
    w.record(400, true, false);
    expect(w.failures).toBe(2);
    w.advance(1500);
    expect(w.failures).toBe(0);
  });

  it('clear() forgets every count', () => {
    const w = new FailureWindow(1000, 10);
    w.record(0, true, true);
    w.clear();
    expect([w.calls, w.failures, w.slowCalls]).toEqual([0, 0, 0]);
  });

  it('rejects an invalid geometry', () => {
    expect(() => new FailureWindow(0, 10)).toThrow(RangeError);
    expect(() => new FailureWindow(1000, 0)).toThrow(RangeError);
    expect(() => new FailureWindow(Number.NaN, 1)).toThrow(RangeError);
    expect(() => new FailureWindow(1000, 1.5)).toThrow(RangeError);
  });

  describe('reconfigure', () => {
    it('keeps counts that still fit in a larger window', () => {
      const w = new FailureWindow(1000, 10);
      w.record(100, true, false);
      w.record(900, false, true);
      w.reconfigure(5000, 5, 950);
      expect([w.windowMs, w.buckets]).toEqual([5000, 5]);
      expect([w.calls, w.failures, w.slowCalls]).toEqual([2, 1, 1]);
      w.advance(4999);
      expect(w.calls).toBe(2);
      w.advance(5000); // both were moved to the bucket starting at 0
      expect(w.calls).toBe(0);
    });

    it('drops counts older than a smaller window', () => {
      const w = new FailureWindow(10_000, 10);
      w.record(0, true, false);
      w.record(8_500, true, false);
      w.reconfigure(2000, 4, 9_000); // window now covers (7000, 9000]
      expect(w.failures).toBe(1);
      w.advance(10_000); // the kept failure is in bucket [8000, 8500) → gone at 10 000
      expect(w.failures).toBe(0);
    });

    it('is a no-op for the same geometry', () => {
      const w = new FailureWindow(1000, 10);
      w.record(0, true, false);
      w.reconfigure(1000, 10, 10);
      expect(w.failures).toBe(1);
    });

    it('works on a window that never recorded', () => {
      const w = new FailureWindow(1000, 10);
      w.reconfigure(2000, 3, 50);
      w.record(60, true, false);
      expect(w.failures).toBe(1);
    });
  });

  it('always equals a brute-force count of events younger than the window, give or take one bucket (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 10, max: 2000 }),
        fc.array(fc.record({ gap: fc.integer({ min: 0, max: 3000 }), failure: fc.boolean() }), { maxLength: 80 }),
        (buckets, windowMs, steps) => {
          const w = new FailureWindow(windowMs, buckets);
          const bucketMs = windowMs / buckets;
          const events: { t: number; failure: boolean }[] = [];
          let now = 0;
          for (const s of steps) {
            now += s.gap;
            w.record(now, s.failure, false);
            events.push({ t: now, failure: s.failure });
            // Counted: nothing older than the window; everything younger than window - bucket.
            const surely = events.filter((e) => now - e.t < windowMs - bucketMs);
            const maybe = events.filter((e) => now - e.t < windowMs);
            expect(w.calls).toBeGreaterThanOrEqual(surely.length);
            expect(w.calls).toBeLessThanOrEqual(maybe.length);
            expect(w.failures).toBeLessThanOrEqual(maybe.filter((e) => e.failure).length);
            expect(w.failures).toBeGreaterThanOrEqual(surely.filter((e) => e.failure).length);
          }
        },
      ),
    );
  });
});
