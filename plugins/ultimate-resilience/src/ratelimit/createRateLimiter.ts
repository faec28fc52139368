import type { IRateLimiter } from './IRateLimiter.js';
import type { RateLimitOptions } from './resolveRateLimitOptions.js';
import { resolveRateLimitOptions } from './resolveRateLimitOptions.js';
import { SlidingWindowRateLimiter } from './SlidingWindowRateLimiter.js';
import { TokenBucketRateLimiter } from './TokenBucketRateLimiter.js';

/**
 * Creates the limiter for `options.kind`: a {@link TokenBucketRateLimiter} or a
 * {@link SlidingWindowRateLimiter}. The options are validated first.
 * @param field - dotted path used in error messages. Default `rateLimit`.
 * @throws {@link InvalidConfigurationError} naming the bad field.
 * @example
 * ```ts
 * const limiter = createRateLimiter({ kind: 'token-bucket', capacity: 100, refillPerSecond: 50 });
 * ```
 * @since 6.0.0
 */
export function createRateLimiter(options: RateLimitOptions, field = 'rateLimit'): IRateLimiter {
  const resolved = resolveRateLimitOptions(options, field);
  return resolved.kind === 'token-bucket'
    ? new TokenBucketRateLimiter(resolved)
    : new SlidingWindowRateLimiter(resolved);
}
