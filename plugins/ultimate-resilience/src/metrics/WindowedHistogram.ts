import { InvalidConfigurationError, SdkCompatibility } from '@datawarehouse/sdk';
import { TimeBucketRing, validateInteger, validateNumber } from '@datawarehouse/sdk/internals';
import {
  LOG_BUCKET_COUNT,
  logBucketAtRank,
  logBucketIndex,
  logBucketMidpointMicros,
  msToMicros,
} from './LogBuckets.js';

/** Percentiles of a {@link WindowedHistogram} window, in ms (`NaN` when `count` is 0). @since 6.0.0 */
export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  /** Exact largest value in the window. */
  readonly max: number;
}

// Per-slice fields of the ring (besides the histogram counts): count, min, max.
const COUNT = 0;
const MIN = 1;
const MAX = 2;
const EMPTY_SLICE: readonly number[] = [0, Infinity, -Infinity];
const MAX_BUCKET_COUNT = 0xffff_ffff;
const MAX_SLICES = 64;

/**
 * Latency percentiles over a sliding time window, from a ring of `slices` log-scale
 * histograms (the bucket layout of {@link LogHistogram}: relative error ≤ 1/32 + 0.52 µs).
 *
 * - Time is passed in (`nowMs`), never read, and there are no timers. Slice
 *   `floor(nowMs / sliceMs) % slices` (a bucket of a {@link TimeBucketRing}) is reset lazily by
 *   the first `record` that finds it holding an older epoch.
 * - Reads merge only slices whose epoch is among the last `slices` epochs, so the window
 *   covers between `windowMs - sliceMs` and `windowMs` of history and is correct after any
 *   idle period (nothing stale is ever counted).
 * - Memory: the counts of all slices live in one `Uint32Array` allocated on the first record,
 *   `slices * 1 856` bytes (7 424 B for the default 4 slices), plus 32 B of metadata per
 *   slice (epoch, count, min, max in the ring) and ~400 B of object and typed-array headers:
 *   ≈ 7.9 KiB per instance in use with the defaults, ≈ 0.5 KiB before the first record; plus
 *   3.7 KiB of lifetime totals once a first slice rotates out.
 * - Lifetime: a slice's counts are added to lifetime totals when its slot is reused (or on
 *   `reset`), so {@link WindowedHistogram.lifetimeCounts} gives every value since creation
 *   (a Prometheus histogram's cumulative buckets) without a second histogram on the call path.
 *
 * @example
 * ```ts
 * const h = new WindowedHistogram(60_000, 4);
 * h.record(12, clock.now());
 * h.summary(clock.now()); // { count: 1, p50: 12, p95: 12, p99: 12, max: 12 }
 * ```
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class WindowedHistogram {
  /** Length of one slice in ms (`windowMs / slices`). */
  readonly sliceMs: number;
  private counts: Uint32Array | undefined = undefined;
  /** Counts of slices already emptied for a newer epoch (or by `reset`), per bucket: the lifetime totals' past. */
  private folded: Float64Array | undefined = undefined;
  private readonly ring: TimeBucketRing;
  private invalidCount = 0;

  /**
   * @param windowMs - length of the window, ms > 0. Default 60 000.
   * @param slices - slices the window is split into (resolution of expiry), integer 1..64. Default 4.
   * @throws {@link InvalidConfigurationError} naming `windowMs` or `slices`.
   */
  constructor(
    readonly windowMs = 60_000,
    readonly slices = 4,
  ) {
    validateNumber('windowMs', windowMs, 0, Number.MAX_SAFE_INTEGER, true);
    validateInteger('slices', slices, 1, MAX_SLICES);
    this.sliceMs = windowMs / slices;
    this.ring = new TimeBucketRing(this.sliceMs, slices, 3, { initial: EMPTY_SLICE });
  }

  /** Values ignored since creation: NaN or negative latency, non-finite or stale `nowMs`. */
  get invalid(): number {
    return this.invalidCount;
  }

  /**
   * Records one latency (ms) at time `nowMs`. O(1); allocates only on the very first call.
   * Invalid input is ignored and counted in {@link WindowedHistogram.invalid} (metrics must
   * never make a call fail), as is a `nowMs` older than the slice it maps to already holds.
   */
  record(valueMs: number, nowMs: number): void {
    if (!(valueMs >= 0) || !Number.isFinite(nowMs)) {
      this.invalidCount++;
      return;
    }
    const ring = this.ring;
    const epoch = ring.epochOf(nowMs);
    const slot = ring.slotOf(epoch);
    const bucket = ring.bucketAt(slot);
    if (ring.epochAt(bucket) !== epoch && !this.startSlice(slot, bucket, epoch)) return;
    const counts = this.counts!; // allocated by the first startSlice
    const i = slot * LOG_BUCKET_COUNT + logBucketIndex(msToMicros(valueMs));
    const c = counts[i]!;
    if (c === MAX_BUCKET_COUNT) return; // saturated: 4 billion samples in one bucket of one slice
    counts[i] = c + 1;
    ring.add(bucket, COUNT, 1);
    if (valueMs < ring.get(bucket, MIN)) ring.set(bucket, MIN, valueMs);
    if (valueMs > ring.get(bucket, MAX)) ring.set(bucket, MAX, valueMs);
  }

  /** Values recorded within the window ending at `nowMs`. @throws {@link InvalidConfigurationError} (field `nowMs`). */
  count(nowMs: number): number {
    const live = this.liveSlots(nowMs);
    let total = 0;
    for (const s of live) total += this.ring.get(this.ring.bucketAt(s), COUNT);
    return total;
  }

  /**
   * Count, p50, p95, p99 and exact max over the window ending at `nowMs`, in ms (`NaN` when
   * the window is empty). O(464 * slices) per percentile; no sorting.
   * @throws {@link InvalidConfigurationError} (field `nowMs`) for a non-finite `nowMs`.
   */
  summary(nowMs: number): LatencySummary {
    const [p50, p95, p99] = this.percentiles(nowMs, SUMMARY_QS) as [number, number, number];
    const live = this.liveSlots(nowMs);
    let count = 0;
    let max = -Infinity;
    for (const s of live) {
      const bucket = this.ring.bucketAt(s);
      count += this.ring.get(bucket, COUNT);
      const slotMax = this.ring.get(bucket, MAX);
      if (slotMax > max) max = slotMax;
    }
    return { count, p50, p95, p99, max: count === 0 ? NaN : max };
  }

  /**
   * Nearest-rank quantiles for each `q` of `qs` (each in [0, 1]) over the window ending at
   * `nowMs`, in ms, in the order given; `NaN`s when the window is empty. Each value is within
   * `x / 32 + 0.52 µs` of the exact quantile `x` and clamped to the window's exact min/max.
   * @throws {@link InvalidConfigurationError} naming `nowMs` or `qs[i]`.
   */
  percentiles(nowMs: number, qs: readonly number[]): number[] {
    for (let k = 0; k < qs.length; k++) validateNumber(`qs[${k}]`, qs[k], 0, 1);
    const live = this.liveSlots(nowMs);
    const ring = this.ring;
    let total = 0;
    let min = Infinity;
    let max = -Infinity;
    const offsets: number[] = [];
    for (const s of live) {
      const bucket = ring.bucketAt(s);
      total += ring.get(bucket, COUNT);
      if (ring.get(bucket, MIN) < min) min = ring.get(bucket, MIN);
      if (ring.get(bucket, MAX) > max) max = ring.get(bucket, MAX);
      offsets.push(s * LOG_BUCKET_COUNT);
    }
    const out = new Array<number>(qs.length);
    for (let k = 0; k < qs.length; k++) {
      const q = qs[k]!;
      if (total === 0 || this.counts === undefined) out[k] = NaN;
      else if (q === 0) out[k] = min;
      else if (q === 1) out[k] = max;
      else {
        const rank = Math.max(1, Math.ceil(q * total));
        const index = logBucketAtRank(this.counts, offsets, offsets.length, rank);
        const ms = logBucketMidpointMicros(index) / 1000;
        out[k] = ms < min ? min : ms > max ? max : ms;
      }
    }
    return out;
  }

  /**
   * Every value recorded since creation, per bucket (`out[i]` for bucket `i` of the
   * {@link LOG_BUCKET_COUNT} log-scale buckets), for a cumulative Prometheus histogram: the
   * counts of slices already rotated out (added when their slot was reused, off the call path)
   * plus every slice still held, whatever its age. Monotonic: {@link WindowedHistogram.reset}
   * does not lower it. O(464 * slices); writes into `out` (zeroed first) and returns the total.
   */
  lifetimeCounts(out: Float64Array): number {
    if (out.length < LOG_BUCKET_COUNT) {
      throw new InvalidConfigurationError('out', out.length, `an array of at least ${LOG_BUCKET_COUNT} counts`);
    }
    out.fill(0, 0, LOG_BUCKET_COUNT);
    let total = 0;
    if (this.folded !== undefined) {
      for (let i = 0; i < LOG_BUCKET_COUNT; i++) {
        out[i] = this.folded[i]!;
        total += out[i]!;
      }
    }
    const counts = this.counts;
    if (counts === undefined) return total;
    for (let s = 0; s < this.slices; s++) {
      if (this.ring.get(this.ring.bucketAt(s), COUNT) === 0) continue;
      const base = s * LOG_BUCKET_COUNT;
      for (let i = 0; i < LOG_BUCKET_COUNT; i++) {
        const c = counts[base + i]!;
        out[i]! += c;
        total += c;
      }
    }
    return total;
  }

  /**
   * Forgets every value of the window (the `invalid` counter included); keeps the allocated
   * arrays. The lifetime totals ({@link WindowedHistogram.lifetimeCounts}) keep them.
   */
  reset(): void {
    if (this.counts !== undefined) {
      for (let s = 0; s < this.slices; s++) this.fold(s);
      this.counts.fill(0);
    }
    this.ring.reset();
    this.invalidCount = 0;
  }

  // The first record of `epoch` in its slot: allocates the counts on the very first record, and
  // empties the slice when it held an older epoch. False (counted as invalid) when it holds a
  // newer one: a clock going backwards must not wipe newer data for an older sample. Kept out
  // of `record`, which V8 should inline into the call path.
  private startSlice(slot: number, bucket: number, epoch: number): boolean {
    const counts = this.counts ?? (this.counts = new Uint32Array(this.slices * LOG_BUCKET_COUNT));
    if (this.ring.epochAt(bucket) > epoch) {
      this.invalidCount++;
      return false;
    }
    this.fold(slot);
    const base = slot * LOG_BUCKET_COUNT;
    counts.fill(0, base, base + LOG_BUCKET_COUNT);
    this.ring.resetBucket(bucket, epoch);
    return true;
  }

  // Adds slot `slot`'s counts to the lifetime totals before it is emptied (once per slice
  // rotation, off the call path: 464 additions every `sliceMs` at most).
  private fold(slot: number): void {
    const counts = this.counts;
    if (counts === undefined || this.ring.get(this.ring.bucketAt(slot), COUNT) === 0) return;
    const folded = this.folded ?? (this.folded = new Float64Array(LOG_BUCKET_COUNT));
    const base = slot * LOG_BUCKET_COUNT;
    for (let i = 0; i < LOG_BUCKET_COUNT; i++) folded[i]! += counts[base + i]!;
  }

  // Slots holding data of one of the last `slices` epochs (the current one included).
  private liveSlots(nowMs: number): number[] {
    if (!Number.isFinite(nowMs)) throw new InvalidConfigurationError('nowMs', nowMs, 'a finite time in ms');
    const current = this.ring.epochOf(nowMs);
    const live: number[] = [];
    for (let s = 0; s < this.slices; s++) {
      const bucket = this.ring.bucketAt(s);
      if (this.ring.isLive(bucket, current, this.slices) && this.ring.get(bucket, COUNT) > 0) live.push(s);
    }
    return live;
  }
}

const SUMMARY_QS: readonly number[] = Object.freeze([0.5, 0.95, 0.99]);
