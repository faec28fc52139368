import { describe, expect, it, vi } from 'vitest';
import { InvalidConfigurationError, VirtualClock } from '@datawarehouse/sdk';
import { ResilienceScalingManager } from './ResilienceScalingManager.js';
import { StrategyRegistry } from '../strategies/StrategyRegistry.js';
import type { StrategyDefinition } from '../strategies/StrategyDefinition.js';

const breaker = { mode: 'count', failureThreshold: 10, samplingWindowMs: 10_000 } as const;

function setup(strategies: StrategyDefinition[], limits = {}) {
  const clock = new VirtualClock(0);
  const logger = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };
  const manager = new ResilienceScalingManager({ registry: new StrategyRegistry(strategies), clock, logger, limits });
  return { clock, manager, logger };
}

async function healthyTraffic(
  clock: VirtualClock,
  manager: ResilienceScalingManager,
  ids: string[],
  ms: number,
): Promise<void> {
  const end = clock.now() + ms;
  while (clock.now() + 50 <= end) {
    await clock.advanceAsync(50);
    for (const id of ids)
      void manager.executeWithResilience(id, () => new Promise((r) => clock.setTimeout(() => r(1), 5)));
  }
  await clock.advanceAsync(end - clock.now());
}

async function fieldOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidConfigurationError);
  return (error as InvalidConfigurationError).field;
}

describe('ResilienceScalingManager (adaptation)', () => {
  it('validates `adaptation` before applying anything', async () => {
    const { manager } = setup([{ id: 'db', circuitBreaker: breaker }]);
    const before = manager.currentLimits;
    expect(await fieldOf(manager.reconfigureLimitsAsync({ maxQueueDepth: 5, adaptation: { emaAlpha: 0 } }))).toBe(
      'adaptation.emaAlpha',
    );
    expect(
      await fieldOf(
        manager.reconfigureLimitsAsync({ maxQueueDepth: 5, adaptation: { minConcurrency: 9, maxConcurrency: 3 } }),
      ),
    ).toBe('adaptation.maxConcurrency');
    expect(await fieldOf(manager.reconfigureLimitsAsync({ adaptation: 'on' as never }))).toBe('adaptation');
    expect(manager.currentLimits).toEqual(before);
    expect(() => setup([{ id: 'db' }], { adaptation: { enabled: 1 } })).toThrow(/adaptation\.enabled/);
  });

  it('validates `strategies.<id>.adaptive`, naming the field, and applies nothing then', async () => {
    const { manager } = setup([{ id: 'db', circuitBreaker: breaker }]);
    const before = manager.currentLimits;
    expect(
      await fieldOf(
        manager.reconfigureLimitsAsync({ maxQueueDepth: 5, strategies: { db: { adaptive: { enabled: 'yes' } } } }),
      ),
    ).toBe('strategies.db.adaptive.enabled');
    expect(
      await fieldOf(manager.reconfigureLimitsAsync({ strategies: { db: { adaptive: { intervalMs: 60_000 } } } })),
    ).toBe('strategies.db.adaptive.intervalMs');
    expect(
      await fieldOf(manager.reconfigureLimitsAsync({ strategies: { db: { adaptive: { maxFailureThreshold: 1 } } } })),
    ).toBe('strategies.db.adaptive.maxFailureThreshold');
    expect(
      await fieldOf(manager.reconfigureLimitsAsync({ strategies: { nope: { adaptive: { enabled: true } } } })),
    ).toBe('strategies.nope');
    expect(manager.currentLimits).toEqual(before);
  });

  it('merges `adaptation` field by field and runs its timer only while enabled', async () => {
    const { clock, manager } = setup([{ id: 'db', circuitBreaker: breaker }]);
    manager.runtimeFor('db');
    expect(clock.pendingTimers).toBe(0);
    await manager.reconfigureLimitsAsync({ adaptation: { enabled: true } });
    expect(clock.pendingTimers).toBe(1);
    const limits = await manager.reconfigureLimitsAsync({ adaptation: { emaAlpha: 0.3 } });
    expect(limits.adaptation).toMatchObject({ enabled: true, emaAlpha: 0.3, intervalMs: 30_000 });
    expect(clock.pendingTimers).toBe(1);
    await manager.reconfigureLimitsAsync({ adaptation: { enabled: false } });
    expect(clock.pendingTimers).toBe(0);
  });

  it('adapts only the strategies enabled, globally or per strategy', async () => {
    const { clock, manager } = setup([
      { id: 'on', circuitBreaker: breaker, adaptive: { enabled: true, warmUp: false } },
      { id: 'off', circuitBreaker: breaker },
      { id: 'never', circuitBreaker: breaker, adaptive: false },
    ]);
    await healthyTraffic(clock, manager, ['on', 'off', 'never'], 31_000);
    expect(manager.getCircuitBreaker('on')!.options.failureThreshold).toBe(13);
    expect(manager.getCircuitBreaker('off')!.options.failureThreshold).toBe(10);
    await manager.reconfigureLimitsAsync({ adaptation: { enabled: true, warmUp: false } });
    await healthyTraffic(clock, manager, ['on', 'off', 'never'], 30_000);
    expect(manager.getCircuitBreaker('off')!.options.failureThreshold).toBe(13);
    expect(manager.getCircuitBreaker('never')!.options.failureThreshold).toBe(10);
    const metrics = manager.getScalingMetrics().adaptation as { strategies: Record<string, unknown> };
    expect(Object.keys(metrics.strategies).sort()).toEqual(['off', 'on']);
  });

  it('starts adapting a strategy enabled by its definition even without any limits given', async () => {
    const clock = new VirtualClock(0);
    const manager = new ResilienceScalingManager({
      registry: new StrategyRegistry([
        { id: 'db', circuitBreaker: breaker, adaptive: { enabled: true, warmUp: false } },
      ]),
      clock,
    });
    await healthyTraffic(clock, manager, ['db'], 31_000);
    expect(manager.getCircuitBreaker('db')!.options.failureThreshold).toBe(13);
    await clock.advanceAsync(100); // the last calls settle
    expect(clock.pendingTimers).toBe(1); // the sampler
    manager.dispose();
    expect(clock.pendingTimers).toBe(0);
  });

  it('switches adaptation off for a strategy whose definition section does not fit the global options, logs it, and keeps working', async () => {
    const { clock, manager, logger } = setup(
      [
        { id: 'bad', circuitBreaker: breaker, adaptive: { minFailureThreshold: 50 } },
        { id: 'good', circuitBreaker: breaker },
      ],
      { adaptation: { enabled: true, warmUp: false } },
    );
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringContaining('invalid adaptive section'),
      expect.objectContaining({ strategyId: 'bad' }),
    );
    await healthyTraffic(clock, manager, ['bad', 'good'], 31_000);
    expect(manager.getCircuitBreaker('bad')!.options.failureThreshold).toBe(10);
    expect(manager.getCircuitBreaker('good')!.options.failureThreshold).toBe(13);
    await manager.reconfigureLimitsAsync({ maxQueueDepth: 10 }); // an unrelated change still applies
    expect(manager.currentLimits.maxQueueDepth).toBe(10);
  });

  it('emits `adapted` and exposes current and recommended values in the metrics', async () => {
    const { clock, manager } = setup([{ id: 'db', circuitBreaker: breaker }], {
      adaptation: { enabled: true, warmUp: false },
    });
    const adapted = vi.fn();
    manager.events.on('adapted', adapted);
    await healthyTraffic(clock, manager, ['db'], 31_000);
    expect(adapted).toHaveBeenCalledWith(
      'db',
      expect.objectContaining({ current: expect.objectContaining({ failureThreshold: 13 }) }),
    );
    const metrics = manager.getScalingMetrics().adaptation as Record<string, unknown>;
    expect(metrics).toMatchObject({
      enabled: true,
      active: true,
      running: true,
      intervalMs: 30_000,
      sampleIntervalMs: 10_000,
      adaptations: 1,
      errors: 0,
      strategies: {
        db: {
          enabled: true,
          mode: 'gradient',
          current: { failureThreshold: 13 },
          recommended: { failureThreshold: 13 },
        },
      },
    });
  });
});
