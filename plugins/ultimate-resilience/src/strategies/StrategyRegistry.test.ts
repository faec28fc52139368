import { describe, expect, it } from 'vitest';
import { isCapacityExceededError, isInvalidConfigurationError, isUnknownStrategyError } from '@datawarehouse/sdk';
import { errorOf } from '@datawarehouse/sdk/testing';
import { StrategyRegistry } from './StrategyRegistry.js';
import { BUILTIN_STRATEGIES } from './builtinStrategies.js';
import { resolveStrategyDefinition } from './StrategyDefinition.js';

describe('StrategyRegistry', () => {
  it('accepts every built-in strategy', () => {
    const registry = new StrategyRegistry(BUILTIN_STRATEGIES);
    expect(registry.size).toBe(BUILTIN_STRATEGIES.length);
    for (const id of [
      'default',
      'breaker-rate-window',
      'bulkhead-partitioned',
      'bulkhead-priority',
      'retry-decorrelated-jitter',
      'retry-budgeted',
      'timeout-attempt',
      'timeout-overall',
      'fallback-null',
      'ratelimit-token-bucket',
      'ratelimit-sliding-window',
    ]) {
      expect(registry.has(id)).toBe(true);
    }
  });

  it('is bounded by maxStrategies', () => {
    const registry = new StrategyRegistry([], 2);
    registry.register({ id: 'a' });
    registry.register({ id: 'b' });
    registry.register({ id: 'a', retry: false }); // replacing does not grow it
    expect(() => registry.register({ id: 'c' })).toThrow(expect.objectContaining({ code: 'ERR_CAPACITY_EXCEEDED' }));
    expect(isCapacityExceededError(errorOf(() => registry.register({ id: 'd' })))).toBe(true);
    expect(() => registry.setMaxStrategies(1)).toThrow(expect.objectContaining({ field: 'maxStrategies' }));
  });

  it('updates and removes strategies and emits events', () => {
    const registry = new StrategyRegistry([{ id: 'a', retry: { maxRetries: 1 } }]);
    const seen: string[] = [];
    registry.events.on('registered', (s) => seen.push(`registered:${s.id}:${s.retry?.maxRetries}`));
    registry.events.on('removed', (s) => seen.push(`removed:${s.id}`));
    registry.update('a', { retry: { maxRetries: 4 } });
    expect(registry.require('a').retry?.maxRetries).toBe(4);
    expect(registry.remove('a')).toBe(true);
    expect(registry.remove('a')).toBe(false);
    expect(seen).toEqual(['registered:a:4', 'removed:a']);
    expect(() => registry.require('a')).toThrow(expect.objectContaining({ code: 'ERR_UNKNOWN_STRATEGY' }));
    expect(isUnknownStrategyError(errorOf(() => registry.update('zzz', {})))).toBe(true);
  });
});

describe('resolveStrategyDefinition', () => {
  it.each([
    [{ id: '' }, 'strategy.id'],
    [{ id: 'has space' }, 'strategy.id'],
    [{ id: 'x', circuitBreaker: { failureThreshold: 0 } }, 'strategy.circuitBreaker.failureThreshold'],
    [{ id: 'x', bulkhead: { maxConcurrency: 1.5 } }, 'strategy.bulkhead.maxConcurrency'],
    [{ id: 'x', bulkhead: { kind: 'lifo' } }, 'strategy.bulkhead.kind'],
    [{ id: 'x', retry: { backoff: 'quadratic' } }, 'strategy.retry.backoff'],
    [{ id: 'x', timeout: { attemptTimeoutMs: -5 } }, 'strategy.timeout.attemptTimeoutMs'],
    [{ id: 'x', fallback: {} }, 'strategy.fallback.value'],
    [{ id: 'x', nonRetryableErrors: 'EBAD' }, 'strategy.nonRetryableErrors'],
    [{ id: 'x', shareState: 'yes' }, 'strategy.shareState'],
    [{ id: 'x', retries: 3 }, 'strategy.retries'],
    [{ id: 'x', shouldRetry: true }, 'strategy.shouldRetry'],
  ])('rejects %j naming %s', (input, field) => {
    let error: unknown;
    try {
      resolveStrategyDefinition(input);
    } catch (e) {
      error = e;
    }
    expect(isInvalidConfigurationError(error)).toBe(true);
    expect(error).toMatchObject({ field });
  });

  it('leaves bulkhead limits open to the global limits unless given', () => {
    const s = resolveStrategyDefinition({ id: 'x', bulkhead: { maxQueueSize: 5 } });
    expect(s.bulkhead).toEqual({ maxQueueSize: 5, kind: 'semaphore', maxPartitions: 1000 });
    expect(Object.isFrozen(s)).toBe(true);
    expect(resolveStrategyDefinition({ id: 'y', circuitBreaker: false, retry: false, bulkhead: false })).toMatchObject({
      circuitBreaker: undefined,
      retry: undefined,
      bulkhead: undefined,
    });
  });
});

describe('resolveStrategyDefinition adaptive section', () => {
  it.each([
    [{ id: 'x', adaptive: { emaAlpha: 2 } }, 'strategy.adaptive.emaAlpha'],
    [{ id: 'x', adaptive: { enabeld: true } }, 'strategy.adaptive.enabeld'],
    [{ id: 'x', adaptive: 'on' }, 'strategy.adaptive'],
  ])('rejects %j naming %s', (input, field) => {
    expect(() => resolveStrategyDefinition(input)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_CONFIGURATION', field }),
    );
  });

  it('accepts a valid section and false', () => {
    expect(resolveStrategyDefinition({ id: 'x', adaptive: { enabled: true } }).adaptive).toEqual({ enabled: true });
    expect(resolveStrategyDefinition({ id: 'y', adaptive: false }).adaptive).toBeUndefined();
  });
});
