import { describe, expect, it } from 'vitest';
import { resolveCircuitBreakerOptions } from './CircuitBreakerOptions.js';
import { ConsecutiveTripRule } from './ConsecutiveTripRule.js';
import { CountTripRule } from './CountTripRule.js';
import { createTripRule } from './createTripRule.js';
import { RateTripRule } from './RateTripRule.js';

describe('createTripRule', () => {
  it('builds the rule object of the mode', () => {
    expect(createTripRule(resolveCircuitBreakerOptions({}))).toBeInstanceOf(ConsecutiveTripRule);
    expect(createTripRule(resolveCircuitBreakerOptions({ mode: 'count' }))).toBeInstanceOf(CountTripRule);
    expect(createTripRule(resolveCircuitBreakerOptions({ mode: 'rate' }))).toBeInstanceOf(RateTripRule);
  });

  it('hands the counts of the rule it replaces to the new mode: window, streak and its expiry', () => {
    const options = { failureThreshold: 3, samplingWindowMs: 1000, windowBuckets: 10 };
    const before = createTripRule(resolveCircuitBreakerOptions({ ...options, mode: 'count' }));
    before.recordFailure(0);
    before.recordFailure(100);
    const after = createTripRule(resolveCircuitBreakerOptions({ ...options, mode: 'consecutive' }), before);
    expect(after.window).toBe(before.window);
    expect(after.streakAt(100)).toBe(2);
    after.recordFailure(200);
    expect(after.shouldTrip(200)).toBe('failure-threshold');
    expect(after.streakAt(1200)).toBe(0); // expires as it would have
  });
});
