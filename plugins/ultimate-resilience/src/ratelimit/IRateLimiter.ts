import type { RateLimitKind, ResolvedRateLimitOptions } from './resolveRateLimitOptions.js';

/** Counters of a rate limiter. @since 6.0.0 */
export interface RateLimiterStatistics {
  readonly kind: RateLimitKind;
  /** Calls admitted since creation. */
  readonly admitted: number;
  /** Calls refused since creation. */
  readonly rejected: number;
  /** Permits available at the time asked (tokens, or `limit` minus the window's count). */
  readonly available: number;
  /** `capacity` of a token bucket, `limit` of a sliding window. */
  readonly capacity: number;
}

/**
 * Admits calls at a bounded rate. Time is passed in (`nowMs`, from the caller's `Clock`);
 * state is brought up to date lazily on each call, so there are no timers. `tryAcquire` is
 * O(1) (amortized for the sliding window) and allocates nothing.
 * @since 6.0.0
 */
export interface IRateLimiter {
  readonly kind: RateLimitKind;
  /** The options in force (frozen). */
  readonly options: Readonly<ResolvedRateLimitOptions>;
  /**
   * Takes one permit: 0 when admitted, otherwise the ms (> 0) until a permit is expected.
   * @throws {@link InvalidConfigurationError} (field `nowMs`) for a non-finite `nowMs`.
   */
  tryAcquire(nowMs: number): number;
  /**
   * Changes the options in place: the fields given are laid over the current ones (`kind`
   * may be left out, and cannot change). Tokens / counts are kept, clamped to the new
   * capacity. Pass `nowMs` to settle the elapsed time under the old options first.
   * @throws {@link InvalidConfigurationError} naming the bad field; nothing changes then.
   */
  reconfigure(options: unknown, nowMs?: number): void;
  /** Counters and, when `nowMs` is given, the permits available then (state is not changed). */
  getStatistics(nowMs?: number): RateLimiterStatistics;
}
