import { InvalidConfigurationError, SdkCompatibility } from '@datawarehouse/sdk';
import { validateObject } from '@datawarehouse/sdk/internals';
import type { IRateLimiter, RateLimiterStatistics } from './IRateLimiter.js';
import type { TokenBucketOptions } from './resolveRateLimitOptions.js';
import { resolveRateLimitOptions } from './resolveRateLimitOptions.js';

/**
 * A token bucket: holds up to `capacity` tokens, starts full, gains `refillPerSecond` tokens
 * per second (computed lazily from the `nowMs` of each call — no timers), and each admitted
 * call takes one token. Over any interval of `t` ms it admits at most
 * `capacity + refillPerSecond * t / 1000` calls.
 *
 * A `nowMs` earlier than the last one seen (a clock going backwards) refills nothing.
 *
 * @example
 * ```ts
 * const limiter = new TokenBucketRateLimiter({ capacity: 100, refillPerSecond: 50 });
 * const waitMs = limiter.tryAcquire(clock.now());
 * if (waitMs > 0) throw new RateLimitedError('api', waitMs);
 * ```
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class TokenBucketRateLimiter implements IRateLimiter {
  readonly kind = 'token-bucket' as const;
  private opts: Readonly<TokenBucketOptions>;
  private capacity: number;
  private perMs: number;
  private tokens: number;
  // -Infinity: the first call refills to capacity whatever its time.
  private last = -Infinity;
  private admittedCount = 0;
  private rejectedCount = 0;

  /**
   * @param options - `capacity` (burst, >= 1) and `refillPerSecond` (> 0); `kind` may be left out.
   * @throws {@link InvalidConfigurationError} naming the field (`rateLimit.capacity`, ...).
   */
  constructor(options: Omit<TokenBucketOptions, 'kind'> & { readonly kind?: 'token-bucket' }) {
    this.opts = resolveOwn(options);
    this.capacity = this.opts.capacity;
    this.perMs = this.opts.refillPerSecond / 1000;
    this.tokens = this.capacity;
  }

  /** The options in force (frozen). */
  get options(): Readonly<TokenBucketOptions> {
    return this.opts;
  }

  /**
   * Takes one token: 0 when admitted, otherwise the ms (> 0) until the next token.
   * O(1), no allocation. @throws {@link InvalidConfigurationError} (field `nowMs`).
   */
  tryAcquire(nowMs: number): number {
    this.refill(nowMs);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      this.admittedCount++;
      return 0;
    }
    this.rejectedCount++;
    const wait = (1 - this.tokens) / this.perMs;
    return wait > 0 ? wait : Number.MIN_VALUE;
  }

  /**
   * Lays `options` over the current ones. Tokens are kept, clamped to the new capacity;
   * with `nowMs`, the time since the last call is first refilled at the old rate.
   * @throws {@link InvalidConfigurationError} naming the bad field (a different `kind`
   *   included); nothing changes then.
   */
  reconfigure(options: unknown, nowMs?: number): void {
    const next = resolveRateLimitOptions(options, 'rateLimit', this.opts);
    if (next.kind !== 'token-bucket') {
      throw new InvalidConfigurationError('rateLimit.kind', next.kind, "'token-bucket' (a limiter cannot change kind)");
    }
    if (nowMs !== undefined) this.refill(nowMs);
    this.opts = next;
    this.capacity = next.capacity;
    this.perMs = next.refillPerSecond / 1000;
    if (this.tokens > this.capacity) this.tokens = this.capacity;
  }

  /** Counters, and the tokens available at `nowMs` when given (else as of the last call). */
  getStatistics(nowMs?: number): RateLimiterStatistics {
    let available = this.tokens;
    if (nowMs !== undefined && nowMs >= this.last) {
      available = Math.min(this.capacity, this.tokens + (nowMs - this.last) * this.perMs);
    }
    return {
      kind: this.kind,
      admitted: this.admittedCount,
      rejected: this.rejectedCount,
      available,
      capacity: this.capacity,
    };
  }

  private refill(nowMs: number): void {
    if (!Number.isFinite(nowMs)) throw new InvalidConfigurationError('nowMs', nowMs, 'a finite time in ms');
    if (nowMs <= this.last) return;
    const tokens = this.tokens + (nowMs - this.last) * this.perMs;
    this.tokens = tokens < this.capacity ? tokens : this.capacity;
    this.last = nowMs;
  }
}

function resolveOwn(options: unknown): Readonly<TokenBucketOptions> {
  const obj = validateObject('rateLimit', options);
  const resolved = resolveRateLimitOptions(Object.hasOwn(obj, 'kind') ? obj : { ...obj, kind: 'token-bucket' });
  if (resolved.kind !== 'token-bucket') {
    throw new InvalidConfigurationError('rateLimit.kind', resolved.kind, "'token-bucket'");
  }
  return resolved;
}
