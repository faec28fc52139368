import { SdkCompatibility } from '@datawarehouse/sdk';
import { validateNumber } from '@datawarehouse/sdk/internals';
import { WindowedCounter } from '../metrics/WindowedCounter.js';
import { MAX_BUDGET_RATIO } from './Backoff.js';

const ATTEMPTS = 0;
const RETRIES = 1;
const BUCKETS = 10;

/** Counters of a {@link RetryBudget}. @since 6.0.0 */
export interface RetryBudgetStatistics {
  readonly ratio: number;
  readonly minRetriesPerSecond: number;
  readonly windowMs: number;
  /** First attempts counted in the window now. */
  readonly windowAttempts: number;
  /** Retries granted in the window now. */
  readonly windowRetries: number;
  /** Retries granted since creation. */
  readonly granted: number;
  /** Retries refused since creation (the budget was spent). */
  readonly refused: number;
}

/**
 * Caps retries at a fraction of first attempts over a sliding window, so that a failing
 * downstream sees at most `(1 + ratio)` times its normal load instead of `(1 + maxRetries)`
 * times (a retry storm). A retry is granted while
 * `retries < ratio * attempts + minRetriesPerSecond * windowMs / 1000` within the window
 * (a {@link WindowedCounter} of 10 buckets); the floor keeps low-traffic callers retrying.
 *
 * @example
 * ```ts
 * const budget = new RetryBudget(0.2, 10);
 * budget.recordAttempt(now);            // every first try
 * if (budget.tryConsumeRetry(now)) ...  // before every retry
 * ```
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class RetryBudget {
  private readonly window: WindowedCounter;
  // Reused by every tryConsumeRetry: both sums in one pass over the window, no allocation.
  private readonly scratch = new Float64Array(2);
  private ratioValue: number;
  private minPerSecond: number;
  // The floor as a count over the window, recomputed on reconfigure.
  private floor: number;
  private grantedCount = 0;
  private refusedCount = 0;

  /**
   * @param ratio - retries allowed per first attempt in the window, in [0, 10].
   * @param minRetriesPerSecond - retries always allowed per second, finite >= 0.
   * @param windowMs - length of the window, ms > 0. Default 10 000.
   * @throws {@link InvalidConfigurationError} naming `retry.budgetRatio`,
   *   `retry.budgetMinRetriesPerSecond` or `windowMs`.
   */
  constructor(
    ratio: number,
    minRetriesPerSecond: number,
    readonly windowMs = 10_000,
  ) {
    this.window = new WindowedCounter(windowMs, BUCKETS, 2);
    this.ratioValue = validateRatio(ratio);
    this.minPerSecond = validateMin(minRetriesPerSecond);
    this.floor = (this.minPerSecond * windowMs) / 1000;
  }

  /** Retries allowed per first attempt. */
  get ratio(): number {
    return this.ratioValue;
  }

  /** Retries always allowed per second. */
  get minRetriesPerSecond(): number {
    return this.minPerSecond;
  }

  /** Counts a first attempt (not a retry). O(1). @throws {@link InvalidConfigurationError} (field `nowMs`). */
  recordAttempt(nowMs: number): void {
    this.window.add(ATTEMPTS, 1, nowMs);
  }

  /**
   * Grants (and counts) one retry when the window's budget allows it; false otherwise.
   * O(window buckets). @throws {@link InvalidConfigurationError} (field `nowMs`).
   */
  tryConsumeRetry(nowMs: number): boolean {
    const sums = this.window.sums(nowMs, this.scratch);
    if (sums[RETRIES]! < this.ratioValue * sums[ATTEMPTS]! + this.floor) {
      this.window.add(RETRIES, 1, nowMs);
      this.grantedCount++;
      return true;
    }
    this.refusedCount++;
    return false;
  }

  /**
   * Changes the ratio and the floor in place; the window's counts are kept.
   * @throws {@link InvalidConfigurationError} naming `retry.budgetRatio` or
   *   `retry.budgetMinRetriesPerSecond`; nothing changes then.
   */
  reconfigure(ratio: number, minRetriesPerSecond: number): void {
    const r = validateRatio(ratio);
    const m = validateMin(minRetriesPerSecond);
    this.ratioValue = r;
    this.minPerSecond = m;
    this.floor = (m * this.windowMs) / 1000;
  }

  /** A snapshot of the settings, the window's counts at `nowMs` and the lifetime counters. */
  getStatistics(nowMs: number): RetryBudgetStatistics {
    return {
      ratio: this.ratioValue,
      minRetriesPerSecond: this.minPerSecond,
      windowMs: this.windowMs,
      windowAttempts: this.window.sum(ATTEMPTS, nowMs),
      windowRetries: this.window.sum(RETRIES, nowMs),
      granted: this.grantedCount,
      refused: this.refusedCount,
    };
  }
}

function validateRatio(ratio: number): number {
  return validateNumber('retry.budgetRatio', ratio, 0, MAX_BUDGET_RATIO);
}

function validateMin(min: number): number {
  return validateNumber('retry.budgetMinRetriesPerSecond', min, 0);
}
