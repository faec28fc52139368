import { describe, expect, it, vi } from 'vitest';
import { VirtualClock } from '@datawarehouse/sdk';
import { Kernel } from '@datawarehouse/host';
import { createPlugin } from '@datawarehouse/plugin-ultimate-resilience';

// @opentelemetry/api is an optional peer: without it (its import throws, as for a missing
// package), the plugin starts, protects calls and serves its Prometheus metrics all the same.
vi.mock('@opentelemetry/api', () => {
  throw Object.assign(new Error("Cannot find package '@opentelemetry/api'"), { code: 'ERR_MODULE_NOT_FOUND' });
});

describe('the resilience plugin without @opentelemetry/api', () => {
  it('starts, runs calls and serves /metrics, and says at debug level that OpenTelemetry is off', async () => {
    const debug: string[] = [];
    const logger = {
      debug: (m: string) => void debug.push(m),
      info: () => undefined,
      warn: () => undefined,
      error: () => undefined,
    };
    const plugin = createPlugin();
    const kernel = new Kernel({
      config: { plugins: [{ module: 'resilience' }] },
      clock: new VirtualClock(0),
      logger,
      importModule: async () => ({ createPlugin: () => plugin }),
    });
    await kernel.startAsync();
    try {
      await expect(plugin.executeWithResilience('default', () => 42)).resolves.toBe(42);
      expect(await plugin.prometheus.metricsAsync()).toContain('kind="successful"} 1');
      expect(debug).toContain('@opentelemetry/api is not installed: no OpenTelemetry metrics');
    } finally {
      await kernel.stopAsync();
    }
  });
});
