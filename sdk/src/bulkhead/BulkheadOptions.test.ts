import { describe, expect, it } from 'vitest';
import { isInvalidConfigurationError } from '../errors/errors.js';
import { DEFAULT_BULKHEAD_OPTIONS, MAX_BULKHEAD_QUEUE_TIMEOUT_MS, resolveBulkheadOptions } from './BulkheadOptions.js';
import { fieldOf } from '../testing/index.js';

describe('resolveBulkheadOptions', () => {
  it('has frozen defaults of 64 running, 1000 queued and no queue timeout', () => {
    expect(DEFAULT_BULKHEAD_OPTIONS).toEqual({ maxConcurrency: 64, maxQueueSize: 1000, queueTimeoutMs: Infinity });
    expect(Object.isFrozen(DEFAULT_BULKHEAD_OPTIONS)).toBe(true);
  });

  it('lays a partial over the defaults and returns a new frozen object', () => {
    const r = resolveBulkheadOptions({ maxConcurrency: 8 });
    expect(r).toEqual({ maxConcurrency: 8, maxQueueSize: 1000, queueTimeoutMs: Infinity });
    expect(Object.isFrozen(r)).toBe(true);
    expect(r).not.toBe(DEFAULT_BULKHEAD_OPTIONS);
  });

  it('lays a partial over a given base', () => {
    const base = resolveBulkheadOptions({ maxConcurrency: 3, maxQueueSize: 5, queueTimeoutMs: 100 });
    expect(resolveBulkheadOptions({ maxQueueSize: 0 }, 'bulkhead', base)).toEqual({
      maxConcurrency: 3,
      maxQueueSize: 0,
      queueTimeoutMs: 100,
    });
  });

  it('treats undefined input as no overrides and {} likewise', () => {
    expect(resolveBulkheadOptions(undefined)).toEqual(DEFAULT_BULKHEAD_OPTIONS);
    expect(resolveBulkheadOptions({})).toEqual(DEFAULT_BULKHEAD_OPTIONS);
    expect(Object.isFrozen(resolveBulkheadOptions(undefined))).toBe(true);
  });

  it('accepts queueTimeoutMs of Infinity, fractions and the largest timer delay', () => {
    expect(resolveBulkheadOptions({ queueTimeoutMs: Infinity }).queueTimeoutMs).toBe(Infinity);
    expect(resolveBulkheadOptions({ queueTimeoutMs: 0.5 }).queueTimeoutMs).toBe(0.5);
    expect(resolveBulkheadOptions({ queueTimeoutMs: MAX_BULKHEAD_QUEUE_TIMEOUT_MS }).queueTimeoutMs).toBe(
      MAX_BULKHEAD_QUEUE_TIMEOUT_MS,
    );
  });

  it.each([
    [{ maxConcurrency: 0 }, 'bulkhead.maxConcurrency'],
    [{ maxConcurrency: -1 }, 'bulkhead.maxConcurrency'],
    [{ maxConcurrency: 1.5 }, 'bulkhead.maxConcurrency'],
    [{ maxConcurrency: NaN }, 'bulkhead.maxConcurrency'],
    [{ maxConcurrency: Infinity }, 'bulkhead.maxConcurrency'],
    [{ maxConcurrency: '4' }, 'bulkhead.maxConcurrency'],
    [{ maxConcurrency: undefined }, 'bulkhead.maxConcurrency'],
    [{ maxQueueSize: -1 }, 'bulkhead.maxQueueSize'],
    [{ maxQueueSize: 2.5 }, 'bulkhead.maxQueueSize'],
    [{ maxQueueSize: NaN }, 'bulkhead.maxQueueSize'],
    [{ maxQueueSize: null }, 'bulkhead.maxQueueSize'],
    [{ queueTimeoutMs: 0 }, 'bulkhead.queueTimeoutMs'],
    [{ queueTimeoutMs: -5 }, 'bulkhead.queueTimeoutMs'],
    [{ queueTimeoutMs: NaN }, 'bulkhead.queueTimeoutMs'],
    [{ queueTimeoutMs: -Infinity }, 'bulkhead.queueTimeoutMs'],
    [{ queueTimeoutMs: MAX_BULKHEAD_QUEUE_TIMEOUT_MS + 1 }, 'bulkhead.queueTimeoutMs'],
    [{ queueTimeoutMs: '100' }, 'bulkhead.queueTimeoutMs'],
    [{ maxConcurency: 4 }, 'bulkhead.maxConcurency'],
    [null, 'bulkhead'],
    [[], 'bulkhead'],
    [42, 'bulkhead'],
  ])('rejects %j naming %s', (input, field) => {
    expect(fieldOf(() => resolveBulkheadOptions(input))).toBe(field);
  });

  it('names the field under the given parent path', () => {
    expect(fieldOf(() => resolveBulkheadOptions({ maxQueueSize: -1 }, 'strategies.db.bulkhead'))).toBe(
      'strategies.db.bulkhead.maxQueueSize',
    );
  });

  it('carries the bad value in the error', () => {
    try {
      resolveBulkheadOptions({ maxQueueSize: -3 });
      expect.unreachable();
    } catch (e) {
      expect(isInvalidConfigurationError(e) && e.value).toBe(-3);
      expect(String((e as Error).message)).toContain('bulkhead.maxQueueSize');
    }
  });

  it('ignores inherited properties of the input', () => {
    const input = Object.create({ maxConcurrency: 0 }) as object;
    expect(resolveBulkheadOptions(input)).toEqual(DEFAULT_BULKHEAD_OPTIONS);
  });
});
