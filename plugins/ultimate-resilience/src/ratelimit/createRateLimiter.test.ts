import { describe, expect, it } from 'vitest';
import { InvalidConfigurationError } from '@datawarehouse/sdk';
import { createRateLimiter } from './createRateLimiter.js';
import { SlidingWindowRateLimiter } from './SlidingWindowRateLimiter.js';
import { TokenBucketRateLimiter } from './TokenBucketRateLimiter.js';

describe('createRateLimiter', () => {
  it('creates the limiter of the given kind with the resolved options', () => {
    const tb = createRateLimiter({ kind: 'token-bucket', capacity: 2, refillPerSecond: 1 });
    expect(tb).toBeInstanceOf(TokenBucketRateLimiter);
    expect(tb.kind).toBe('token-bucket');
    const sw = createRateLimiter({ kind: 'sliding-window', limit: 2, windowMs: 100 });
    expect(sw).toBeInstanceOf(SlidingWindowRateLimiter);
    expect(sw.options).toEqual({ kind: 'sliding-window', limit: 2, windowMs: 100, segments: 10 });
    expect(sw.tryAcquire(0)).toBe(0);
  });

  it('validates with the given field path', () => {
    let err: unknown;
    try {
      createRateLimiter({ kind: 'token-bucket', capacity: 0, refillPerSecond: 1 }, 'strategies.x.rateLimit');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidConfigurationError);
    expect((err as InvalidConfigurationError).field).toBe('strategies.x.rateLimit.capacity');
  });
});
