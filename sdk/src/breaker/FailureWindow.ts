import { SdkCompatibility } from '../compat/SdkCompatibility.js';

// Per-bucket layout in the interleaved counter array.
const CALLS = 0;
const FAILURES = 1;
const SLOW = 2;
const FIELDS = 3;

/**
 * Counts calls, failures and slow calls over a sliding time window of `windowMs`, split into
 * `buckets` buckets of `windowMs / buckets` each (a ring of counters in one `Float64Array`).
 *
 * Recording is O(1) amortized and allocates nothing: running totals are kept beside the
 * ring, and a bucket is zeroed when time moves past it. A bucket older than the window never
 * counts — also after a long idle, because every read first rotates the ring to `now`. The
 * effective window is between `windowMs - bucketMs` and `windowMs`: an event is counted for
 * at most `windowMs` after it happened.
 *
 * Time must not go backwards (an earlier `now` is recorded into the current bucket).
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class FailureWindow {
  private counts: Float64Array;
  private bucketCount: number;
  private bucketMs: number;
  private length: number;
  /** Absolute index (`floor(now / bucketMs)`) of the bucket at `head`; -Infinity before use. */
  private headIndex = -Infinity;
  private head = 0;
  private totalCalls = 0;
  private totalFailures = 0;
  private totalSlow = 0;

  /**
   * @param windowMs - window length in ms (finite, > 0).
   * @param buckets - number of buckets (integer >= 1).
   * @throws RangeError for a non-positive window or bucket count (callers validate options first).
   */
  constructor(windowMs: number, buckets: number) {
    checkGeometry(windowMs, buckets);
    this.bucketCount = buckets;
    this.length = windowMs;
    this.bucketMs = windowMs / buckets;
    this.counts = new Float64Array(buckets * FIELDS);
  }

  /** Length of the window in ms. */
  get windowMs(): number {
    return this.length;
  }

  /** Number of buckets. */
  get buckets(): number {
    return this.bucketCount;
  }

  /** Records one call outcome at `now`. `slow` only matters for successes but is counted as given. */
  record(now: number, failure: boolean, slow: boolean): void {
    this.advance(now);
    const base = this.head * FIELDS;
    const c = this.counts;
    c[base + CALLS]! += 1;
    this.totalCalls++;
    if (failure) {
      c[base + FAILURES]! += 1;
      this.totalFailures++;
    }
    if (slow) {
      c[base + SLOW]! += 1;
      this.totalSlow++;
    }
  }

  /** Calls counted in the window, as of the last `record`/`advance`. */
  get calls(): number {
    return this.totalCalls;
  }

  /** Failures counted in the window, as of the last `record`/`advance`. */
  get failures(): number {
    return this.totalFailures;
  }

  /** Slow calls counted in the window, as of the last `record`/`advance`. */
  get slowCalls(): number {
    return this.totalSlow;
  }

  /** Rotates the ring to `now`, dropping buckets that left the window. Call before reading. */
  advance(now: number): void {
    const index = Math.floor(now / this.bucketMs);
    const steps = index - this.headIndex;
    if (!(steps > 0)) return; // same bucket, or time went backwards
    this.headIndex = index;
    // An empty window has every bucket at zero, so a long idle costs nothing; a jump past
    // the whole window with data in it zeroes everything once.
    if (this.totalCalls === 0) return;
    const n = this.bucketCount;
    if (steps >= n) {
      this.clear();
      return;
    }
    const c = this.counts;
    for (let i = 0; i < steps && this.totalCalls > 0; i++) {
      this.head = this.head + 1 === n ? 0 : this.head + 1;
      this.dropBucket(this.head * FIELDS, c);
    }
  }

  /** Forgets every count. */
  clear(): void {
    this.counts.fill(0);
    this.totalCalls = 0;
    this.totalFailures = 0;
    this.totalSlow = 0;
  }

  /**
   * Changes the geometry, keeping what can be kept: each live bucket is moved to the new
   * bucket containing its *start* time, so a kept event may expire earlier than before but
   * never counts for longer than the new window after it happened. Events older than the new
   * window are dropped. Allocates (only here).
   * @throws RangeError for a non-positive window or bucket count.
   */
  reconfigure(windowMs: number, buckets: number, now: number): void {
    checkGeometry(windowMs, buckets);
    if (windowMs === this.windowMs && buckets === this.bucketCount) return;
    this.advance(now);
    const old = this.counts;
    const oldN = this.bucketCount;
    const oldBucketMs = this.bucketMs;
    const oldHead = this.head;
    const oldHeadIndex = this.headIndex;
    const hadData = this.totalCalls > 0;

    this.bucketCount = buckets;
    this.length = windowMs;
    this.bucketMs = windowMs / buckets;
    this.counts = new Float64Array(buckets * FIELDS);
    this.head = 0;
    this.headIndex = Math.floor(now / this.bucketMs);
    this.totalCalls = 0;
    this.totalFailures = 0;
    this.totalSlow = 0;
    if (!hadData || oldHeadIndex === -Infinity) return;

    for (let age = 0; age < oldN; age++) {
      const from = ((oldHead - age) % oldN + oldN) % oldN * FIELDS;
      const calls = old[from + CALLS]!;
      if (calls === 0) continue;
      const start = (oldHeadIndex - age) * oldBucketMs;
      const newAge = this.headIndex - Math.floor(start / this.bucketMs);
      if (newAge >= buckets) continue; // older than the new window
      const to = ((-Math.max(0, newAge)) % buckets + buckets) % buckets * FIELDS;
      const failures = old[from + FAILURES]!;
      const slow = old[from + SLOW]!;
      this.counts[to + CALLS]! += calls;
      this.counts[to + FAILURES]! += failures;
      this.counts[to + SLOW]! += slow;
      this.totalCalls += calls;
      this.totalFailures += failures;
      this.totalSlow += slow;
    }
  }

  private dropBucket(base: number, c: Float64Array): void {
    this.totalCalls -= c[base + CALLS]!;
    this.totalFailures -= c[base + FAILURES]!;
    this.totalSlow -= c[base + SLOW]!;
    c[base + CALLS] = 0;
    c[base + FAILURES] = 0;
    c[base + SLOW] = 0;
  }
}

function checkGeometry(windowMs: number, buckets: number): void {
  if (!(Number.isFinite(windowMs) && windowMs > 0) || !(Number.isInteger(buckets) && buckets >= 1)) {
    throw new RangeError(`FailureWindow: invalid geometry (windowMs ${windowMs}, buckets ${buckets})`);
  }
}
