import { describe, expect, it } from 'vitest';
import {
  DEFAULT_CIRCUIT_BREAKER_OPTIONS,
  MAX_BREAK_DURATION_MS,
  resolveCircuitBreakerOptions,
} from './CircuitBreakerOptions.js';
import { requireConfigError } from '../testing/index.js';

describe('resolveCircuitBreakerOptions', () => {
  it('has frozen defaults matching the contract', () => {
    expect(Object.isFrozen(DEFAULT_CIRCUIT_BREAKER_OPTIONS)).toBe(true);
    expect(DEFAULT_CIRCUIT_BREAKER_OPTIONS).toEqual({
      mode: 'consecutive',
      failureThreshold: 5,
      failureRateThreshold: 0.5,
      minimumThroughput: 10,
      samplingWindowMs: 60_000,
      windowBuckets: 10,
      breakDurationMs: 30_000,
      halfOpenMaxAttempts: 1,
      halfOpenSuccessThreshold: 1,
      slowCallDurationMs: undefined,
      slowCallRateThreshold: 1,
    });
  });

  it('returns the base for undefined input and a frozen full object for a partial', () => {
    expect(resolveCircuitBreakerOptions(undefined)).toBe(DEFAULT_CIRCUIT_BREAKER_OPTIONS);
    const o = resolveCircuitBreakerOptions({ mode: 'rate', failureRateThreshold: 0.25, slowCallDurationMs: 200 });
    expect(Object.isFrozen(o)).toBe(true);
    expect(o).toEqual({
      ...DEFAULT_CIRCUIT_BREAKER_OPTIONS,
      mode: 'rate',
      failureRateThreshold: 0.25,
      slowCallDurationMs: 200,
    });
  });

  it('resolves over a given base, treating undefined values as absent', () => {
    const base = resolveCircuitBreakerOptions({ failureThreshold: 9, slowCallDurationMs: 100 });
    const o = resolveCircuitBreakerOptions({ breakDurationMs: 5, failureThreshold: undefined }, 'x', base);
    expect(o.failureThreshold).toBe(9);
    expect(o.breakDurationMs).toBe(5);
    expect(o.slowCallDurationMs).toBe(100);
  });

  it('disables slow-call detection with an explicit undefined or null', () => {
    const base = resolveCircuitBreakerOptions({ slowCallDurationMs: 100 });
    expect(
      resolveCircuitBreakerOptions({ slowCallDurationMs: undefined }, 'cb', base).slowCallDurationMs,
    ).toBeUndefined();
    expect(resolveCircuitBreakerOptions({ slowCallDurationMs: null }, 'cb', base).slowCallDurationMs).toBeUndefined();
  });

  it.each([
    [{ failureThreshold: 0 }, 'circuitBreaker.failureThreshold'],
    [{ failureThreshold: 2.5 }, 'circuitBreaker.failureThreshold'],
    [{ failureThreshold: '5' }, 'circuitBreaker.failureThreshold'],
    [{ failureThreshold: Number.NaN }, 'circuitBreaker.failureThreshold'],
    [{ failureRateThreshold: 0 }, 'circuitBreaker.failureRateThreshold'],
    [{ failureRateThreshold: 1.1 }, 'circuitBreaker.failureRateThreshold'],
    [{ minimumThroughput: -1 }, 'circuitBreaker.minimumThroughput'],
    [{ samplingWindowMs: 0 }, 'circuitBreaker.samplingWindowMs'],
    [{ samplingWindowMs: 0.5 }, 'circuitBreaker.samplingWindowMs'],
    [{ samplingWindowMs: Infinity }, 'circuitBreaker.samplingWindowMs'],
    [{ windowBuckets: 0 }, 'circuitBreaker.windowBuckets'],
    [{ windowBuckets: 1001 }, 'circuitBreaker.windowBuckets'],
    [{ breakDurationMs: -5 }, 'circuitBreaker.breakDurationMs'],
    [{ breakDurationMs: 0 }, 'circuitBreaker.breakDurationMs'],
    [{ breakDurationMs: MAX_BREAK_DURATION_MS + 1 }, 'circuitBreaker.breakDurationMs'],
    [{ breakDurationMs: Number.MAX_VALUE }, 'circuitBreaker.breakDurationMs'],
    [{ breakDurationMs: Infinity }, 'circuitBreaker.breakDurationMs'],
    [{ halfOpenMaxAttempts: 0 }, 'circuitBreaker.halfOpenMaxAttempts'],
    [{ halfOpenSuccessThreshold: 1.2 }, 'circuitBreaker.halfOpenSuccessThreshold'],
    [{ slowCallDurationMs: 0 }, 'circuitBreaker.slowCallDurationMs'],
    [{ slowCallDurationMs: 'fast' }, 'circuitBreaker.slowCallDurationMs'],
    [{ slowCallRateThreshold: -0.1 }, 'circuitBreaker.slowCallRateThreshold'],
    [{ mode: 'sometimes' }, 'circuitBreaker.mode'],
    [{ failureTreshold: 5 }, 'circuitBreaker.failureTreshold'],
  ])('rejects %o naming %s', (input, field) => {
    const e = requireConfigError(() => resolveCircuitBreakerOptions(input));
    expect(e.field).toBe(field);
    expect(e.value).toEqual(Object.values(input)[0]);
  });

  it('rejects a non-object and uses the given field prefix', () => {
    expect(requireConfigError(() => resolveCircuitBreakerOptions(42)).field).toBe('circuitBreaker');
    expect(requireConfigError(() => resolveCircuitBreakerOptions([])).field).toBe('circuitBreaker');
    expect(
      requireConfigError(() => resolveCircuitBreakerOptions({ windowBuckets: 0 }, 'strategies.db.circuitBreaker'))
        .field,
    ).toBe('strategies.db.circuitBreaker.windowBuckets');
  });

  it('accepts a break of up to 365 days (the longest other nodes accept) and names the bound when refusing a longer one', () => {
    expect(MAX_BREAK_DURATION_MS).toBe(365 * 24 * 3_600_000);
    expect(resolveCircuitBreakerOptions({ breakDurationMs: MAX_BREAK_DURATION_MS }).breakDurationMs).toBe(
      MAX_BREAK_DURATION_MS,
    );
    const e = requireConfigError(() =>
      resolveCircuitBreakerOptions({ breakDurationMs: Number.MAX_VALUE }, 'strategies.db.circuitBreaker'),
    );
    expect(e.code).toBe('ERR_INVALID_CONFIGURATION');
    expect(e.field).toBe('strategies.db.circuitBreaker.breakDurationMs');
    expect(e.message).toContain(String(MAX_BREAK_DURATION_MS));
  });
});
