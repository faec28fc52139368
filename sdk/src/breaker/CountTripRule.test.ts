import { describe, expect, it } from 'vitest';
import { resolveCircuitBreakerOptions } from './CircuitBreakerOptions.js';
import { CountTripRule } from './CountTripRule.js';

const rule = (options: object = {}) =>
  new CountTripRule(
    resolveCircuitBreakerOptions({
      mode: 'count',
      failureThreshold: 3,
      samplingWindowMs: 1000,
      windowBuckets: 10,
      ...options,
    }),
  );

describe('CountTripRule', () => {
  it('trips when failureThreshold failures are in the window, successes notwithstanding', () => {
    const r = rule();
    expect(r.mode).toBe('count');
    r.recordFailure(0);
    r.recordSuccess(1, false);
    r.recordFailure(2);
    r.recordSuccess(3, false);
    expect(r.shouldTrip(3)).toBeUndefined();
    r.recordFailure(4);
    expect(r.shouldTrip(4)).toBe('failure-threshold');
    expect(r.windowFailures(4)).toBe(3);
  });

  it('never counts failures that left the window', () => {
    const r = rule();
    r.recordFailure(0);
    r.recordFailure(50);
    r.recordFailure(1100);
    expect(r.shouldTrip(1100)).toBeUndefined();
    expect(r.windowFailures(1100)).toBe(1);
  });

  it('asks after successes only when slow-call detection is on, and then trips on the slow-call rate', () => {
    expect(rule().checksOnSuccess).toBe(false);
    const r = rule({ slowCallDurationMs: 10, slowCallRateThreshold: 1, minimumThroughput: 2 });
    expect(r.checksOnSuccess).toBe(true);
    r.recordSuccess(0, true);
    expect(r.shouldTrip(0)).toBeUndefined();
    r.recordSuccess(1, true);
    expect(r.shouldTrip(1)).toBe('slow-call-rate');
  });

  it('applies a lowered threshold from the next question, and forgets everything on reset', () => {
    const r = rule();
    r.recordFailure(0);
    r.recordFailure(1);
    r.reconfigure(
      resolveCircuitBreakerOptions({ mode: 'count', failureThreshold: 2, samplingWindowMs: 1000, windowBuckets: 10 }),
      1,
    );
    expect(r.shouldTrip(1)).toBe('failure-threshold');
    r.reset();
    expect(r.shouldTrip(1)).toBeUndefined();
    expect(r.window.calls).toBe(0);
  });
});
