import { InvalidConfigurationError, SdkCompatibility } from '@datawarehouse/sdk';
import { TimeBucketRing, validateInteger, validateNumber } from '@datawarehouse/sdk/internals';

/**
 * The counters sampled from a strategy (deltas of its cumulative counters, or their sums over a window).
 * @since 6.0.0
 */
export interface SampleCounts {
  readonly calls: number;
  readonly successes: number;
  /** Calls that failed (after retries), as counted by the strategy's metrics. */
  readonly failures: number;
  readonly timeouts: number;
  readonly attempts: number;
  readonly rejectedBulkhead: number;
  readonly rejectedCircuitOpen: number;
  readonly rejectedRateLimited: number;
}

/**
 * What one strategy did during one sampling interval: the deltas of its cumulative counters,
 * plus the latency and queue readings taken at the end of the interval.
 * @since 6.0.0
 */
export interface IntervalSample extends SampleCounts {
  /** Attempt latency p50 / p99 read at the end of the interval, ms (`NaN` when none was recorded). */
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Calls waiting in the bulkhead queue at the end of the interval. */
  readonly queued: number;
}

/**
 * Aggregate of the intervals within one window. Counts are sums; latency fields are readings
 * (see {@link IntervalSample}) and `NaN` when no interval of the window had one.
 * @since 6.0.0
 */
export interface WindowStats extends SampleCounts {
  readonly windowMs: number;
  /** Intervals of the window that hold a sample (fewer than the window's length while young or after gaps). */
  readonly intervals: number;
  /** Time those intervals cover, ms. */
  readonly coveredMs: number;
  /** `successes + failures`. */
  readonly completed: number;
  /** `failures / completed`; `NaN` when nothing completed. */
  readonly errorRate: number;
  /** Completed calls per second over `coveredMs`; 0 when nothing is covered. */
  readonly throughputPerSecond: number;
  /** The newest p50 / p99 reading in the window. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Lowest and highest p99 reading in the window. */
  readonly p99MinMs: number;
  readonly p99MaxMs: number;
  /** Lowest p50 reading in the window. */
  readonly p50MinMs: number;
  /** Largest bulkhead queue seen at a sample. */
  readonly maxQueued: number;
}

// Field layout of one interval bucket.
const CALLS = 0;
const SUCCESSES = 1;
const FAILURES = 2;
const TIMEOUTS = 3;
const ATTEMPTS = 4;
const REJ_BULKHEAD = 5;
const REJ_CIRCUIT = 6;
const REJ_RATE = 7;
const P50 = 8;
const P99 = 9;
const QUEUED = 10;
const FIELDS = 11;
const MAX_INTERVALS = 100_000;
// An empty interval has no latency reading.
const EMPTY_INTERVAL: readonly number[] = [0, 0, 0, 0, 0, 0, 0, 0, NaN, NaN, 0];

/**
 * Per-interval metrics of one strategy over sliding windows (e.g. 1, 5 and 15 minutes), kept in
 * a ring of `capacity` per-interval buckets (a {@link TimeBucketRing}): bounded memory
 * (`8 * capacity * 12` bytes; 90 buckets of 10 s for 15 minutes ≈ 8.6 KiB), `record` is O(1)
 * and allocation-free, `window` is O(capacity).
 *
 * Every bucket carries the index of its interval (`floor(nowMs / intervalMs)`); a bucket is
 * zeroed when a later interval reuses its slot, and `window` only counts buckets whose interval
 * lies within the window ending at `nowMs`. So however long the strategy sat idle (or the
 * sampler was stopped), a bucket older than its window never counts.
 *
 * @example
 * ```ts
 * const m = new SlidingWindowMetrics(10_000, 90); // 10 s intervals, 15 minutes of history
 * m.record(now, sample);
 * m.window(60_000, now).errorRate; // over the last minute
 * ```
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class SlidingWindowMetrics {
  private readonly ring: TimeBucketRing;

  /**
   * @param intervalMs - length of one interval (the sampling period), ms > 0.
   * @param capacity - intervals kept: the longest window is `capacity * intervalMs`; integer 1..100 000.
   * @throws {@link InvalidConfigurationError} naming `intervalMs` or `capacity`.
   */
  constructor(
    readonly intervalMs: number,
    readonly capacity: number,
  ) {
    validateNumber('intervalMs', intervalMs, 0, Number.MAX_SAFE_INTEGER, true);
    validateInteger('capacity', capacity, 1, MAX_INTERVALS);
    this.ring = new TimeBucketRing(intervalMs, capacity, FIELDS, { initial: EMPTY_INTERVAL });
  }

  /** The longest window this ring can answer for, ms. */
  get maxWindowMs(): number {
    return this.capacity * this.intervalMs;
  }

  /**
   * Adds `sample` to the bucket of the interval containing `nowMs`. Counts of two samples in the
   * same interval add up; latency readings are replaced by the newer finite one; the queue
   * reading keeps the maximum. O(1), no allocation. A `nowMs` older than what its slot already
   * holds (a clock going backwards) is folded into that newer bucket rather than wiping it.
   * @throws {@link InvalidConfigurationError} naming `nowMs` when it is not finite.
   */
  record(nowMs: number, sample: IntervalSample): void {
    if (!Number.isFinite(nowMs)) throw new InvalidConfigurationError('nowMs', nowMs, 'a finite time in ms');
    const ring = this.ring;
    const bucket = ring.claim(ring.epochOf(nowMs));
    ring.add(bucket, CALLS, count(sample.calls));
    ring.add(bucket, SUCCESSES, count(sample.successes));
    ring.add(bucket, FAILURES, count(sample.failures));
    ring.add(bucket, TIMEOUTS, count(sample.timeouts));
    ring.add(bucket, ATTEMPTS, count(sample.attempts));
    ring.add(bucket, REJ_BULKHEAD, count(sample.rejectedBulkhead));
    ring.add(bucket, REJ_CIRCUIT, count(sample.rejectedCircuitOpen));
    ring.add(bucket, REJ_RATE, count(sample.rejectedRateLimited));
    if (sample.p50Ms >= 0 && Number.isFinite(sample.p50Ms)) ring.set(bucket, P50, sample.p50Ms);
    if (sample.p99Ms >= 0 && Number.isFinite(sample.p99Ms)) ring.set(bucket, P99, sample.p99Ms);
    const queued = count(sample.queued);
    if (queued > ring.get(bucket, QUEUED)) ring.set(bucket, QUEUED, queued);
  }

  /**
   * Aggregates the intervals of the last `windowMs` ending at `nowMs` (the interval containing
   * `nowMs` and the `ceil(windowMs / intervalMs) - 1` before it).
   * @param minCallsForMin - intervals with fewer completed calls are left out of `p99MinMs` /
   *   `p50MinMs` (default 0: all count).
   * @throws {@link InvalidConfigurationError} naming `windowMs` (not in (0, maxWindowMs]) or `nowMs` (not finite).
   */
  window(windowMs: number, nowMs: number, minCallsForMin = 0): WindowStats {
    validateNumber('windowMs', windowMs, 0, this.maxWindowMs, true);
    if (!Number.isFinite(nowMs)) throw new InvalidConfigurationError('nowMs', nowMs, 'a finite time in ms');
    const ring = this.ring;
    const span = Math.ceil(windowMs / this.intervalMs);
    const current = ring.epochOf(nowMs);
    const sums = [0, 0, 0, 0, 0, 0, 0, 0];
    let intervals = 0;
    let newest = -Infinity;
    let p50 = NaN;
    let p99 = NaN;
    let p99Min = Infinity;
    let p99Max = -Infinity;
    let p50Min = Infinity;
    let maxQueued = 0;
    for (let slot = 0; slot < this.capacity; slot++) {
      const bucket = ring.bucketAt(slot);
      if (!ring.isLive(bucket, current, span)) continue;
      intervals++;
      for (let f = 0; f < sums.length; f++) sums[f]! += ring.get(bucket, f);
      // Lowest readings only from intervals with enough completed calls: the p99 of a
      // near-empty interval is a handful of samples, far below the usual one.
      const counted = ring.get(bucket, SUCCESSES) + ring.get(bucket, FAILURES) >= minCallsForMin;
      const r50 = ring.get(bucket, P50);
      if (counted && r50 < p50Min) p50Min = r50;
      const r99 = ring.get(bucket, P99);
      if (!Number.isNaN(r99)) {
        if (counted && r99 < p99Min) p99Min = r99;
        if (r99 > p99Max) p99Max = r99;
        const epoch = ring.epochAt(bucket);
        if (epoch > newest) {
          newest = epoch;
          p99 = r99;
          p50 = r50;
        }
      }
      const queued = ring.get(bucket, QUEUED);
      if (queued > maxQueued) maxQueued = queued;
    }
    const successes = sums[SUCCESSES]!;
    const failures = sums[FAILURES]!;
    const completed = successes + failures;
    const coveredMs = intervals * this.intervalMs;
    return {
      windowMs,
      intervals,
      coveredMs,
      calls: sums[CALLS]!,
      successes,
      failures,
      timeouts: sums[TIMEOUTS]!,
      attempts: sums[ATTEMPTS]!,
      rejectedBulkhead: sums[REJ_BULKHEAD]!,
      rejectedCircuitOpen: sums[REJ_CIRCUIT]!,
      rejectedRateLimited: sums[REJ_RATE]!,
      completed,
      errorRate: completed === 0 ? NaN : failures / completed,
      throughputPerSecond: coveredMs === 0 ? 0 : (completed * 1000) / coveredMs,
      p50Ms: p50,
      p99Ms: p99,
      p99MinMs: p99Min === Infinity ? NaN : p99Min,
      p99MaxMs: p99Max === -Infinity ? NaN : p99Max,
      p50MinMs: p50Min === Infinity ? NaN : p50Min,
      maxQueued,
    };
  }

  /** Forgets every interval. */
  reset(): void {
    this.ring.reset();
  }
}

// Deltas are non-negative counts; anything else (a counter that went backwards) adds nothing.
function count(n: number): number {
  return n > 0 && Number.isFinite(n) ? n : 0;
}
