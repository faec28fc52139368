import { describe, expect, it } from 'vitest';
import { InvalidConfigurationError } from '@datawarehouse/sdk';
import type { IScalableSubsystem, ScalingLimits } from '@datawarehouse/sdk';
import { SubsystemRegistry } from './SubsystemRegistry.js';

function subsystem(
  name: string,
  apply?: (p: Partial<ScalingLimits>) => Promise<void>,
): IScalableSubsystem & { calls: Partial<ScalingLimits>[] } {
  let limits: ScalingLimits = {
    maxConcurrentOperations: 8,
    maxQueueDepth: 10,
    maxCacheEntries: 100,
  };
  const calls: Partial<ScalingLimits>[] = [];
  return {
    name,
    calls,
    get currentLimits() {
      return limits;
    },
    currentBackpressureState: 'warning',
    getScalingMetrics: () => ({ strategies: {} }),
    async reconfigureLimitsAsync(patch) {
      calls.push(patch);
      await apply?.(patch);
      limits = { ...limits, ...patch };
      return limits;
    },
  };
}

describe('SubsystemRegistry', () => {
  it('registers, lists, describes and unregisters subsystems', () => {
    const registry = new SubsystemRegistry();
    const handle = registry.register(subsystem('resilience'), 'ultimate-resilience');
    expect(registry.names()).toEqual(['resilience']);
    expect(registry.list()).toHaveLength(1);
    expect(registry.describe('resilience')).toMatchObject({
      name: 'resilience',
      owner: 'ultimate-resilience',
      backpressure: 'warning',
      limits: { maxConcurrentOperations: 8 },
    });
    handle.dispose();
    handle.dispose();
    expect(registry.get('resilience')).toBeUndefined();
  });

  it('refuses a taken name and malformed subsystems', () => {
    const registry = new SubsystemRegistry();
    registry.register(subsystem('a'), 'p1');
    expect(() => registry.register(subsystem('a'), 'p2')).toThrow(expect.objectContaining({ field: 'subsystem.name' }));
    expect(() => registry.register({ name: 'b' } as never)).toThrow(
      expect.objectContaining({ field: 'subsystem.getScalingMetrics' }),
    );
    expect(() => registry.register(subsystem('bad name'))).toThrow(
      expect.objectContaining({ field: 'subsystem.name' }),
    );
  });

  it('applies a valid partial and resolves to the limits in force', async () => {
    const registry = new SubsystemRegistry();
    const s = subsystem('resilience');
    registry.register(s);
    const limits = await registry.reconfigureAsync('resilience', { maxConcurrentOperations: 2 });
    expect(limits.maxConcurrentOperations).toBe(2);
    expect(s.calls).toEqual([{ maxConcurrentOperations: 2 }]);
  });

  it('rejects invalid input before it reaches the subsystem', async () => {
    const registry = new SubsystemRegistry();
    const s = subsystem('resilience');
    registry.register(s);
    await expect(registry.reconfigureAsync('resilience', { maxConcurrentOperations: -1 })).rejects.toMatchObject({
      code: 'ERR_INVALID_CONFIGURATION',
      field: 'maxConcurrentOperations',
      value: -1,
    });
    await expect(registry.reconfigureAsync('resilience', { maxQueueDepth: 1.5 })).rejects.toMatchObject({
      field: 'maxQueueDepth',
    });
    await expect(registry.reconfigureAsync('resilience', { bogus: 1 } as never)).rejects.toMatchObject({
      field: 'bogus',
    });
    await expect(registry.reconfigureAsync('resilience', {}, 'admin API')).rejects.toMatchObject({
      field: 'limits',
      source: 'admin API',
    });
    await expect(
      registry.reconfigureAsync('resilience', { strategies: { s: { retry: 'no' } } } as never),
    ).rejects.toMatchObject({ field: 'strategies.s.retry' });
    await expect(registry.reconfigureAsync('resilience', { maxMemoryBytes: 1 } as never)).rejects.toMatchObject({
      code: 'ERR_INVALID_CONFIGURATION',
      field: 'maxMemoryBytes',
      message: expect.stringContaining('removed') as unknown,
    });
    expect(s.calls).toEqual([]);
  });

  it("passes the subsystem's own validation error through", async () => {
    const registry = new SubsystemRegistry();
    registry.register(
      subsystem('r', async () => {
        throw new InvalidConfigurationError('strategies.x.bulkhead.maxConcurrency', 0, '>= 1');
      }),
    );
    await expect(
      registry.reconfigureAsync('r', { strategies: { x: { bulkhead: { maxConcurrency: 0 } } } }),
    ).rejects.toMatchObject({ field: 'strategies.x.bulkhead.maxConcurrency' });
  });

  it('reports an unknown subsystem with ERR_SUBSYSTEM_NOT_FOUND', async () => {
    const registry = new SubsystemRegistry();
    registry.register(subsystem('a'));
    await expect(registry.reconfigureAsync('b', { maxQueueDepth: 1 })).rejects.toMatchObject({
      code: 'ERR_SUBSYSTEM_NOT_FOUND',
      subsystemName: 'b',
      known: ['a'],
    });
    expect(() => registry.describe('b')).toThrow("No subsystem named 'b' (registered: a)");
  });

  it('runs reconfigurations of one subsystem one at a time, in order', async () => {
    const registry = new SubsystemRegistry();
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    registry.register(
      subsystem('r', async (p) => {
        order.push(`begin ${p.maxQueueDepth}`);
        if (p.maxQueueDepth === 1) await gate;
        order.push(`end ${p.maxQueueDepth}`);
      }),
    );
    const first = registry.reconfigureAsync('r', { maxQueueDepth: 1 });
    const second = registry.reconfigureAsync('r', { maxQueueDepth: 2 });
    await Promise.resolve();
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(['begin 1', 'end 1', 'begin 2', 'end 2']);
    expect((await second).maxQueueDepth).toBe(2);
  });

  it('withdraws every subsystem of an owner', () => {
    const registry = new SubsystemRegistry();
    const view = registry.forOwner('plugin-a');
    view.register(subsystem('a1'));
    view.register(subsystem('a2'));
    registry.register(subsystem('b'), 'plugin-b');
    registry.unregisterOwner('plugin-a');
    expect(registry.names()).toEqual(['b']);
  });
});
