import { describe, expect, it } from 'vitest';
import { fieldOf } from '@datawarehouse/sdk/testing';
import { DEFAULT_SLIDING_WINDOW_SEGMENTS, resolveRateLimitOptions } from './resolveRateLimitOptions.js';

describe('resolveRateLimitOptions', () => {
  it('resolves a token bucket', () => {
    const r = resolveRateLimitOptions({ kind: 'token-bucket', capacity: 100, refillPerSecond: 50 });
    expect(r).toEqual({ kind: 'token-bucket', capacity: 100, refillPerSecond: 50 });
    expect(Object.isFrozen(r)).toBe(true);
  });

  it('resolves a sliding window with 10 segments by default', () => {
    expect(resolveRateLimitOptions({ kind: 'sliding-window', limit: 100, windowMs: 1_000 })).toEqual({
      kind: 'sliding-window',
      limit: 100,
      windowMs: 1_000,
      segments: DEFAULT_SLIDING_WINDOW_SEGMENTS,
    });
    expect(resolveRateLimitOptions({ kind: 'sliding-window', limit: 1, windowMs: 1, segments: 1 })).toMatchObject({
      segments: 1,
    });
  });

  it('lays a partial over a base of the same kind, kind optional', () => {
    const base = resolveRateLimitOptions({ kind: 'sliding-window', limit: 100, windowMs: 1_000, segments: 4 });
    expect(resolveRateLimitOptions({ limit: 5 }, 'rateLimit', base)).toEqual({
      kind: 'sliding-window',
      limit: 5,
      windowMs: 1_000,
      segments: 4,
    });
    const tb = resolveRateLimitOptions({ kind: 'token-bucket', capacity: 10, refillPerSecond: 1 });
    expect(resolveRateLimitOptions({ refillPerSecond: 3 }, 'rateLimit', tb)).toEqual({
      kind: 'token-bucket',
      capacity: 10,
      refillPerSecond: 3,
    });
  });

  it('requires every field when the kind differs from the base', () => {
    const tb = resolveRateLimitOptions({ kind: 'token-bucket', capacity: 10, refillPerSecond: 1 });
    expect(fieldOf(() => resolveRateLimitOptions({ kind: 'sliding-window', limit: 5 }, 'rateLimit', tb))).toBe(
      'rateLimit.windowMs',
    );
  });

  it('names the bad field for every invalid input', () => {
    const cases: [unknown, string][] = [
      [undefined, 'rateLimit'],
      ['fast', 'rateLimit'],
      [{ capacity: 1, refillPerSecond: 1 }, 'rateLimit.kind'],
      [{ kind: 'leaky-bucket' }, 'rateLimit.kind'],
      [{ kind: 'token-bucket', refillPerSecond: 1 }, 'rateLimit.capacity'],
      [{ kind: 'token-bucket', capacity: 0.5, refillPerSecond: 1 }, 'rateLimit.capacity'],
      [{ kind: 'token-bucket', capacity: Infinity, refillPerSecond: 1 }, 'rateLimit.capacity'],
      [{ kind: 'token-bucket', capacity: 1, refillPerSecond: 0 }, 'rateLimit.refillPerSecond'],
      [{ kind: 'token-bucket', capacity: 1, refillPerSecond: 2e9 }, 'rateLimit.refillPerSecond'],
      [{ kind: 'token-bucket', capacity: 1, refillPerSecond: 1, limit: 5 }, 'rateLimit.limit'],
      [{ kind: 'sliding-window', windowMs: 1_000 }, 'rateLimit.limit'],
      [{ kind: 'sliding-window', limit: 1.5, windowMs: 1_000 }, 'rateLimit.limit'],
      [{ kind: 'sliding-window', limit: 0, windowMs: 1_000 }, 'rateLimit.limit'],
      [{ kind: 'sliding-window', limit: 1, windowMs: 0 }, 'rateLimit.windowMs'],
      [{ kind: 'sliding-window', limit: 1, windowMs: NaN }, 'rateLimit.windowMs'],
      [{ kind: 'sliding-window', limit: 1, windowMs: 10, segments: 0 }, 'rateLimit.segments'],
      [{ kind: 'sliding-window', limit: 1, windowMs: 10, segments: 1001 }, 'rateLimit.segments'],
      [{ kind: 'sliding-window', limit: 1, windowMs: 10, capacity: 3 }, 'rateLimit.capacity'],
    ];
    for (const [input, field] of cases)
      expect(
        fieldOf(() => resolveRateLimitOptions(input)),
        JSON.stringify(input),
      ).toBe(field);
  });

  it('prefixes error fields with the given path', () => {
    expect(
      fieldOf(() =>
        resolveRateLimitOptions({ kind: 'token-bucket', capacity: 0, refillPerSecond: 1 }, 'strategies.api.rateLimit'),
      ),
    ).toBe('strategies.api.rateLimit.capacity');
  });
});
