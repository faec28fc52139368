import { SdkCompatibility } from '../compat/SdkCompatibility.js';
import { TimeBucketRing } from '../time/TimeBucketRing.js';

// Fields of a bucket.
const CALLS = 0;
const FAILURES = 1;
const SLOW = 2;
const FIELDS = 3;

/**
 * Counts calls, failures and slow calls over a sliding time window of `windowMs`, split into
 * `buckets` buckets of `windowMs / buckets` each (a {@link TimeBucketRing} with running totals).
 *
 * Recording is O(1) amortized and allocates nothing: the ring keeps running totals, and a
 * bucket leaves them when time moves past it. A bucket older than the window never
 * counts — also after a long idle, because every read first rotates the ring to `now`. The
 * effective window is between `windowMs - bucketMs` and `windowMs`: an event is counted for
 * at most `windowMs` after it happened.
 *
 * Time must not go backwards (an earlier `now` is recorded into the current bucket); a
 * non-finite `now` does not rotate the ring.
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class FailureWindow {
  private ring: TimeBucketRing;
  private length: number;

  /**
   * @param windowMs - window length in ms (finite, > 0).
   * @param buckets - number of buckets (integer >= 1).
   * @throws RangeError for a non-positive window or bucket count (callers validate options first).
   */
  constructor(windowMs: number, buckets: number) {
    checkGeometry(windowMs, buckets);
    this.length = windowMs;
    this.ring = new TimeBucketRing(windowMs / buckets, buckets, FIELDS, { totals: true });
  }

  /** Length of the window in ms. */
  get windowMs(): number {
    return this.length;
  }

  /** Number of buckets. */
  get buckets(): number {
    return this.ring.buckets;
  }

  /**
   * Records one call outcome at `now`. `slow` only matters for successes but is counted as given.
   * Nothing is recorded before the first finite `now`.
   */
  record(now: number, failure: boolean, slow: boolean): void {
    const ring = this.ring;
    const bucket = ring.advance(ring.epochOf(now));
    if (bucket < 0) return;
    ring.addCounted(bucket, CALLS, 1);
    if (failure || slow) this.recordOutcome(bucket, failure, slow);
  }

  /** Calls counted in the window, as of the last `record`/`advance`. */
  get calls(): number {
    return this.ring.total(CALLS);
  }

  /** Failures counted in the window, as of the last `record`/`advance`. */
  get failures(): number {
    return this.ring.total(FAILURES);
  }

  /** Slow calls counted in the window, as of the last `record`/`advance`. */
  get slowCalls(): number {
    return this.ring.total(SLOW);
  }

  /** Rotates the ring to `now`, dropping buckets that left the window. Call before reading. */
  advance(now: number): void {
    this.ring.advance(this.ring.epochOf(now));
  }

  /** Forgets every count. */
  clear(): void {
    this.ring.reset();
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
    if (windowMs === this.windowMs && buckets === this.buckets) return;
    this.advance(now);
    const old = this.ring;
    const ring = new TimeBucketRing(windowMs / buckets, buckets, FIELDS, { totals: true });
    ring.advance(ring.epochOf(now));
    this.ring = ring;
    this.length = windowMs;
    const head = ring.head;
    if (old.total(CALLS) === 0 || old.head === -Infinity || head === -Infinity) return;

    for (let age = 0; age < old.buckets; age++) {
      const epoch = old.head - age;
      const calls = old.valueAt(epoch, CALLS);
      if (calls === 0) continue;
      const newAge = head - ring.epochOf(epoch * old.bucketMs);
      if (newAge >= buckets) continue; // older than the new window
      const bucket = ring.claim(head - Math.max(0, newAge));
      ring.addCounted(bucket, CALLS, calls);
      ring.addCounted(bucket, FAILURES, old.valueAt(epoch, FAILURES));
      ring.addCounted(bucket, SLOW, old.valueAt(epoch, SLOW));
    }
  }

  // Out of `record`, which V8 inlines into the call path: most calls are fast successes.
  private recordOutcome(bucket: number, failure: boolean, slow: boolean): void {
    if (failure) this.ring.addCounted(bucket, FAILURES, 1);
    if (slow) this.ring.addCounted(bucket, SLOW, 1);
  }
}

function checkGeometry(windowMs: number, buckets: number): void {
  if (!(Number.isFinite(windowMs) && windowMs > 0) || !(Number.isInteger(buckets) && buckets >= 1)) {
    throw new RangeError(`FailureWindow: invalid geometry (windowMs ${windowMs}, buckets ${buckets})`);
  }
}
