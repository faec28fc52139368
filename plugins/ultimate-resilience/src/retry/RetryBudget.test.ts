import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { getSdkCompatibility } from '@datawarehouse/sdk';
import { fieldOf } from '@datawarehouse/sdk/testing';
import { RetryBudget } from './RetryBudget.js';

function grantRun(budget: RetryBudget, now: number, max: number): number {
  let n = 0;
  while (n < max && budget.tryConsumeRetry(now)) n++;
  return n;
}

describe('RetryBudget', () => {
  it('is decorated for SDK 6.0.0', () => {
    expect(getSdkCompatibility(RetryBudget)?.sdkVersion).toBe('6.0.0');
  });

  it('grants retries up to ratio * first attempts in the window', () => {
    const budget = new RetryBudget(0.2, 0);
    for (let i = 0; i < 100; i++) budget.recordAttempt(i);
    expect(grantRun(budget, 100, 1_000)).toBe(20);
    expect(budget.tryConsumeRetry(100)).toBe(false);
    expect(budget.getStatistics(100)).toMatchObject({
      windowAttempts: 100,
      windowRetries: 20,
      granted: 20,
      refused: 2,
    });
  });

  it('always grants minRetriesPerSecond * window seconds, even without traffic', () => {
    const budget = new RetryBudget(0, 10, 10_000);
    expect(grantRun(budget, 0, 1_000)).toBe(100);
    expect(budget.tryConsumeRetry(0)).toBe(false);
  });

  it('refills as retries leave the window', () => {
    const budget = new RetryBudget(0, 1, 10_000); // 10 per window
    expect(grantRun(budget, 0, 100)).toBe(10);
    expect(budget.tryConsumeRetry(9_999)).toBe(false);
    expect(grantRun(budget, 10_000, 100)).toBe(10);
  });

  it('grants a retry exactly when the window holds fewer than ratio * attempts + floor retries (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 2, noNaN: true }),
        fc.integer({ min: 0, max: 5 }),
        fc.array(
          fc.record({
            gap: fc.integer({ min: 0, max: 500 }),
            attempts: fc.integer({ min: 0, max: 5 }),
            retries: fc.integer({ min: 0, max: 20 }),
          }),
          { maxLength: 100 },
        ),
        (ratio, minPerSecond, steps) => {
          const windowMs = 2_000;
          const budget = new RetryBudget(ratio, minPerSecond, windowMs);
          const bucketMs = windowMs / 10;
          const attempts: number[] = [];
          const granted: number[] = [];
          let t = 0;
          for (const s of steps) {
            t += s.gap;
            for (let i = 0; i < s.attempts; i++) {
              budget.recordAttempt(t);
              attempts.push(t);
            }
            const current = Math.floor(t / bucketMs);
            const inWindow = (x: number) => Math.floor(x / bucketMs) > current - 10;
            const allowed = ratio * attempts.filter(inWindow).length + (minPerSecond * windowMs) / 1000;
            for (let i = 0; i < s.retries; i++) {
              const expected = granted.filter(inWindow).length < allowed;
              expect(budget.tryConsumeRetry(t)).toBe(expected);
              if (expected) {
                granted.push(t);
                // A grant never takes the window past the budget (rounded up: it may start just below it).
                expect(granted.filter(inWindow).length).toBeLessThanOrEqual(Math.ceil(allowed));
              }
            }
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('reconfigures in place, keeping the window counts', () => {
    const budget = new RetryBudget(0, 1, 10_000);
    expect(grantRun(budget, 0, 100)).toBe(10);
    budget.reconfigure(0, 2);
    expect(budget.minRetriesPerSecond).toBe(2);
    expect(grantRun(budget, 1, 100)).toBe(10); // 20 allowed, 10 already spent
    budget.reconfigure(0.5, 0);
    expect(budget.ratio).toBe(0.5);
    expect(budget.tryConsumeRetry(2)).toBe(false);
  });

  it('rejects bad settings naming the field, and changes nothing then', () => {
    expect(fieldOf(() => new RetryBudget(-1, 10))).toBe('retry.budgetRatio');
    expect(fieldOf(() => new RetryBudget(11, 10))).toBe('retry.budgetRatio');
    expect(fieldOf(() => new RetryBudget(0.1, NaN))).toBe('retry.budgetMinRetriesPerSecond');
    expect(fieldOf(() => new RetryBudget(0.1, 1, 0))).toBe('windowMs');
    const budget = new RetryBudget(0.1, 1);
    expect(fieldOf(() => budget.reconfigure(0.5, -1))).toBe('retry.budgetMinRetriesPerSecond');
    expect(budget.ratio).toBe(0.1);
    expect(fieldOf(() => budget.tryConsumeRetry(NaN))).toBe('nowMs');
  });
});
