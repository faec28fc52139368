import { InvalidConfigurationError, SdkCompatibility } from '@datawarehouse/sdk';
import { TimeBucketRing, validateInteger, validateNumber } from '@datawarehouse/sdk/internals';

const MAX_BUCKETS = 1000;
const MAX_FIELDS = 64;

/**
 * Several counters (calls, failures, retries, ...) over a sliding time window, from a ring of
 * `buckets` per-interval buckets: `add` is O(1) and allocation-free, `sum` is O(buckets).
 *
 * - Time is passed in (`nowMs`), never read, and there are no timers. The bucket of epoch
 *   `floor(nowMs / bucketMs)` is zeroed lazily by the first `add` that finds it holding an
 *   older epoch.
 * - `sum` counts only buckets whose epoch is among the last `buckets` epochs (the current one
 *   included), so the window spans between `windowMs - bucketMs` and `windowMs` of history and
 *   a bucket older than the window never counts, however long the counter sat idle.
 * - Memory: `8 * buckets * (fields + 1)` bytes in one `Float64Array` (a {@link TimeBucketRing};
 *   Float64 so counts never wrap and fractional weights are allowed).
 *
 * @example
 * ```ts
 * const w = new WindowedCounter(60_000, 12, 2); // fields 0 = calls, 1 = failures
 * w.add(0, 1, now); w.add(1, 1, now);
 * w.sum(1, now) / w.sum(0, now); // error rate over the last minute
 * ```
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class WindowedCounter {
  /** Length of one bucket in ms (`windowMs / buckets`). */
  readonly bucketMs: number;
  private readonly ring: TimeBucketRing;

  /**
   * @param windowMs - length of the window, ms > 0.
   * @param buckets - buckets the window is split into (resolution of expiry), integer 1..1000.
   * @param fields - counters kept per bucket, integer 1..64.
   * @throws {@link InvalidConfigurationError} naming `windowMs`, `buckets` or `fields`.
   */
  constructor(
    readonly windowMs: number,
    readonly buckets: number,
    readonly fields: number,
  ) {
    validateNumber('windowMs', windowMs, 0, Number.MAX_SAFE_INTEGER, true);
    validateInteger('buckets', buckets, 1, MAX_BUCKETS);
    validateInteger('fields', fields, 1, MAX_FIELDS);
    this.bucketMs = windowMs / buckets;
    this.ring = new TimeBucketRing(this.bucketMs, buckets, fields);
  }

  /**
   * Adds `n` to counter `field` at time `nowMs`. O(1), no allocation. A `nowMs` older than the
   * epoch its bucket already holds (a clock going backwards) is added to that newer bucket
   * rather than wiping it.
   * @throws {@link InvalidConfigurationError} naming `field` (not an integer in [0, fields)),
   *   `n` (not finite) or `nowMs` (not finite).
   */
  add(field: number, n: number, nowMs: number): void {
    if (!(field >= 0 && field < this.fields && (field | 0) === field)) throw fieldError('field', field, this.fields);
    if (!Number.isFinite(n)) throw new InvalidConfigurationError('n', n, 'a finite number');
    this.ring.add(this.ring.claim(this.epochOf(nowMs)), field, n);
  }

  /**
   * Adds 1 to two fields at once (one slot lookup): the hot path's "a call, and its outcome".
   * @throws {@link InvalidConfigurationError} for a bad field or `nowMs`.
   */
  addPair(fieldA: number, fieldB: number, nowMs: number): void {
    // The errors are built out of line: this is on the call path, and V8 inlines small methods.
    const fields = this.fields;
    if (!(fieldA >= 0 && fieldA < fields && (fieldA | 0) === fieldA)) throw fieldError('fieldA', fieldA, fields);
    if (!(fieldB >= 0 && fieldB < fields && (fieldB | 0) === fieldB)) throw fieldError('fieldB', fieldB, fields);
    const ring = this.ring;
    const bucket = ring.claim(this.epochOf(nowMs));
    ring.add(bucket, fieldA, 1);
    ring.add(bucket, fieldB, 1);
  }

  /**
   * Sum of counter `field` over the window ending at `nowMs`. O(buckets).
   * @throws {@link InvalidConfigurationError} naming `field` or `nowMs`.
   */
  sum(field: number, nowMs: number): number {
    if (!(field >= 0 && field < this.fields && (field | 0) === field)) throw fieldError('field', field, this.fields);
    return this.ring.sum(field, this.epochOf(nowMs), this.buckets);
  }

  /**
   * Sums of every field over the window ending at `nowMs`, written into `out` (allocated when
   * not given). One pass over the buckets.
   * @throws {@link InvalidConfigurationError} naming `nowMs` or `out` (shorter than `fields`).
   */
  sums(nowMs: number, out: Float64Array = new Float64Array(this.fields)): Float64Array {
    if (out.length < this.fields)
      throw new InvalidConfigurationError('out', out.length, `an array of length >= ${this.fields}`);
    return this.ring.sums(this.epochOf(nowMs), this.buckets, out);
  }

  /** Zeroes every bucket. */
  reset(): void {
    this.ring.reset();
  }

  private epochOf(nowMs: number): number {
    if (!Number.isFinite(nowMs)) throw nowError(nowMs);
    return this.ring.epochOf(nowMs);
  }
}

function fieldError(name: string, value: number, fields: number): InvalidConfigurationError {
  return new InvalidConfigurationError(name, value, `an integer in [0, ${fields - 1}]`);
}

function nowError(nowMs: number): InvalidConfigurationError {
  return new InvalidConfigurationError('nowMs', nowMs, 'a finite time in ms');
}
