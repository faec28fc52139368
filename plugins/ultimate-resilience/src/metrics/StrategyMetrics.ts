import { SdkCompatibility } from '@datawarehouse/sdk';
import { WindowedCounter } from '../metrics/WindowedCounter.js';
import { WindowedHistogram } from '../metrics/WindowedHistogram.js';

/** Fields of the windowed counter. @internal */
export const WindowField = Object.freeze({ Calls: 0, Successes: 1, Failures: 2, Retries: 3, Rejections: 4 });
const FIELD_COUNT = 5;
/** Successes staged before they are written to the windows (see {@link StrategyMetrics}). */
const STAGE_SIZE = 32;

/** Why a call was refused without reaching the downstream. @since 6.0.0 */
export type RejectionCause = 'circuitOpen' | 'bulkhead' | 'rateLimited';

/**
 * Counters of one strategy: lifetime totals in plain fields (a `++` each), rates over a
 * sliding window, and attempt latency over a bounded window (log-scale histogram; see
 * {@link WindowedHistogram} for the error bound). Rejected calls never reach the latency
 * histogram, so they cannot pull the percentiles down.
 *
 * A success — the common call's outcome — is staged: its duration and time go to two small
 * arrays, and up to 32 of them are written to the windows at once, when the stage is full or
 * before anything reads or writes the windows (`window` and `latency` are getters that flush
 * first). Every read is exact, and windows see every record in call order, with its own time.
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
  private readonly counter: WindowedCounter;
  private readonly histogram: WindowedHistogram;
  /** Durations and times of the staged successes (allocated on the first success). */
  private stagedDurations: Float64Array | undefined = undefined;
  private stagedTimes: Float64Array | undefined = undefined;
  private staged = 0;

  constructor(readonly windowMs: number) {
    this.counter = new WindowedCounter(windowMs, 12, FIELD_COUNT);
    // 3 slices: the window covers the last 40-60 s at 5.4 KiB (4 slices: 45-60 s at 7.3 KiB).
    this.histogram = new WindowedHistogram(windowMs, 3);
  }

  /** Calls, outcomes, retries and rejections over the window (staged successes written first). */
  get window(): WindowedCounter {
    if (this.staged !== 0) this.flush();
    return this.counter;
  }

  /** Attempt latency over the window (staged successes written first). */
  get latency(): WindowedHistogram {
    if (this.staged !== 0) this.flush();
    return this.histogram;
  }

  /** A call ended with a value from the downstream after an attempt of `durationMs`. */
  succeeded(durationMs: number, now: number): void {
    this.calls++;
    this.successes++;
    const i = this.staged;
    const durations = this.stagedDurations;
    // `now - now` is 0 for any finite time: a broken clock's NaN or Infinity takes the slow path.
    if (durations === undefined || i === STAGE_SIZE || now - now !== 0) return this.succeededSlow(durationMs, now);
    durations[i] = durationMs;
    this.stagedTimes![i] = now;
    this.staged = i + 1;
  }

  /** An attempt that did not succeed took `durationMs` (the success's latency is recorded by `succeeded`). */
  recordLatency(durationMs: number, now: number): void {
    this.latency.record(durationMs, now);
  }

  /**
   * Writes the staged successes to the windows, in order: the counter once per run of
   * successes that fall in the same bucket, the histogram once per success.
   */
  flush(): void {
    const n = this.staged;
    if (n === 0) return;
    this.staged = 0;
    const durations = this.stagedDurations!;
    const times = this.stagedTimes!;
    const counter = this.counter;
    const histogram = this.histogram;
    const bucketMs = counter.bucketMs;
    let runStart = 0;
    let runEpoch = Math.floor(times[0]! / bucketMs);
    for (let i = 0; i < n; i++) {
      const at = times[i]!;
      const epoch = Math.floor(at / bucketMs);
      if (epoch !== runEpoch) {
        this.countSuccesses(i - runStart, times[i - 1]!);
        runStart = i;
        runEpoch = epoch;
      }
      histogram.record(durations[i]!, at);
    }
    this.countSuccesses(n - runStart, times[n - 1]!);
  }

  private countSuccesses(n: number, at: number): void {
    this.counter.add(WindowField.Calls, n, at);
    this.counter.add(WindowField.Successes, n, at);
  }

  // Out of line: the first success allocates the stage; a full stage is flushed first; a time
  // that is not finite is written at once, so the counter refuses it here, on the call path.
  private succeededSlow(durationMs: number, now: number): void {
    if (now - now !== 0) {
      this.flush();
      this.counter.addPair(WindowField.Calls, WindowField.Successes, now);
      this.histogram.record(durationMs, now);
      return;
    }
    if (this.stagedDurations === undefined) {
      this.stagedDurations = new Float64Array(STAGE_SIZE);
      this.stagedTimes = new Float64Array(STAGE_SIZE);
    } else {
      this.flush();
    }
    this.stagedDurations[0] = durationMs;
    this.stagedTimes![0] = now;
    this.staged = 1;
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
