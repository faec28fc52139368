import { describe, expect, it } from 'vitest';
import { DEFAULT_SCALING_LIMITS, InvalidConfigurationError } from '@datawarehouse/sdk';
import { rejectUnknownKeys, validateObject } from '@datawarehouse/sdk/internals';
import type { IConfigurableSubsystem, IScalableSubsystem, ScalingLimits } from '@datawarehouse/sdk';
import { LimitsTransaction } from './LimitsTransaction.js';
import { SubsystemRegistry } from './SubsystemRegistry.js';

/** Like the demo-traffic subsystem: reports four limits, accepts only `maxConcurrentOperations`. */
function narrowSubsystem(name: string, calls: unknown[] = []): IScalableSubsystem {
  let max = 8;
  return {
    name,
    get currentLimits() {
      return { ...DEFAULT_SCALING_LIMITS, maxConcurrentOperations: max };
    },
    currentBackpressureState: 'normal',
    getScalingMetrics: () => ({}),
    async reconfigureLimitsAsync(patch) {
      calls.push(patch);
      const l = validateObject('limits', patch);
      rejectUnknownKeys('', l, ['maxConcurrentOperations']);
      if (l.maxConcurrentOperations === 999)
        throw new InvalidConfigurationError('maxConcurrentOperations', 999, 'at most 100');
      if (typeof l.maxConcurrentOperations === 'number') max = l.maxConcurrentOperations;
      return this.currentLimits;
    },
  };
}

/** A subsystem whose `maxQueueDepth` is inherited from `maxConcurrentOperations` unless set. */
function configurableSubsystem(
  name: string,
  failReplaceOnce = false,
): IScalableSubsystem & IConfigurableSubsystem & { replaced: unknown[] } {
  let configured: Partial<ScalingLimits> = { maxConcurrentOperations: 4 };
  let failNext = failReplaceOnce;
  const check = (l: Partial<ScalingLimits>): void => {
    if (l.maxConcurrentOperations !== undefined && l.maxConcurrentOperations > 100) {
      throw new InvalidConfigurationError('maxConcurrentOperations', l.maxConcurrentOperations, 'at most 100');
    }
  };
  const s = {
    name,
    replaced: [] as unknown[],
    get configuredLimits() {
      return configured;
    },
    get currentLimits(): ScalingLimits {
      const max = configured.maxConcurrentOperations ?? 64;
      return {
        ...DEFAULT_SCALING_LIMITS,
        maxConcurrentOperations: max,
        maxQueueDepth: configured.maxQueueDepth ?? max,
      };
    },
    currentBackpressureState: 'normal' as const,
    getScalingMetrics: () => ({}),
    async reconfigureLimitsAsync(patch: Partial<ScalingLimits>) {
      check(patch);
      configured = { ...configured, ...patch };
      return s.currentLimits;
    },
    validateReplacement: check,
    async replaceLimitsAsync(limits: Partial<ScalingLimits>) {
      check(limits);
      s.replaced.push(limits);
      if (failNext) {
        failNext = false;
        throw new InvalidConfigurationError(
          'maxConcurrentOperations',
          limits.maxConcurrentOperations,
          'a value that does not race',
        );
      }
      configured = { ...limits };
      return s.currentLimits;
    },
  };
  return s;
}

function setup(...subsystems: IScalableSubsystem[]) {
  const registry = new SubsystemRegistry();
  for (const s of subsystems) registry.register(s);
  return { registry, tx: new LimitsTransaction(registry) };
}

describe('LimitsTransaction', () => {
  it('restores a patched subsystem with only the fields it changed, so one that refuses other fields is restored too', async () => {
    const calls: unknown[] = [];
    const { registry, tx } = setup(narrowSubsystem('narrow', calls), narrowSubsystem('picky'));
    await expect(
      tx.applyAsync({ narrow: { maxConcurrentOperations: 5 }, picky: { maxConcurrentOperations: 999 } }),
    ).rejects.toMatchObject({ field: 'subsystems.picky.maxConcurrentOperations' });
    expect(registry.describe('narrow').limits.maxConcurrentOperations).toBe(8);
    expect(calls).toEqual([{ maxConcurrentOperations: 5 }, { maxConcurrentOperations: 8 }]);
  });

  it('restores a replaced subsystem to its configured limits, not its limits in force, when a later one fails', async () => {
    const first = configurableSubsystem('first');
    const second = configurableSubsystem('second', true);
    const { registry, tx } = setup(first, second);
    await expect(
      tx.applyAsync({ first: { maxQueueDepth: 2 }, second: { maxConcurrentOperations: 9 } }),
    ).rejects.toMatchObject({ field: 'subsystems.second.maxConcurrentOperations' });
    expect(first.configuredLimits).toEqual({ maxConcurrentOperations: 4 });
    expect(first.replaced).toEqual([{ maxConcurrentOperations: 4, maxQueueDepth: 2 }, { maxConcurrentOperations: 4 }]);
    // Still inherited: a new maxConcurrentOperations carries maxQueueDepth along.
    await registry.reconfigureAsync('first', { maxConcurrentOperations: 7 });
    expect(registry.describe('first').limits.maxQueueDepth).toBe(7);
  });

  it("applies nothing when a configurable subsystem's dry run refuses its part", async () => {
    const calls: unknown[] = [];
    const wide = configurableSubsystem('wide');
    const { tx } = setup(narrowSubsystem('narrow', calls), wide);
    await expect(
      tx.applyAsync({ narrow: { maxConcurrentOperations: 5 }, wide: { maxConcurrentOperations: 101 } }),
    ).rejects.toMatchObject({ field: 'subsystems.wide.maxConcurrentOperations', value: 101 });
    expect(calls).toEqual([]);
    expect(wide.replaced).toEqual([]);
  });

  it('refuses an unknown subsystem before applying anything', async () => {
    const calls: unknown[] = [];
    const { tx } = setup(narrowSubsystem('narrow', calls));
    await expect(
      tx.applyAsync({ narrow: { maxConcurrentOperations: 5 }, ghost: { maxQueueDepth: 1 } }),
    ).rejects.toMatchObject({ code: 'ERR_SUBSYSTEM_NOT_FOUND', subsystemName: 'ghost' });
    expect(calls).toEqual([]);
  });

  it('touches only subsystems whose limits change', async () => {
    const calls: unknown[] = [];
    const wide = configurableSubsystem('wide');
    const { tx } = setup(narrowSubsystem('narrow', calls), wide);
    const section = { narrow: { maxConcurrentOperations: 5 }, wide: { maxQueueDepth: 3 } };
    await tx.applyAsync(section);
    await tx.applyAsync(section);
    expect(calls).toEqual([{ maxConcurrentOperations: 5 }]);
    expect(wide.replaced).toEqual([{ maxConcurrentOperations: 4, maxQueueDepth: 3 }]);
  });

  it('unsets on a configurable subsystem a field the new section dropped, and restores it on a patched one', async () => {
    const wide = configurableSubsystem('wide');
    const { registry, tx } = setup(narrowSubsystem('narrow'), wide);
    await tx.applyAsync({
      narrow: { maxConcurrentOperations: 5 },
      wide: { maxQueueDepth: 3, maxConcurrentOperations: 10 },
    });
    const result = await tx.applyAsync({});
    expect(wide.configuredLimits).toEqual({ maxConcurrentOperations: 4 });
    expect(registry.describe('narrow').limits.maxConcurrentOperations).toBe(8);
    expect(Object.keys(result).sort()).toEqual(['narrow', 'wide']);
  });

  it('runs one transaction at a time', async () => {
    const wide = configurableSubsystem('wide');
    const { tx } = setup(wide);
    await Promise.all([tx.applyAsync({ wide: { maxQueueDepth: 1 } }), tx.applyAsync({ wide: { maxQueueDepth: 2 } })]);
    expect(wide.configuredLimits).toEqual({ maxConcurrentOperations: 4, maxQueueDepth: 2 });
  });
});
