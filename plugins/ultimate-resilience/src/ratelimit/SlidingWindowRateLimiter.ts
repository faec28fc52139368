import { InvalidConfigurationError, SdkCompatibility, validateObject } from '@datawarehouse/sdk';
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
 * Cost: `tryAcquire` is O(1) amortized (segments are cleared as time passes, each at most once
 * per pass; after a long idle the ring is cleared in O(segments)); a rejection scans at most
 * `segments + 1` counts to compute the wait. No allocation, no timers. A `nowMs` earlier than
 * the current segment (a clock going backwards) counts in the current segment.
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
  private segmentMs: number;
  // segments + 1 slots; slot of epoch e is e % slots.
  private slots: number;
  private counts: Float64Array;
  private head = -Infinity;
  private total = 0;
  private admittedCount = 0;
  private rejectedCount = 0;

  /**
   * @param options - `limit` (integer >= 1), `windowMs` (> 0), `segments` (1..1000, default
   *   10); `kind` may be left out.
   * @throws {@link InvalidConfigurationError} naming the field (`rateLimit.limit`, ...).
   */
  constructor(options: Omit<SlidingWindowOptions, 'kind' | 'segments'> & {
    readonly kind?: 'sliding-window';
    readonly segments?: number;
  }) {
    this.opts = resolveOwn(options);
    this.limit = this.opts.limit;
    this.segmentMs = this.opts.windowMs / this.opts.segments;
    this.slots = this.opts.segments + 1;
    this.counts = new Float64Array(this.slots);
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
    this.advance(nowMs);
    if (this.total < this.limit) {
      this.counts[this.slotOf(this.head)]! += 1;
      this.total++;
      this.admittedCount++;
      return 0;
    }
    this.rejectedCount++;
    // Segment head - segments + i leaves the count when the epoch reaches head + 1 + i.
    let remaining = this.total;
    const oldest = this.head - this.slots + 1;
    for (let i = 0; i < this.slots; i++) {
      remaining -= this.counts[this.slotOf(oldest + i)]!;
      if (remaining < this.limit) {
        const wait = this.startOf(this.head + 1 + i) - nowMs;
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
      throw new InvalidConfigurationError('rateLimit.kind', next.kind, "'sliding-window' (a limiter cannot change kind)");
    }
    if (nowMs !== undefined) this.advance(nowMs);
    const sameShape = next.windowMs === this.opts.windowMs && next.segments === this.opts.segments;
    this.opts = next;
    this.limit = next.limit;
    if (!sameShape) {
      const carried = this.total;
      const headMs = this.head * this.segmentMs;
      this.segmentMs = next.windowMs / next.segments;
      this.slots = next.segments + 1;
      this.counts = new Float64Array(this.slots);
      this.total = 0;
      this.head = -Infinity;
      if (carried > 0 && Number.isFinite(headMs)) {
        this.head = Math.floor(headMs / this.segmentMs);
        this.counts[this.slotOf(this.head)] = carried;
        this.total = carried;
      }
    }
    // Clamp: drop the oldest calls first (they would have left the window first anyway).
    const oldest = this.head - this.slots + 1;
    for (let i = 0; this.total > this.limit && i < this.slots; i++) {
      const slot = this.slotOf(oldest + i);
      const drop = Math.min(this.counts[slot]!, this.total - this.limit);
      this.counts[slot]! -= drop;
      this.total -= drop;
    }
  }

  /** Counters, and the permits available at `nowMs` when given (else as of the last call). */
  getStatistics(nowMs?: number): RateLimiterStatistics {
    let counted = this.total;
    if (nowMs !== undefined && Number.isFinite(nowMs)) {
      const epoch = Math.floor(nowMs / this.segmentMs);
      const steps = epoch - this.head;
      if (steps >= this.slots) counted = 0;
      else for (let k = 1; k <= steps; k++) counted -= this.counts[this.slotOf(this.head + k)]!;
    }
    return {
      kind: this.kind,
      admitted: this.admittedCount,
      rejected: this.rejectedCount,
      available: Math.max(0, this.limit - counted),
      capacity: this.limit,
    };
  }

  // First time whose epoch is `epoch`: `epoch * segmentMs` can round to just below it, and a
  // caller retrying at that time would be refused again.
  private startOf(epoch: number): number {
    let at = epoch * this.segmentMs;
    while (Math.floor(at / this.segmentMs) < epoch) at += Math.max(Number.MIN_VALUE, Math.abs(at) * Number.EPSILON);
    return at;
  }

  // Ring index of an epoch; epochs may be negative when the clock starts below 0.
  private slotOf(epoch: number): number {
    const r = epoch % this.slots;
    return r < 0 ? r + this.slots : r;
  }

  // Moves the current segment to nowMs's epoch, clearing the segments that left the window.
  private advance(nowMs: number): void {
    if (!Number.isFinite(nowMs)) throw new InvalidConfigurationError('nowMs', nowMs, 'a finite time in ms');
    const epoch = Math.floor(nowMs / this.segmentMs);
    const steps = epoch - this.head;
    if (!(steps > 0)) return;
    if (steps >= this.slots) {
      this.counts.fill(0);
      this.total = 0;
    } else {
      for (let k = 1; k <= steps; k++) {
        const slot = this.slotOf(this.head + k);
        this.total -= this.counts[slot]!;
        this.counts[slot] = 0;
      }
    }
    this.head = epoch;
  }
}

function resolveOwn(options: unknown): Readonly<SlidingWindowOptions> {
  const obj = validateObject('rateLimit', options);
  const resolved = resolveRateLimitOptions(Object.hasOwn(obj, 'kind') ? obj : { ...obj, kind: 'sliding-window' });
  if (resolved.kind !== 'sliding-window') {
    throw new InvalidConfigurationError('rateLimit.kind', resolved.kind, "'sliding-window'");
  }
  return resolved;
}
