import { describe, expect, it } from 'vitest';
import { resolveCircuitBreakerOptions } from './CircuitBreakerOptions.js';
import { ConsecutiveTripRule } from './ConsecutiveTripRule.js';

// The counting every rule inherits, through the simplest rule.
describe('TripRule', () => {
  const options = resolveCircuitBreakerOptions({ failureThreshold: 100, samplingWindowMs: 1000, windowBuckets: 10 });

  it('counts calls, failures and slow calls in the window, and the streak', () => {
    const r = new ConsecutiveTripRule(options);
    r.recordSuccess(0, true);
    r.recordFailure(1);
    r.recordFailure(2);
    expect([r.window.calls, r.window.failures, r.window.slowCalls, r.streakAt(2)]).toEqual([3, 2, 1, 2]);
  });

  it('sets a restored streak that expires one window after it was set', () => {
    const r = new ConsecutiveTripRule(options);
    r.setStreak(4, 10);
    expect(r.streakAt(1009)).toBe(4);
    expect(r.streakAt(1010)).toBe(0);
  });

  it('re-buckets the window and lets the streak expire by the new length on reconfigure', () => {
    const r = new ConsecutiveTripRule(options);
    r.recordFailure(0);
    r.recordFailure(900);
    r.reconfigure(
      resolveCircuitBreakerOptions({ failureThreshold: 100, samplingWindowMs: 2000, windowBuckets: 4 }),
      950,
    );
    expect(r.window.windowMs).toBe(2000);
    expect(r.window.failures).toBe(2);
    expect(r.streakAt(1950)).toBe(2); // 1 050 ms after the newest failure: alive in a 2 s window
    expect(r.streakAt(2900)).toBe(0);
  });
});
