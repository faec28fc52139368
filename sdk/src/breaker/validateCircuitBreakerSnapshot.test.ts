import { describe, expect, it } from 'vitest';
import { MAX_BREAK_DURATION_MS } from './CircuitBreakerOptions.js';
import { validateCircuitBreakerSnapshot } from './validateCircuitBreakerSnapshot.js';
import { fieldOf } from '../testing/index.js';

describe('validateCircuitBreakerSnapshot', () => {
  const valid = { state: 'open', remainingBreakMs: 1000, consecutiveFailures: 3, reason: 'failure-threshold' };

  it('returns a valid snapshot', () => {
    expect(validateCircuitBreakerSnapshot(valid)).toEqual(valid);
    expect(validateCircuitBreakerSnapshot({ ...valid, state: 'isolated', remainingBreakMs: Infinity }).state).toBe(
      'isolated',
    );
    expect(validateCircuitBreakerSnapshot({ ...valid, remainingBreakMs: MAX_BREAK_DURATION_MS }).remainingBreakMs).toBe(
      MAX_BREAK_DURATION_MS,
    );
  });

  it('names the offending field', () => {
    expect(fieldOf(() => validateCircuitBreakerSnapshot(null))).toBe('snapshot');
    expect(fieldOf(() => validateCircuitBreakerSnapshot({ ...valid, state: 'ajar' }))).toBe('snapshot.state');
    expect(fieldOf(() => validateCircuitBreakerSnapshot({ ...valid, remainingBreakMs: -1 }))).toBe(
      'snapshot.remainingBreakMs',
    );
    expect(fieldOf(() => validateCircuitBreakerSnapshot({ ...valid, remainingBreakMs: Infinity }))).toBe(
      'snapshot.remainingBreakMs',
    );
    expect(fieldOf(() => validateCircuitBreakerSnapshot({ ...valid, remainingBreakMs: Number.NaN }))).toBe(
      'snapshot.remainingBreakMs',
    );
    expect(
      fieldOf(() => validateCircuitBreakerSnapshot({ ...valid, remainingBreakMs: MAX_BREAK_DURATION_MS + 1 })),
    ).toBe('snapshot.remainingBreakMs');
    expect(fieldOf(() => validateCircuitBreakerSnapshot({ ...valid, consecutiveFailures: 1.5 }))).toBe(
      'snapshot.consecutiveFailures',
    );
    expect(fieldOf(() => validateCircuitBreakerSnapshot({ ...valid, reason: 42 }))).toBe('snapshot.reason');
    expect(fieldOf(() => validateCircuitBreakerSnapshot({ ...valid, reason: 'x'.repeat(300) }))).toBe(
      'snapshot.reason',
    );
    expect(fieldOf(() => validateCircuitBreakerSnapshot({ ...valid, extra: 1 }))).toBe('snapshot.extra');
  });
});
