import { describe, expect, it } from 'vitest';
import { resolveCircuitBreakerOptions } from './CircuitBreakerOptions.js';
import { RateTripRule } from './RateTripRule.js';

const rule = (options: object = {}) =>
  new RateTripRule(
    resolveCircuitBreakerOptions({
      mode: 'rate',
      failureRateThreshold: 0.5,
      minimumThroughput: 4,
      samplingWindowMs: 1000,
      windowBuckets: 10,
      ...options,
    }),
  );

describe('RateTripRule', () => {
  it('does not trip before minimumThroughput calls are in the window', () => {
    const r = rule();
    expect(r.mode).toBe('rate');
    for (let t = 0; t < 3; t++) r.recordFailure(t);
    expect(r.shouldTrip(2)).toBeUndefined();
  });

  it('trips on the failure rate, also on a success that completes the minimum', () => {
    const r = rule();
    expect(r.checksOnSuccess).toBe(true);
    r.recordFailure(0);
    r.recordFailure(1);
    r.recordSuccess(2, false);
    r.recordSuccess(3, false); // 2 of 4 failed: 0.5
    expect(r.shouldTrip(3)).toBe('failure-rate');
    expect(r.windowFailures(3)).toBe(2);
  });

  it('stays closed below the rate and forgets calls that left the window', () => {
    const r = rule();
    r.recordFailure(0);
    for (let t = 1; t < 4; t++) r.recordSuccess(t, false);
    expect(r.shouldTrip(3)).toBeUndefined();
    r.recordFailure(1200);
    r.recordFailure(1201);
    expect(r.shouldTrip(1201)).toBeUndefined(); // only 2 calls left in the window
  });

  it('trips on the slow-call rate when detection is on', () => {
    const r = rule({ slowCallDurationMs: 10, slowCallRateThreshold: 0.75 });
    for (let t = 0; t < 3; t++) r.recordSuccess(t, true);
    r.recordSuccess(3, false);
    expect(r.shouldTrip(3)).toBe('slow-call-rate');
  });

  it('takes a new rate in place', () => {
    const r = rule();
    r.recordFailure(0);
    for (let t = 1; t < 4; t++) r.recordSuccess(t, false);
    r.reconfigure(
      resolveCircuitBreakerOptions({
        mode: 'rate',
        failureRateThreshold: 0.25,
        minimumThroughput: 4,
        samplingWindowMs: 1000,
        windowBuckets: 10,
      }),
      3,
    );
    expect(r.shouldTrip(3)).toBe('failure-rate');
  });
});
