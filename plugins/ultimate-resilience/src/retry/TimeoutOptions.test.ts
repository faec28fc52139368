import { describe, expect, it } from 'vitest';
import { fieldOf } from '@datawarehouse/sdk/testing';
import { DEFAULT_TIMEOUT_OPTIONS, MAX_TIMEOUT_MS, resolveTimeoutOptions } from './TimeoutOptions.js';

describe('resolveTimeoutOptions', () => {
  it('defaults to no limits, frozen', () => {
    expect(DEFAULT_TIMEOUT_OPTIONS).toEqual({ attemptTimeoutMs: Infinity, overallTimeoutMs: Infinity });
    expect(Object.isFrozen(DEFAULT_TIMEOUT_OPTIONS)).toBe(true);
    expect(resolveTimeoutOptions(undefined)).toEqual(DEFAULT_TIMEOUT_OPTIONS);
    expect(resolveTimeoutOptions({})).toEqual(DEFAULT_TIMEOUT_OPTIONS);
  });

  it('lays the given timeouts over the base', () => {
    const a = resolveTimeoutOptions({ attemptTimeoutMs: 5_000 });
    expect(a).toEqual({ attemptTimeoutMs: 5_000, overallTimeoutMs: Infinity });
    expect(Object.isFrozen(a)).toBe(true);
    expect(resolveTimeoutOptions({ overallTimeoutMs: 10_000 }, 'timeout', a)).toEqual({
      attemptTimeoutMs: 5_000,
      overallTimeoutMs: 10_000,
    });
    expect(resolveTimeoutOptions({ attemptTimeoutMs: Infinity }, 'timeout', a).attemptTimeoutMs).toBe(Infinity);
    expect(resolveTimeoutOptions({ attemptTimeoutMs: MAX_TIMEOUT_MS }).attemptTimeoutMs).toBe(MAX_TIMEOUT_MS);
  });

  it('rejects a timeout that is not > 0 and <= 2^31 - 1 nor Infinity, naming the field', () => {
    for (const bad of [0, -1, NaN, -Infinity, MAX_TIMEOUT_MS + 1, '100', null]) {
      expect(fieldOf(() => resolveTimeoutOptions({ attemptTimeoutMs: bad }))).toBe('timeout.attemptTimeoutMs');
      expect(fieldOf(() => resolveTimeoutOptions({ overallTimeoutMs: bad }, 'strategies.x.timeout'))).toBe(
        'strategies.x.timeout.overallTimeoutMs',
      );
    }
  });

  it('rejects unknown keys and non-objects', () => {
    expect(fieldOf(() => resolveTimeoutOptions({ attemptTimeout: 5 }))).toBe('timeout.attemptTimeout');
    expect(fieldOf(() => resolveTimeoutOptions(5))).toBe('timeout');
  });
});
