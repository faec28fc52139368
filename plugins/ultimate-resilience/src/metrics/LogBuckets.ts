/**
 * Bucket layout shared by {@link LogHistogram} and {@link WindowedHistogram}: latencies are
 * recorded as integer microseconds in `[0, 2^32 - 1]`; values below 16 µs get one bucket
 * each, every larger power of two `[2^e, 2^(e+1))` is cut into 16 equal sub-buckets. That is
 * 16 + 28 * 16 = 464 buckets for the whole 32-bit range (about 71.6 minutes).
 *
 * Error bound: a bucket of exponent `e` starts at `L >= 2^e` and is `w = 2^(e-4)` wide, so its
 * midpoint is within `(w - 1) / 2 < L / 32` of any integer in it. Adding the 0.5 µs of rounding
 * milliseconds to integer microseconds, a representative value `r` of a true latency `x` µs
 * (below the clamp) satisfies `|r - x| <= x / 32 + 0.52 µs` (relative error ≤ 1/32 ≈ 3.1 %).
 * @since 6.0.0
 */
export const LOG_BUCKET_COUNT = 464;

/** Largest recordable value in microseconds (2^32 - 1); larger values are clamped to it. @since 6.0.0 */
export const MAX_RECORDABLE_MICROS = 0xffff_ffff;

/** Sub-bucket bits: 2^4 = 16 sub-buckets per power of two. */
const SUB_BITS = 4;
const SUB_COUNT = 1 << SUB_BITS;

/**
 * Milliseconds to integer microseconds, rounded, clamped to `[0, 2^32 - 1]`. The caller has
 * already rejected NaN and negative values.
 * @since 6.0.0
 */
export function msToMicros(valueMs: number): number {
  const us = valueMs * 1000;
  return us >= MAX_RECORDABLE_MICROS ? MAX_RECORDABLE_MICROS : Math.round(us);
}

/**
 * Bucket index of an integer microsecond value in `[0, 2^32 - 1]`. O(1): one `Math.clz32`.
 * @since 6.0.0
 */
export function logBucketIndex(micros: number): number {
  if (micros < SUB_COUNT) return micros;
  // Highest set bit e >= 4; keep the top 5 bits (1 + 4 sub-bucket bits) as the mantissa 16..31.
  const shift = 31 - Math.clz32(micros) - SUB_BITS;
  return (shift << SUB_BITS) + (micros >>> shift);
}

/**
 * Lowest microsecond value that falls into bucket `index`.
 * @since 6.0.0
 */
export function logBucketLowerMicros(index: number): number {
  if (index < SUB_COUNT) return index;
  const shift = (index >>> SUB_BITS) - 1;
  // Multiplication, not <<, so exponent 31 does not overflow into the sign bit.
  return ((index & (SUB_COUNT - 1)) + SUB_COUNT) * 2 ** shift;
}

/**
 * Representative value of bucket `index` in microseconds: the midpoint of the integers it
 * holds (see {@link LOG_BUCKET_COUNT} for the error bound).
 * @since 6.0.0
 */
export function logBucketMidpointMicros(index: number): number {
  if (index < SUB_COUNT) return index;
  const width = 2 ** ((index >>> SUB_BITS) - 1);
  return logBucketLowerMicros(index) + (width - 1) / 2;
}

/**
 * Walks buckets in value order, summing `counts[offsets[k] + i]` over the first `slices`
 * offsets, and returns the first bucket index at which the running total reaches `rank`
 * (1-based), or -1 when the total stays below it. No allocation; O(464 * slices).
 * @since 6.0.0
 */
export function logBucketAtRank(counts: Uint32Array, offsets: ArrayLike<number>, slices: number, rank: number): number {
  let seen = 0;
  for (let i = 0; i < LOG_BUCKET_COUNT; i++) {
    for (let k = 0; k < slices; k++) seen += counts[offsets[k]! + i]!;
    if (seen >= rank) return i;
  }
  return -1;
}
