import { InvalidConfigurationError, SdkCompatibility } from '@datawarehouse/sdk';
import { TimeBucketRing, validateObject } from '@datawarehouse/sdk/internals';
import type { IRateLimiter, RateLimiterStatistics } from './IRateLimiter.js';
import type { SlidingWindowOptions } from './resolveRateLimitOptions.js';
import { resolveRateLimitOptions } from './resolveRateLimitOptions.js';

/**
 * A sliding-window limiter over a ring of segments: the window of `windowMs` is cut into
 * `segments` segments of `windowMs / segments`, and a call is admitted while the calls counted
 * in the current segment plus the `segments` previous whole segments are below `limit`.
 *
 * Why a ring and not the weighted-previous-window estimate: the estimate can admit up to
 * about twice the limit in some windows. Counting `segments + 1` segments always covers the
 * last `windowMs` in full, so **any** interval of `windowMs` (however aligned) sees at most
 * `limit` admissions; the price is being conservative by up to one segment (a call may wait
 * up to `windowMs / segments` longer than strictly needed).
 *
 * Cost: `tryAcquire` is O(1) amortized (a {@link TimeBucketRing} with a running total: segments
 * leave it as time passes, each at most once per pass; after a long idle it is zeroed at once);
 * a rejection scans at most `segments + 1` counts to compute the wait. No allocation, no
 * timers. A `nowMs` earlier than the current segment (a clock going backwards) counts in the
 * current segment.
 *
 * @example
 * ```ts
 * const limiter = new SlidingWindowRateLimiter({ limit: 100, windowMs: 1000 }); // 10 segments
 * const waitMs = limiter.tryAcquire(clock.now()); // 0 = admitted
 * ```
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class SlidingWindowRateLimiter implements IRateLimiter {
  readonly kind = 'sliding-window' as const;
  private opts: Readonly<SlidingWindowOptions>;
  private limit: number;
  // segments + 1 buckets, one field: the calls admitted in the segment.
  private ring: TimeBucketRing;
  private admittedCount = 0;
  private rejectedCount = 0;

  /**
   * @param options - `limit` (integer >= 1), `windowMs` (> 0), `segments` (1..1000, default
   *   10); `kind` may be left out.
   * @throws {@link InvalidConfigurationError} naming the field (`rateLimit.limit`, ...).
   */
  constructor(
    options: Omit<SlidingWindowOptions, 'kind' | 'segments'> & {
      readonly kind?: 'sliding-window';
      readonly segments?: number;
    },
  ) {
    this.opts = resolveOwn(options);
    this.limit = this.opts.limit;
    this.ring = newRing(this.opts);
  }

  /** The options in force (frozen). */
  get options(): Readonly<SlidingWindowOptions> {
    return this.opts;
  }

  /**
   * Takes one permit: 0 when admitted, otherwise the ms (> 0) until the oldest counted
   * segments leave the window and free a permit. @throws {@link InvalidConfigurationError}
   * (field `nowMs`).
   */
  tryAcquire(nowMs: number): number {
    const bucket = this.advance(nowMs);
    const ring = this.ring;
    if (ring.total(0) < this.limit) {
      ring.addCounted(bucket, 0, 1);
      this.admittedCount++;
      return 0;
    }
    this.rejectedCount++;
    // Segment head - segments + i leaves the count when the epoch reaches head + 1 + i.
    let remaining = ring.total(0);
    const head = ring.head;
    const oldest = head - ring.buckets + 1;
    for (let i = 0; i < ring.buckets; i++) {
      remaining -= ring.valueAt(oldest + i, 0);
      if (remaining < this.limit) {
        const wait = ring.startOf(head + 1 + i) - nowMs;
        return wait > 0 ? wait : Number.MIN_VALUE;
      }
    }
    // Unreachable: once every slot is dropped, remaining is 0 < limit.
    return this.opts.windowMs;
  }

  /**
   * Lays `options` over the current ones. With the same `windowMs` and `segments` the
   * segment counts are kept; otherwise the whole count moves into the current segment (it
   * then expires a full window from now — conservative, never over-admitting). Either way the
   * count is clamped to the new `limit`, dropping the oldest segments' calls first.
   * @throws {@link InvalidConfigurationError} naming the bad field (a different `kind`
   *   included); nothing changes then.
   */
  reconfigure(options: unknown, nowMs?: number): void {
    const next = resolveRateLimitOptions(options, 'rateLimit', this.opts);
    if (next.kind !== 'sliding-window') {
      throw new InvalidConfigurationError(
        'rateLimit.kind',
        next.kind,
        "'sliding-window' (a limiter cannot change kind)",
      );
    }
    if (nowMs !== undefined) this.advance(nowMs);
    const sameShape = next.windowMs === this.opts.windowMs && next.segments === this.opts.segments;
    this.opts = next;
    this.limit = next.limit;
    if (!sameShape) {
      const carried = this.ring.total(0);
      const headMs = this.ring.head * this.ring.bucketMs;
      this.ring = newRing(next);
      if (carried > 0 && Number.isFinite(headMs)) {
        this.ring.addCounted(this.ring.advance(this.ring.epochOf(headMs)), 0, carried);
      }
    }
    // Clamp: drop the oldest calls first (they would have left the window first anyway).
    const ring = this.ring;
    const oldest = ring.head - ring.buckets + 1;
    for (let i = 0; ring.total(0) > this.limit && i < ring.buckets; i++) {
      const drop = Math.min(ring.valueAt(oldest + i, 0), ring.total(0) - this.limit);
      if (drop > 0) ring.addCounted(ring.bucketAt(ring.slotOf(oldest + i)), 0, -drop);
    }
  }

  /** Counters, and the permits available at `nowMs` when given (else as of the last call). */
  getStatistics(nowMs?: number): RateLimiterStatistics {
    const ring = this.ring;
    let counted = ring.total(0);
    if (nowMs !== undefined && Number.isFinite(nowMs)) {
      // What advance(nowMs) would leave: the buckets live at the later of nowMs and the head.
      counted = ring.sum(0, Math.max(ring.epochOf(nowMs), ring.head), ring.buckets);
    }
    return {
      kind: this.kind,
      admitted: this.admittedCount,
      rejected: this.rejectedCount,
      available: Math.max(0, this.limit - counted),
      capacity: this.limit,
    };
  }

  // Moves the current segment to nowMs's epoch (segments that left the window leave the
  // total) and returns its bucket.
  private advance(nowMs: number): number {
    if (!Number.isFinite(nowMs)) throw new InvalidConfigurationError('nowMs', nowMs, 'a finite time in ms');
    return this.ring.advance(this.ring.epochOf(nowMs));
  }
}

function newRing(opts: Readonly<SlidingWindowOptions>): TimeBucketRing {
  return new TimeBucketRing(opts.windowMs / opts.segments, opts.segments + 1, 1, { totals: true });
}

function resolveOwn(options: unknown): Readonly<SlidingWindowOptions> {
  const obj = validateObject('rateLimit', options);
  const resolved = resolveRateLimitOptions(Object.hasOwn(obj, 'kind') ? obj : { ...obj, kind: 'sliding-window' });
  if (resolved.kind !== 'sliding-window') {
    throw new InvalidConfigurationError('rateLimit.kind', resolved.kind, "'sliding-window'");
  }
  return resolved;
}
