import { SdkCompatibility } from '../compat/SdkCompatibility.js';

/**
 * Options of a {@link TimeBucketRing}.
 * @internal
 */
export interface TimeBucketRingOptions {
  /**
   * What each field of an emptied bucket holds (length `fields`; default all 0), e.g. `Infinity`
   * for a minimum. Kept by reference, so rings of one layout share it: never change it.
   */
  readonly initial?: readonly number[];
  /** Keep running totals of every field over the window ending at the head (default false). */
  readonly totals?: boolean;
}

/**
 * `buckets` buckets of `fields` numbers, one per interval of `bucketMs`, over a sliding time
 * window: the ring under every windowed counter of the SDK and the plugin. All of it lives in
 * one `Float64Array`; nothing allocates after construction and every write is O(1).
 *
 * Time is an **epoch**, `floor(nowMs / bucketMs)`, and epoch `e` maps to slot `e mod buckets`.
 * Each bucket carries the epoch it holds, so a bucket older than the window never counts,
 * however long the ring sat idle, without any sweep or timer. A bucket is named by a handle,
 * a number from {@link TimeBucketRing.claim}, {@link TimeBucketRing.advance} or
 * {@link TimeBucketRing.bucketAt} (valid for the ring's life). Two ways to use the ring:
 *
 * - **Tagged** — claim the bucket of any epoch (emptied first when it holds an older one; when
 *   it holds a newer one, a clock that went back, that newer bucket is returned untouched) and
 *   read the window ending at any epoch with {@link TimeBucketRing.isLive} /
 *   {@link TimeBucketRing.sum}: O(buckets) per read.
 * - **Head** (with `totals`) — {@link TimeBucketRing.advance} the head to the current epoch and
 *   write into the bucket it returns (the head's) with {@link TimeBucketRing.addCounted}:
 *   {@link TimeBucketRing.total} then reads the last `buckets` epochs up to the head in O(1).
 *   An earlier time writes into the head.
 *
 * A window of `buckets` epochs covers between `buckets - 1` and `buckets` intervals of history:
 * a value counts for at most `buckets * bucketMs` after it was written.
 *
 * @example
 * ```ts
 * const ring = new TimeBucketRing(1_000, 60, 2); // 2 counters over the last minute
 * const epoch = ring.epochOf(now);
 * ring.add(ring.claim(epoch), 0, 1);
 * ring.sum(0, epoch, 60);
 * ```
 * @internal Shared by the SDK and the plugin; not part of the public API.
 */
@SdkCompatibility('6.0.0')
export class TimeBucketRing {
  /** Length of one bucket, ms. */
  readonly bucketMs: number;
  readonly buckets: number;
  readonly fields: number;
  // Bucket s is data[s * (fields + 1)] (its epoch, -Infinity when empty) then its fields; its
  // handle is the index of its first field. With totals, the buckets are followed by the totals.
  // Few members on purpose: one ring hangs off each windowed counter of every strategy.
  private readonly data: Float64Array;
  private readonly totalsAt: number;
  private readonly initial: readonly number[] | undefined;
  // The head's bucket (always emptied for and tagged with the head) and epoch; -1 and 0 while
  // there is no head. The epoch starts as a small integer, not -Infinity, so it reaches slotOf's
  // `%` as one: a heap number there once would make `%` a slow float call for every ring.
  private headBucket = -1;
  private headEpoch = 0;

  /**
   * @param bucketMs - length of one bucket, ms (finite, > 0).
   * @param buckets - number of buckets (integer >= 1).
   * @param fields - numbers per bucket (integer >= 1).
   * @throws RangeError for a bad geometry or an `initial` of the wrong length (callers validate
   *   their own options first, with their own errors).
   */
  constructor(bucketMs: number, buckets: number, fields: number, options: TimeBucketRingOptions = {}) {
    const { initial, totals = false } = options;
    if (
      !(Number.isFinite(bucketMs) && bucketMs > 0) ||
      !(Number.isInteger(buckets) && buckets >= 1) ||
      !(Number.isInteger(fields) && fields >= 1) ||
      (initial !== undefined && initial.length !== fields)
    ) {
      throw new RangeError(
        `TimeBucketRing: invalid geometry (bucketMs ${bucketMs}, buckets ${buckets}, fields ${fields})`,
      );
    }
    this.bucketMs = bucketMs;
    this.buckets = buckets;
    this.fields = fields;
    const size = buckets * (fields + 1);
    this.totalsAt = totals ? size : -1;
    this.initial = initial?.some((v) => !Object.is(v, 0)) ? initial : undefined;
    this.data = new Float64Array(totals ? size + fields : size);
    this.reset();
  }

  /** The epoch of a time: `floor(nowMs / bucketMs)`. */
  epochOf(nowMs: number): number {
    return Math.floor(nowMs / this.bucketMs);
  }

  /**
   * The first time whose epoch is `epoch`: `epoch * bucketMs`, nudged up when it rounds to just
   * below (a caller told to come back then must not be refused again).
   */
  startOf(epoch: number): number {
    let at = epoch * this.bucketMs;
    while (Math.floor(at / this.bucketMs) < epoch) at += Math.max(Number.MIN_VALUE, Math.abs(at) * Number.EPSILON);
    return at;
  }

  /** The slot of `epoch` (epochs may be negative), in [0, buckets). */
  slotOf(epoch: number): number {
    const slot = epoch % this.buckets;
    return slot < 0 ? slot + this.buckets : slot;
  }

  /** The handle of the bucket at `slot`. */
  bucketAt(slot: number): number {
    return slot * (this.fields + 1) + 1;
  }

  /** The epoch `bucket` holds; -Infinity when empty. */
  epochAt(bucket: number): number {
    return this.data[bucket - 1]!;
  }

  /** Whether `bucket` holds one of the `span` epochs ending at `epoch`. */
  isLive(bucket: number, epoch: number, span: number): boolean {
    const held = this.data[bucket - 1]!;
    return held <= epoch && held > epoch - span;
  }

  /**
   * The bucket to write `epoch`'s data to, emptied first when it held an older epoch. When it
   * holds a newer epoch (the clock went back), that bucket is returned as it is.
   */
  claim(epoch: number): number {
    // slotOf and bucketAt written out: this is on the call path, where every byte of bytecode
    // counts against what V8 inlines into the pipeline.
    const n = this.buckets;
    let slot = epoch % n;
    if (slot < 0) slot += n;
    const bucket = slot * (this.fields + 1) + 1;
    if (this.data[bucket - 1]! < epoch) this.resetBucket(bucket, epoch);
    return bucket;
  }

  /** Empties `bucket` (its fields back to the initial values) and tags it with `epoch`. */
  resetBucket(bucket: number, epoch: number): void {
    const d = this.data;
    d[bucket - 1] = epoch;
    const init = this.initial;
    if (init === undefined) d.fill(0, bucket, bucket + this.fields);
    else for (let f = 0; f < this.fields; f++) d[bucket + f] = init[f]!;
  }

  /** Field `field` of `bucket`. */
  get(bucket: number, field: number): number {
    return this.data[bucket + field]!;
  }

  /** Sets field `field` of `bucket` (totals are not touched: for fields that are not added up). */
  set(bucket: number, field: number, value: number): void {
    this.data[bucket + field] = value;
  }

  /** Adds `n` to field `field` of `bucket`; a running total is not touched (see {@link TimeBucketRing.addCounted}). */
  add(bucket: number, field: number, n: number): void {
    this.data[bucket + field]! += n;
  }

  /**
   * Adds `n` to field `field` of `bucket` and to its running total: the write of a ring with
   * totals, to a bucket within the window ending at the head (the head's, usually).
   */
  addCounted(bucket: number, field: number, n: number): void {
    const d = this.data;
    d[bucket + field]! += n;
    d[this.totalsAt + field]! += n;
  }

  /** Field `field` of the bucket of exactly `epoch`; 0 when its slot holds another epoch. */
  valueAt(epoch: number, field: number): number {
    const bucket = this.bucketAt(this.slotOf(epoch));
    return this.data[bucket - 1] === epoch ? this.data[bucket + field]! : 0;
  }

  /** Sum of field `field` over the buckets of the `span` epochs ending at `epoch`. O(buckets). */
  sum(field: number, epoch: number, span: number): number {
    const d = this.data;
    const stride = this.fields + 1;
    const end = this.buckets * stride;
    const oldest = epoch - span;
    let total = 0;
    for (let at = 0; at < end; at += stride) {
      const held = d[at]!;
      if (held <= epoch && held > oldest) total += d[at + 1 + field]!;
    }
    return total;
  }

  /** Sums of every field over the `span` epochs ending at `epoch`, into `out[0..fields)`. O(buckets * fields). */
  sums(epoch: number, span: number, out: Float64Array): Float64Array {
    const d = this.data;
    const stride = this.fields + 1;
    const end = this.buckets * stride;
    const oldest = epoch - span;
    out.fill(0, 0, this.fields);
    for (let at = 0; at < end; at += stride) {
      const held = d[at]!;
      if (!(held <= epoch && held > oldest)) continue;
      for (let f = 0; f < this.fields; f++) out[f] = out[f]! + d[at + 1 + f]!;
    }
    return out;
  }

  /** The newest epoch {@link TimeBucketRing.advance} reached; -Infinity before, and always without totals. */
  get head(): number {
    return this.headBucket < 0 ? -Infinity : this.headEpoch;
  }

  /**
   * Moves the head to `epoch` when it is later (an earlier or non-finite epoch changes nothing),
   * taking the buckets that leave the last `buckets` epochs out of the totals, and returns the
   * head's bucket to write into: -1 before any finite epoch, and always on a ring without
   * totals. O(1) within a bucket, O(min(steps, buckets)) across.
   */
  advance(epoch: number): number {
    // Most calls stay within the head's bucket: two comparisons.
    if (epoch > this.headEpoch || this.headBucket < 0) this.moveHead(epoch);
    return this.headBucket;
  }

  /** Running total of field `field` over the last `buckets` epochs up to the head (rings with `totals`; else 0). */
  total(field: number): number {
    return this.totalsAt < 0 ? 0 : this.data[this.totalsAt + field]!;
  }

  /** Forgets every bucket and total; the head stays where it is, with an empty bucket. */
  reset(): void {
    for (let slot = 0; slot < this.buckets; slot++) this.resetBucket(this.bucketAt(slot), -Infinity);
    const t = this.totalsAt;
    if (t >= 0) this.data.fill(0, t, t + this.fields);
    if (this.headBucket >= 0) this.resetBucket(this.headBucket, this.headEpoch);
  }

  private moveHead(epoch: number): void {
    const t = this.totalsAt;
    const from = this.headBucket < 0 ? -Infinity : this.headEpoch;
    if (t < 0 || !(epoch > from) || epoch === Infinity) return; // no totals, not later, or not finite
    const d = this.data;
    const n = this.buckets;
    const fields = this.fields;
    if (epoch - from >= n) {
      d.fill(0, t, t + fields);
    } else {
      // The slot of each new epoch e held e - n at most, which leaves now if it was there.
      for (let e = from + 1; e <= epoch; e++) {
        const bucket = this.bucketAt(this.slotOf(e));
        if (d[bucket - 1] !== e - n) continue;
        for (let f = 0; f < fields; f++) d[t + f] = d[t + f]! - d[bucket + f]!;
      }
    }
    this.headEpoch = epoch;
    this.headBucket = this.bucketAt(this.slotOf(epoch));
    this.resetBucket(this.headBucket, epoch);
  }
}
