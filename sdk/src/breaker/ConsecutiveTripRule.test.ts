import { describe, expect, it } from 'vitest';
import { resolveCircuitBreakerOptions } from './CircuitBreakerOptions.js';
import { ConsecutiveTripRule } from './ConsecutiveTripRule.js';

const rule = (options: object = {}) =>
  new ConsecutiveTripRule(
    resolveCircuitBreakerOptions({ failureThreshold: 3, samplingWindowMs: 1000, windowBuckets: 10, ...options }),
  );

describe('ConsecutiveTripRule', () => {
  it('trips on failureThreshold failures in a row, reported as failure-threshold', () => {
    const r = rule();
    expect(r.mode).toBe('consecutive');
    r.recordFailure(0);
    r.recordFailure(1);
    expect(r.shouldTrip(1)).toBeUndefined();
    r.recordFailure(2);
    expect(r.shouldTrip(2)).toBe('failure-threshold');
    expect(r.windowFailures(2)).toBe(3);
  });

  it('lets a success end the streak', () => {
    const r = rule();
    r.recordFailure(0);
    r.recordFailure(1);
    r.recordSuccess(2, false);
    r.recordFailure(3);
    expect(r.shouldTrip(3)).toBeUndefined();
    expect(r.windowFailures(3)).toBe(1);
  });

  it('lets the streak expire once its newest failure left the sampling window', () => {
    const r = rule();
    r.recordFailure(0);
    r.recordFailure(500);
    expect(r.streakAt(1499)).toBe(2);
    expect(r.streakAt(1500)).toBe(0);
    r.recordFailure(1500); // starts over
    expect(r.windowFailures(1500)).toBe(1);
  });

  it('asks after successes only when slow-call detection is on, and then trips on the slow-call rate', () => {
    expect(rule().checksOnSuccess).toBe(false);
    const r = rule({ slowCallDurationMs: 10, slowCallRateThreshold: 0.5, minimumThroughput: 4 });
    expect(r.checksOnSuccess).toBe(true);
    r.recordSuccess(0, true);
    r.recordSuccess(1, true);
    r.recordSuccess(2, false);
    expect(r.shouldTrip(2)).toBeUndefined(); // 3 calls < minimumThroughput
    r.recordSuccess(3, false);
    expect(r.shouldTrip(3)).toBe('slow-call-rate');
  });

  it('takes new thresholds in place, keeping the streak', () => {
    const r = rule();
    r.recordFailure(0);
    r.recordFailure(1);
    r.reconfigure(resolveCircuitBreakerOptions({ failureThreshold: 2, samplingWindowMs: 1000, windowBuckets: 10 }), 1);
    expect(r.shouldTrip(1)).toBe('failure-threshold');
    expect(r.checksOnSuccess).toBe(false);
    r.reconfigure(resolveCircuitBreakerOptions({ slowCallDurationMs: 5 }), 1);
    expect(r.checksOnSuccess).toBe(true);
  });

  it('forgets the streak and the window on reset', () => {
    const r = rule();
    r.recordFailure(0);
    r.recordFailure(1);
    r.recordFailure(2);
    r.reset();
    expect(r.shouldTrip(2)).toBeUndefined();
    expect([r.windowFailures(2), r.window.calls]).toEqual([0, 0]);
  });
});
