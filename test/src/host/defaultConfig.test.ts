import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '@datawarehouse/sdk';
import { Kernel, loadHostConfig } from '@datawarehouse/host';

const file = join(resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..'), 'dw.config.json');

describe("dw.config.json (the README's default configuration)", () => {
  it('is valid, loopback-only, and lists the resilience, demo and dashboard plugins', async () => {
    const { config } = await loadHostConfig(file);
    expect(config.admin).toMatchObject({ enabled: true, host: '127.0.0.1', port: 7070, token: null });
    expect(config.plugins.map((p) => p.module)).toEqual([
      '@datawarehouse/plugin-ultimate-resilience',
      '@datawarehouse/plugin-demo-traffic',
      '@datawarehouse/plugin-dashboard',
    ]);
  });

  it('starts the plugins on the in-memory defaults, drives traffic through every listed strategy, and stops cleanly', async () => {
    const { config, path, baseDir } = await loadHostConfig(file);
    const clock = new VirtualClock();
    const kernel = new Kernel({ config, source: path, baseDir, clock });
    await kernel.startAsync();
    try {
      expect(kernel.health()).toMatchObject({
        status: 'ok',
        bus: { transport: 'in-memory', connectionState: 'connected' },
      });
      expect(kernel.subsystems.describe('resilience').limits.maxConcurrentOperations).toBe(32);
      await clock.advanceAsync(2000);
      const metrics = kernel.subsystems.describe('resilience').metrics as {
        strategies: Record<string, { calls: number }>;
      };
      const strategies = (config.plugins[1]!.options as { strategies: string[] }).strategies;
      for (const id of strategies) expect(metrics.strategies[id]?.calls).toBeGreaterThan(0);
    } finally {
      expect((await kernel.stopAsync()).errors).toEqual([]);
    }
    expect(clock.pendingTimers).toBe(0);
  });
});
