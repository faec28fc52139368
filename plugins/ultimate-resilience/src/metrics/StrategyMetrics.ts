import { SdkCompatibility } from '@datawarehouse/sdk';
import { WindowedCounter } from '../metrics/WindowedCounter.js';
import { WindowedHistogram } from '../metrics/WindowedHistogram.js';

/** Fields of the windowed counter. @internal */
export const WindowField = Object.freeze({ Calls: 0, Successes: 1, Failures: 2, Retries: 3, Rejections: 4 });
const FIELD_COUNT = 5;

/** Why a call was refused without reaching the downstream. @since 6.0.0 */
export type RejectionCause = 'circuitOpen' | 'bulkhead' | 'rateLimited';

/**
 * Counters of one strategy: lifetime totals in plain fields (a `++` each), rates over a
 * sliding window, and attempt latency over a bounded window (log-scale histogram; see
 * {@link WindowedHistogram} for the error bound). Rejected calls never reach the latency
 * histogram, so they cannot pull the percentiles down.
 * @internal
 */
@SdkCompatibility('6.0.0')
export class StrategyMetrics {
  /** Calls that ended with an outcome: success, failure or rejection. */
  calls = 0;
  successes = 0;
  failures = 0;
  attempts = 0;
  /** Calls that ended with an ignored error or a nested rejection (see {@link StrategyMetrics.passedThrough}). */
  passed = 0;
  retries = 0;
  timeouts = 0;
  /** Calls the caller aborted (not counted in `calls`: they have no outcome). */
  aborted = 0;
  fallbacks = 0;
  retryBudgetExhausted = 0;
  /**
   * Retries not made because no bulkhead slot could be had for them (the previous attempt's
   * operation, abandoned but still running, keeps its slot): the call failed with its last error.
   */
  retrySlotRefused = 0;
  /**
   * Operations abandoned (timed out, or aborted by the caller) that are still running in the
   * downstream — a gauge. With a bulkhead, each holds one slot until it settles: an operation
   * that never settles holds its slot for good, and this is where an operator sees it.
   */
  abandonedRunning = 0;
  rejectedCircuitOpen = 0;
  rejectedBulkhead = 0;
  rejectedRateLimited = 0;
  /** `clock.now()` of the last rejection (-Infinity if none). */
  lastRejectionAt = -Infinity;
  readonly window: WindowedCounter;
  readonly latency: WindowedHistogram;

  constructor(readonly windowMs: number) {
    this.window = new WindowedCounter(windowMs, 12, FIELD_COUNT);
    // 3 slices: the window covers the last 40-60 s at 5.4 KiB (4 slices: 45-60 s at 7.3 KiB).
    this.latency = new WindowedHistogram(windowMs, 3);
  }

  /** A call ended with a value from the downstream after an attempt of `durationMs`. */
  succeeded(durationMs: number, now: number): void {
    this.calls++;
    this.successes++;
    this.window.addPair(WindowField.Calls, WindowField.Successes, now);
    this.latency.record(durationMs, now);
  }

  /** A call ended with a downstream failure (after its retries). */
  failed(now: number): void {
    this.calls++;
    this.failures++;
    this.window.addPair(WindowField.Calls, WindowField.Failures, now);
  }

  /**
   * A call ended with an error that passed through untouched: an ignored error (an answer such
   * as "not found") or a rejection from a nested pipeline. Neither success nor failure.
   */
  passedThrough(now: number): void {
    this.calls++;
    this.passed++;
    this.window.add(WindowField.Calls, 1, now);
  }

  /** A retry was made (after its backoff). */
  retried(now: number): void {
    this.retries++;
    this.window.add(WindowField.Retries, 1, now);
  }

  /** A call was refused before reaching the downstream. */
  reject(cause: RejectionCause, now: number): void {
    this.calls++;
    if (cause === 'circuitOpen') this.rejectedCircuitOpen++;
    else if (cause === 'bulkhead') this.rejectedBulkhead++;
    else this.rejectedRateLimited++;
    this.lastRejectionAt = now;
    this.window.addPair(WindowField.Calls, WindowField.Rejections, now);
  }

  /** Rates over the window, computed on read. */
  rates(now: number): { calls: number; errorRate: number; retryRate: number; rejections: number } {
    const w = this.window;
    const calls = w.sum(WindowField.Calls, now);
    const ok = w.sum(WindowField.Successes, now);
    const failed = w.sum(WindowField.Failures, now);
    const retries = w.sum(WindowField.Retries, now);
    const completed = ok + failed;
    return {
      calls,
      errorRate: completed === 0 ? 0 : failed / completed,
      retryRate: calls === 0 ? 0 : retries / calls,
      rejections: w.sum(WindowField.Rejections, now),
    };
  }
}
