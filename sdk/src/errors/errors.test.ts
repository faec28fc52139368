import { describe, expect, it } from 'vitest';
import {
  BulkheadRejectedError,
  CapacityExceededError,
  CircuitOpenError,
  InvalidConfigurationError,
  PluginNotInitializedError,
  RateLimitedError,
  ResilienceTimeoutError,
  UnknownStrategyError,
  isAbortError,
  isBulkheadRejectedError,
  isCapacityExceededError,
  isCircuitOpenError,
  isInvalidConfigurationError,
  isPluginNotInitializedError,
  isRateLimitedError,
  isResilienceTimeoutError,
  isUnknownStrategyError,
} from './errors.js';
import { withoutStack } from './DataWarehouseError.js';

describe('coded errors', () => {
  it.each([
    [
      new CircuitOpenError('db', 'open', 1500),
      'ERR_CIRCUIT_OPEN',
      isCircuitOpenError,
      /'db' is open; retry after 1500 ms/,
    ],
    [
      new BulkheadRejectedError('db', 'queue-full', 4, 10, 10),
      'ERR_BULKHEAD_REJECTED',
      isBulkheadRejectedError,
      /maxConcurrency 4, queue 10\/10/,
    ],
    [
      new ResilienceTimeoutError(250, 'attempt', 'db'),
      'ERR_RESILIENCE_TIMEOUT',
      isResilienceTimeoutError,
      /timed out after 250 ms/,
    ],
    [
      new InvalidConfigurationError('bulkhead.maxQueueSize', -1, 'an integer >= 0', 'dw.json'),
      'ERR_INVALID_CONFIGURATION',
      isInvalidConfigurationError,
      /in dw.json: 'bulkhead.maxQueueSize' must be an integer >= 0, got -1/,
    ],
    [
      new PluginNotInitializedError('p', 'executeWithResilience'),
      'ERR_PLUGIN_NOT_INITIALIZED',
      isPluginNotInitializedError,
      /before initializeAsync/,
    ],
    [new UnknownStrategyError('x', ['a', 'b']), 'ERR_UNKNOWN_STRATEGY', isUnknownStrategyError, /'x' \(known: a, b\)/],
    [new RateLimitedError('api', 20), 'ERR_RATE_LIMITED', isRateLimitedError, /retry after 20 ms/],
    [new CapacityExceededError('strategy', 10), 'ERR_CAPACITY_EXCEEDED', isCapacityExceededError, /limit of 10/],
  ])('%s has a stable code, a message with the numbers and a guard', (error, code, guard, message) => {
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
    expect(error).toBeInstanceOf(Error);
    expect(guard(error)).toBe(true);
    expect(guard(new Error('plain'))).toBe(false);
  });

  it('guards recognise errors from another copy of the SDK by code', () => {
    const foreign = Object.assign(new Error('from a duplicate package'), { code: 'ERR_CIRCUIT_OPEN' });
    expect(isCircuitOpenError(foreign)).toBe(true);
    expect(isCircuitOpenError({ code: 'ERR_CIRCUIT_OPEN' })).toBe(false);
  });

  it('describes non-primitive and long values in InvalidConfigurationError', () => {
    expect(new InvalidConfigurationError('f', { a: 1 }, 'x').message).toContain('{"a":1}');
    expect(new InvalidConfigurationError('f', 'y'.repeat(200), 'x').message).toContain('…');
  });

  it('withoutStack builds an error with no stack frames and restores the limit', () => {
    const before = Error.stackTraceLimit;
    const e = withoutStack(() => new CircuitOpenError('c', 'open', 1));
    expect(e.stack?.split('\n').length).toBe(1);
    expect(Error.stackTraceLimit).toBe(before);
  });

  it('isAbortError recognises DOMException aborts', () => {
    expect(isAbortError(new DOMException('x', 'AbortError'))).toBe(true);
    expect(isAbortError(new Error('x'))).toBe(false);
  });
});
