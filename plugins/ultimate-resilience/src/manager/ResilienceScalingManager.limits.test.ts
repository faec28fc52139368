import { describe, expect, it } from 'vitest';
import { VirtualClock } from '@datawarehouse/sdk';
import { configErrorOf } from '@datawarehouse/sdk/testing';
import { ResilienceScalingManager } from './ResilienceScalingManager.js';
import { StrategyRegistry } from '../strategies/StrategyRegistry.js';

function setup(limits = {}) {
  const registry = new StrategyRegistry([
    { id: 'db', bulkhead: {}, circuitBreaker: { failureThreshold: 2 }, retry: false },
    { id: 'api', bulkhead: { maxConcurrency: 3 }, retry: false },
  ]);
  return new ResilienceScalingManager({ registry, clock: new VirtualClock(1_000_000), limits });
}

describe('ResilienceScalingManager configured limits', () => {
  it('reports what was set, not what is inherited', async () => {
    const manager = setup({ maxQueueDepth: 5 });
    expect(manager.configuredLimits).toEqual({
      maxConcurrentOperations: 64,
      maxQueueDepth: 5,
      maxCacheEntries: 10_000,
    });
    await manager.reconfigureLimitsAsync({
      strategies: { db: { bulkhead: { maxQueueSize: 1 } } },
      adaptation: { minCalls: 7 },
    });
    expect(manager.configuredLimits).toMatchObject({
      strategies: { db: { bulkhead: { maxQueueSize: 1 } } },
      adaptation: { minCalls: 7 },
    });
    expect(manager.currentLimits.strategies?.db?.bulkhead).toMatchObject({ maxConcurrency: 64, maxQueueSize: 1 });
  });

  it('replaceLimitsAsync(configuredLimits) changes nothing', async () => {
    const manager = setup();
    await manager.reconfigureLimitsAsync({
      maxConcurrentOperations: 9,
      strategies: { api: { circuitBreaker: { failureThreshold: 4 } } },
      adaptation: { enabled: true },
    });
    const configured = manager.configuredLimits;
    const current = manager.currentLimits;
    await manager.replaceLimitsAsync(configured);
    expect(manager.configuredLimits).toEqual(configured);
    expect(manager.currentLimits).toEqual(current);
  });

  it('replaceLimitsAsync drops what it does not list: the strategy follows the globals again, the circuit stays open', async () => {
    const manager = setup();
    await manager.reconfigureLimitsAsync({
      maxQueueDepth: 7,
      strategies: { db: { bulkhead: { maxConcurrency: 2 } } },
      adaptation: { minCalls: 3 },
    });
    manager.getCircuitBreaker('db')?.trip('test');
    await manager.replaceLimitsAsync({ maxConcurrentOperations: 12 });
    expect(manager.configuredLimits).toEqual({
      maxConcurrentOperations: 12,
      maxQueueDepth: 1000,
      maxCacheEntries: 10_000,
    });
    expect(manager.currentLimits.strategies?.db?.bulkhead).toMatchObject({ maxConcurrency: 12, maxQueueSize: 1000 });
    expect(manager.currentLimits.adaptation).toMatchObject({ minCalls: 20 });
    expect(manager.getCircuitBreaker('db')?.state).toBe('open');
  });

  it('validateReplacement names the bad field and applies nothing; replaceLimitsAsync refuses it the same way', async () => {
    const manager = setup();
    await manager.reconfigureLimitsAsync({ strategies: { db: { bulkhead: { maxConcurrency: 2 } } } });
    const before = manager.configuredLimits;
    const bad = { strategies: { api: { bulkhead: { maxQueueSize: -1 } } } };
    expect(configErrorOf(() => manager.validateReplacement(bad))).toMatchObject({
      field: 'strategies.api.bulkhead.maxQueueSize',
      value: -1,
    });
    expect(configErrorOf(() => manager.validateReplacement({ strategies: { ghost: {} } }))).toMatchObject({
      field: 'strategies.ghost',
    });
    await expect(manager.replaceLimitsAsync(bad)).rejects.toMatchObject({
      field: 'strategies.api.bulkhead.maxQueueSize',
    });
    expect(manager.configuredLimits).toEqual(before);
  });

  it('refuses the removed maxMemoryBytes by name, with the reason, and applies nothing', async () => {
    const manager = setup();
    const before = manager.configuredLimits;
    const error = configErrorOf(() => manager.validateReplacement({ maxMemoryBytes: 1024 } as never));
    expect(error).toMatchObject({ field: 'maxMemoryBytes', value: 1024, code: 'ERR_INVALID_CONFIGURATION' });
    expect(error?.message).toContain('removed');
    await expect(manager.reconfigureLimitsAsync({ maxMemoryBytes: 1024 } as never)).rejects.toMatchObject({
      field: 'maxMemoryBytes',
    });
    expect(manager.configuredLimits).toEqual(before);
    expect(Object.keys(manager.currentLimits)).not.toContain('maxMemoryBytes');
  });
});
