import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { BackoffKind, RetryPolicyOptions } from '@datawarehouse/sdk';
import { fieldOf } from '@datawarehouse/sdk/testing';
import {
  BACKOFF_KINDS,
  DEFAULT_RETRY_OPTIONS,
  MAX_RETRY_DELAY_MS,
  computeRetryDelay,
  resolveRetryOptions,
} from './Backoff.js';

function opts(over: Partial<RetryPolicyOptions>): RetryPolicyOptions {
  return { ...DEFAULT_RETRY_OPTIONS, ...over };
}

const half = () => 0.5;

describe('computeRetryDelay', () => {
  it('waits 0 for immediate', () => {
    expect(computeRetryDelay(opts({ backoff: 'immediate' }), 3, 100, half)).toBe(0);
  });

  it('waits baseDelayMs every time for fixed', () => {
    const o = opts({ backoff: 'fixed', baseDelayMs: 200 });
    expect([1, 2, 3].map((n) => computeRetryDelay(o, n, 0, half))).toEqual([200, 200, 200]);
  });

  it('grows by baseDelayMs per retry for linear', () => {
    const o = opts({ backoff: 'linear', baseDelayMs: 100 });
    expect([1, 2, 3].map((n) => computeRetryDelay(o, n, 0, half))).toEqual([100, 200, 300]);
  });

  it('multiplies by factor per retry for exponential', () => {
    const o = opts({ backoff: 'exponential', baseDelayMs: 100, factor: 3 });
    expect([1, 2, 3, 4].map((n) => computeRetryDelay(o, n, 0, half))).toEqual([100, 300, 900, 2700]);
  });

  it('draws full jitter uniformly over [0, exponential] for exponential-jitter', () => {
    const o = opts({ backoff: 'exponential-jitter', baseDelayMs: 100, factor: 2 });
    expect(computeRetryDelay(o, 3, 0, () => 0)).toBe(0);
    expect(computeRetryDelay(o, 3, 0, () => 0.25)).toBe(100);
    expect(computeRetryDelay(o, 3, 0, () => 0.999)).toBeCloseTo(399.6, 6);
  });

  it('draws over [base, 3 * previous] for decorrelated-jitter, previous below base counting as base', () => {
    const o = opts({ backoff: 'decorrelated-jitter', baseDelayMs: 100, maxDelayMs: 10_000 });
    expect(computeRetryDelay(o, 1, 0, () => 0)).toBe(100);
    expect(computeRetryDelay(o, 1, 0, () => 0.5)).toBe(200); // [100, 300]
    expect(computeRetryDelay(o, 2, 1_000, () => 0.5)).toBe(1_550); // [100, 3000]
    expect(computeRetryDelay(o, 2, 1_000, () => 0)).toBe(100);
  });

  it('caps every kind at maxDelayMs', () => {
    for (const backoff of BACKOFF_KINDS) {
      const o = opts({ backoff, baseDelayMs: 1_000, maxDelayMs: 1_500, factor: 10 });
      expect(computeRetryDelay(o, 5, 1e9, () => 0.9999)).toBeLessThanOrEqual(1_500);
    }
    expect(computeRetryDelay(opts({ backoff: 'exponential', baseDelayMs: 1_000, maxDelayMs: 1_500 }), 5, 0, half)).toBe(
      1_500,
    );
    expect(computeRetryDelay(opts({ backoff: 'linear', baseDelayMs: 1_000, maxDelayMs: 1_500 }), 5, 0, half)).toBe(
      1_500,
    );
  });

  it('never returns NaN, a negative or more than maxDelayMs, whatever the valid options and random source (property)', () => {
    const kind = fc.constantFrom<BackoffKind>(...BACKOFF_KINDS);
    fc.assert(
      fc.property(
        kind,
        fc.double({ min: 0, max: 100_000, noNaN: true }),
        fc.double({ min: 0, max: MAX_RETRY_DELAY_MS, noNaN: true }),
        fc.double({ min: 1, max: 1e6, noNaN: true }),
        fc.integer({ min: 1, max: 100 }),
        fc.double({ min: -1e300, max: 1e300 }),
        fc.oneof(fc.double(), fc.constantFrom(NaN, Infinity, -Infinity, 1, 0)),
        (backoff, base, extra, factor, retry, prev, r) => {
          const o = opts({
            backoff,
            baseDelayMs: base,
            maxDelayMs: Math.min(MAX_RETRY_DELAY_MS, base + extra),
            factor,
          });
          const d = computeRetryDelay(o, retry, prev, () => r);
          expect(Number.isNaN(d)).toBe(false);
          expect(d).toBeGreaterThanOrEqual(0);
          expect(d).toBeLessThanOrEqual(o.maxDelayMs);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('returns 0 rather than NaN when baseDelayMs is 0 and the power overflows', () => {
    const o = opts({ backoff: 'exponential', baseDelayMs: 0, factor: 1e6 });
    expect(computeRetryDelay(o, 100, 0, half)).toBe(0);
  });

  describe('with honorRetryAfter', () => {
    const throttled = (retryAfterMs: unknown) => Object.assign(new Error('HTTP 429'), { retryAfterMs });

    it('waits at least the hint the error carries, for every backoff kind', () => {
      for (const backoff of BACKOFF_KINDS) {
        const o = opts({ backoff, baseDelayMs: 10, maxDelayMs: 60_000, honorRetryAfter: true });
        expect(computeRetryDelay(o, 1, 0, half, throttled(5_000)), backoff).toBe(5_000);
      }
    });

    it('keeps the backoff delay when it is longer than the hint', () => {
      const o = opts({ backoff: 'fixed', baseDelayMs: 2_000, honorRetryAfter: true });
      expect(computeRetryDelay(o, 1, 0, half, throttled(500))).toBe(2_000);
      expect(computeRetryDelay(o, 1, 0, half, throttled(0))).toBe(2_000);
    });

    it('caps the hint at maxDelayMs', () => {
      const o = opts({ backoff: 'immediate', maxDelayMs: 1_000, honorRetryAfter: true });
      expect(computeRetryDelay(o, 1, 0, half, throttled(120_000))).toBe(1_000);
      expect(computeRetryDelay(o, 1, 0, half, throttled(1e300))).toBe(1_000);
    });

    it('ignores an absent or invalid hint', () => {
      const o = opts({ backoff: 'fixed', baseDelayMs: 200, honorRetryAfter: true });
      for (const error of [new Error('x'), throttled(-5), throttled(NaN), throttled('9'), null, undefined, 'str']) {
        expect(computeRetryDelay(o, 1, 0, half, error)).toBe(200);
      }
    });

    it('ignores the hint when the option is off (the default)', () => {
      expect(computeRetryDelay(opts({ backoff: 'fixed', baseDelayMs: 200 }), 1, 0, half, throttled(5_000))).toBe(200);
      const off = opts({ backoff: 'fixed', baseDelayMs: 200, honorRetryAfter: false });
      expect(computeRetryDelay(off, 1, 0, half, throttled(5_000))).toBe(200);
    });

    it('never returns NaN, a negative or more than maxDelayMs, whatever the hint (property)', () => {
      fc.assert(
        fc.property(
          fc.constantFrom<BackoffKind>(...BACKOFF_KINDS),
          fc.double({ min: 0, max: 60_000, noNaN: true }),
          fc.anything(),
          (backoff, maxDelayMs, hint) => {
            const o = opts({ backoff, baseDelayMs: 0, maxDelayMs, honorRetryAfter: true });
            const d = computeRetryDelay(o, 2, 0, Math.random, throttled(hint));
            expect(d).toBeGreaterThanOrEqual(0);
            expect(d).toBeLessThanOrEqual(maxDelayMs);
          },
        ),
      );
    });
  });

  it('rejects a retry number that is not an integer >= 1, naming retry', () => {
    for (const n of [0, -1, 1.5, NaN])
      expect(fieldOf(() => computeRetryDelay(DEFAULT_RETRY_OPTIONS, n, 0, half))).toBe('retry');
  });
});

describe('resolveRetryOptions', () => {
  it('has frozen defaults: 3 retries, exponential-jitter 100 ms .. 30 s, factor 2, no budget, 10/s floor, no Retry-After', () => {
    expect(DEFAULT_RETRY_OPTIONS).toEqual({
      maxRetries: 3,
      backoff: 'exponential-jitter',
      baseDelayMs: 100,
      maxDelayMs: 30_000,
      factor: 2,
      budgetRatio: undefined,
      budgetMinRetriesPerSecond: 10,
      honorRetryAfter: false,
    });
    expect(Object.isFrozen(DEFAULT_RETRY_OPTIONS)).toBe(true);
    expect(resolveRetryOptions(undefined)).toEqual(DEFAULT_RETRY_OPTIONS);
    expect(resolveRetryOptions({})).toEqual(DEFAULT_RETRY_OPTIONS);
  });

  it('lays the given fields over the base and freezes the result', () => {
    const r = resolveRetryOptions({ backoff: 'fixed', baseDelayMs: 200, maxRetries: 0, budgetRatio: 0.2 });
    expect(r).toMatchObject({
      backoff: 'fixed',
      baseDelayMs: 200,
      maxRetries: 0,
      budgetRatio: 0.2,
      maxDelayMs: 30_000,
    });
    expect(Object.isFrozen(r)).toBe(true);
    const again = resolveRetryOptions({ factor: 3 }, 'retry', r);
    expect(again).toMatchObject({ backoff: 'fixed', baseDelayMs: 200, factor: 3, budgetRatio: 0.2 });
  });

  it('turns honorRetryAfter on and off, keeping the base when absent', () => {
    const on = resolveRetryOptions({ honorRetryAfter: true });
    expect(on.honorRetryAfter).toBe(true);
    expect(resolveRetryOptions({ maxRetries: 1 }, 'retry', on).honorRetryAfter).toBe(true);
    expect(resolveRetryOptions({ honorRetryAfter: false }, 'retry', on).honorRetryAfter).toBe(false);
  });

  it('names the field and the value of a bad honorRetryAfter', () => {
    expect(() => resolveRetryOptions({ honorRetryAfter: 'yes' }, 'strategies.api.retry')).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_CONFIGURATION', field: 'strategies.api.retry.honorRetryAfter' }),
    );
    expect(() => resolveRetryOptions({ honorRetryAfter: 'yes' })).toThrow(/yes/);
  });

  it('switches the budget off with undefined or null', () => {
    const base = resolveRetryOptions({ budgetRatio: 0.5 });
    expect(resolveRetryOptions({ budgetRatio: null }, 'retry', base).budgetRatio).toBeUndefined();
    expect(resolveRetryOptions({ budgetRatio: undefined }, 'retry', base).budgetRatio).toBeUndefined();
    expect(resolveRetryOptions({}, 'retry', base).budgetRatio).toBe(0.5);
  });

  it('names the bad field for every invalid value', () => {
    const cases: [unknown, string][] = [
      [{ maxRetries: -1 }, 'retry.maxRetries'],
      [{ maxRetries: 1.5 }, 'retry.maxRetries'],
      [{ maxRetries: 101 }, 'retry.maxRetries'],
      [{ backoff: 'exponentail' }, 'retry.backoff'],
      [{ baseDelayMs: -1 }, 'retry.baseDelayMs'],
      [{ baseDelayMs: NaN }, 'retry.baseDelayMs'],
      [{ maxDelayMs: Infinity }, 'retry.maxDelayMs'],
      [{ maxDelayMs: 2 ** 31 }, 'retry.maxDelayMs'],
      [{ factor: 0.5 }, 'retry.factor'],
      [{ budgetRatio: 11 }, 'retry.budgetRatio'],
      [{ budgetRatio: -0.1 }, 'retry.budgetRatio'],
      [{ budgetMinRetriesPerSecond: -1 }, 'retry.budgetMinRetriesPerSecond'],
      [{ maxRetrys: 3 }, 'retry.maxRetrys'],
      [{ honorRetryAfter: 'yes' }, 'retry.honorRetryAfter'],
      [{ honorRetryAfter: 1 }, 'retry.honorRetryAfter'],
      [{ honorRetryAfter: null }, 'retry.honorRetryAfter'],
      [{ honorRetryAfter: undefined }, 'retry.honorRetryAfter'],
      [{ maxRetries: undefined }, 'retry.maxRetries'],
      [null, 'retry'],
      [[1], 'retry'],
    ];
    for (const [input, field] of cases) expect(fieldOf(() => resolveRetryOptions(input))).toBe(field);
  });

  it('checks maxDelayMs >= baseDelayMs, naming retry.maxDelayMs, also against the base', () => {
    expect(fieldOf(() => resolveRetryOptions({ baseDelayMs: 500, maxDelayMs: 100 }))).toBe('retry.maxDelayMs');
    expect(fieldOf(() => resolveRetryOptions({ baseDelayMs: 60_000 }))).toBe('retry.maxDelayMs');
    expect(fieldOf(() => resolveRetryOptions({ maxDelayMs: 50 }))).toBe('retry.maxDelayMs');
    expect(resolveRetryOptions({ baseDelayMs: 60_000, maxDelayMs: 60_000 }).maxDelayMs).toBe(60_000);
  });

  it('prefixes error fields with the given path', () => {
    expect(fieldOf(() => resolveRetryOptions({ factor: 0 }, 'strategies.db.retry'))).toBe('strategies.db.retry.factor');
  });
});
