import { afterEach, describe, expect, it } from 'vitest';
import type { Kernel } from '@datawarehouse/host';
import { BETA_DEFAULTS, limitsState, startLimitsHost, strategyLimits } from './limitsHost.js';

const kernels: Kernel[] = [];
afterEach(async () => {
  for (const k of kernels.splice(0)) await k.stopAsync();
});

async function start(...args: Parameters<typeof startLimitsHost>): Promise<Kernel> {
  const kernel = await startLimitsHost(...args);
  kernels.push(kernel);
  return kernel;
}

describe('Kernel.applySubsystemLimitsAsync with the real resilience subsystem', () => {
  describe('a rejected section changes nothing', () => {
    it('leaves limits in force and configured as they were when another subsystem refuses its part', async () => {
      const kernel = await start({ resilience: { maxQueueDepth: 10 } });
      const before = limitsState(kernel);
      await expect(
        kernel.applySubsystemLimitsAsync({
          resilience: { maxConcurrentOperations: 16, strategies: { api: { circuitBreaker: { failureThreshold: 9 } } } },
          beta: { maxConcurrentOperations: 999 },
        }),
      ).rejects.toMatchObject({ field: 'subsystems.beta.maxConcurrentOperations', value: 999 });
      expect(limitsState(kernel)).toEqual(before);
    });

    it('keeps inherited limits inherited: a global change still reaches a bulkhead that follows it', async () => {
      const kernel = await start({ resilience: { maxQueueDepth: 10 } });
      expect(strategyLimits(kernel, 'db').bulkhead).toMatchObject({ maxConcurrency: 64, maxQueueSize: 10 });
      await expect(
        kernel.applySubsystemLimitsAsync({
          resilience: { maxConcurrentOperations: 16 },
          beta: { maxConcurrentOperations: 999 },
        }),
      ).rejects.toMatchObject({ code: 'ERR_INVALID_CONFIGURATION' });
      // The rejected section must not have pinned db's bulkhead to the values it had then.
      await kernel.subsystems.reconfigureAsync('resilience', { maxConcurrentOperations: 8, maxQueueDepth: 4 });
      expect(strategyLimits(kernel, 'db').bulkhead).toMatchObject({ maxConcurrency: 8, maxQueueSize: 4 });
      expect(strategyLimits(kernel, 'api').bulkhead).toMatchObject({ maxConcurrency: 3, maxQueueSize: 4 });
    });

    it('applies nothing, not even to a plain subsystem, when the resilience subsystem refuses its part', async () => {
      const kernel = await start();
      const before = limitsState(kernel);
      await expect(
        kernel.applySubsystemLimitsAsync({
          beta: { maxConcurrentOperations: 20 },
          resilience: { strategies: { db: { bulkhead: { maxConcurrency: 0 } } } },
        }),
      ).rejects.toMatchObject({ field: 'subsystems.resilience.strategies.db.bulkhead.maxConcurrency', value: 0 });
      expect(limitsState(kernel)).toEqual(before);
    });
  });

  describe('a section makes the limits what it says', () => {
    it('removes a per-strategy override the new section no longer has: the strategy follows the globals again', async () => {
      const kernel = await start({ resilience: { strategies: { db: { bulkhead: { maxConcurrency: 4 } } } } });
      expect(strategyLimits(kernel, 'db').bulkhead).toMatchObject({ maxConcurrency: 4 });
      await kernel.applySubsystemLimitsAsync({ resilience: { maxConcurrentOperations: 20 } });
      expect(strategyLimits(kernel, 'db').bulkhead).toMatchObject({ maxConcurrency: 20 });
      expect(kernel.subsystems.describe('resilience').configured?.strategies).toBeUndefined();
    });

    it('restores a field of one override and keeps the others', async () => {
      const kernel = await start({
        resilience: {
          strategies: {
            db: { bulkhead: { maxConcurrency: 4, maxQueueSize: 2 }, circuitBreaker: { failureThreshold: 9 } },
          },
        },
      });
      await kernel.applySubsystemLimitsAsync({ resilience: { strategies: { db: { bulkhead: { maxQueueSize: 2 } } } } });
      expect(strategyLimits(kernel, 'db')).toMatchObject({
        bulkhead: { maxConcurrency: 64, maxQueueSize: 2 },
        circuitBreaker: { failureThreshold: 5 },
      });
      expect(kernel.subsystems.describe('resilience').configured?.strategies).toEqual({
        db: { bulkhead: { maxQueueSize: 2 } },
      });
    });

    it('restores what a subsystem had before the file when its whole entry is removed (plugin options included)', async () => {
      const kernel = await start({ resilience: { maxQueueDepth: 7 }, beta: { maxConcurrentOperations: 20 } });
      expect(kernel.subsystems.describe('resilience').limits.maxQueueDepth).toBe(7);
      await kernel.applySubsystemLimitsAsync({});
      // 50 is the plugin's own `limits` option, which the file only overrode.
      expect(kernel.subsystems.describe('resilience').limits.maxQueueDepth).toBe(50);
      expect(kernel.subsystems.describe('beta').limits).toEqual(BETA_DEFAULTS);
    });

    it('accepts an empty entry from code as "nothing set here"', async () => {
      const kernel = await start({ resilience: { maxConcurrentOperations: 5 } });
      await kernel.applySubsystemLimitsAsync({ resilience: {} });
      expect(kernel.subsystems.describe('resilience').limits.maxConcurrentOperations).toBe(64);
    });

    it('leaves fields no section ever set alone, e.g. a change made through the admin API', async () => {
      const kernel = await start({ resilience: { maxConcurrentOperations: 5 } });
      await kernel.subsystems.reconfigureAsync('resilience', {
        maxQueueDepth: 3,
        strategies: { api: { timeout: { attemptTimeoutMs: 900 } } },
      });
      await kernel.applySubsystemLimitsAsync({ resilience: { maxConcurrentOperations: 6 } });
      expect(kernel.subsystems.describe('resilience').limits).toMatchObject({
        maxConcurrentOperations: 6,
        maxQueueDepth: 3,
      });
      expect(strategyLimits(kernel, 'api').timeout).toMatchObject({ attemptTimeoutMs: 900 });
    });
  });
});
