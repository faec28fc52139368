import { describe, expect, it } from 'vitest';
import {
  ResilienceServiceToken,
  getSdkCompatibility,
  isInvalidConfigurationError,
  isPluginNotInitializedError,
} from '@datawarehouse/sdk';
import createPluginDefault, { UltimateResiliencePlugin, createPlugin } from './index.js';
import { fakePluginContext } from './testing/fakePluginContext.js';
import type { FakePluginContext } from './testing/fakePluginContext.js';

const fakeContext = (): FakePluginContext => fakePluginContext();

describe('UltimateResiliencePlugin', () => {
  it('throws PluginNotInitializedError before initializeAsync instead of running the operation', async () => {
    const plugin = createPlugin();
    let ran = false;
    const call = plugin.executeWithResilience('default', () => {
      ran = true;
      return 1;
    });
    await expect(call).rejects.toSatisfy(isPluginNotInitializedError);
    expect(ran).toBe(false);
  });

  it('registers the resilience subsystem and service, and swaps in the real pipeline', async () => {
    const ctx = fakeContext();
    const plugin = createPluginDefault({
      strategies: [{ id: 'mine', circuitBreaker: { failureThreshold: 1 }, retry: false }],
    });
    await plugin.initializeAsync(ctx);
    expect(ctx.subsystemMap.get('resilience')).toBe(plugin.manager);
    const service = ctx.services.resolve(ResilienceServiceToken);
    await expect(service.executeWithResilience('mine', () => 'ok')).resolves.toBe('ok');
    await expect(plugin.executeWithResilience('mine', () => Promise.reject(new Error('x')))).rejects.toThrow('x');
    // Both paths share the manager: the failure through the plugin opened the breaker for the service too.
    await expect(service.executeWithResilience('mine', () => 'ok')).rejects.toMatchObject({ code: 'ERR_CIRCUIT_OPEN' });
  });

  it('withdraws everything on stopAsync and refuses calls afterwards', async () => {
    const ctx = fakeContext();
    const plugin = new UltimateResiliencePlugin();
    await plugin.initializeAsync(ctx);
    await plugin.stopAsync();
    expect(ctx.subsystemMap.size).toBe(0);
    expect(ctx.serviceMap.size).toBe(0);
    await expect(plugin.executeWithResilience('default', () => 1)).rejects.toSatisfy(isPluginNotInitializedError);
  });

  it('rejects through a service handle resolved before stopAsync with PluginNotInitializedError, and serves it again after a new initializeAsync', async () => {
    const ctx = fakeContext();
    const plugin = new UltimateResiliencePlugin();
    await plugin.initializeAsync(ctx);
    const handle = ctx.services.resolve(ResilienceServiceToken);
    await plugin.stopAsync();
    let ran = false;
    const error = await handle.executeWithResilience('default', () => (ran = true)).catch((e: unknown) => e);
    expect(isPluginNotInitializedError(error)).toBe(true);
    expect(isInvalidConfigurationError(error)).toBe(false);
    expect(ran).toBe(false);
    await plugin.initializeAsync(ctx);
    await expect(handle.executeWithResilience('default', () => 'back')).resolves.toBe('back');
    await plugin.stopAsync();
  });

  it('validates its options with errors naming the field', () => {
    expect(() => createPlugin({ maxStrategies: 0 })).toThrow(expect.objectContaining({ field: 'maxStrategies' }));
    expect(() => createPlugin({ strategy: [] })).toThrow(expect.objectContaining({ field: 'strategy' }));
  });

  it('names the strategy index of an invalid strategy definition', async () => {
    const plugin = createPlugin({ strategies: [{ id: 'ok' }, { id: 'bad', retry: { maxRetries: -1 } }] });
    const error = await plugin.initializeAsync(fakeContext()).catch((e: unknown) => e);
    expect(isInvalidConfigurationError(error)).toBe(true);
    expect(error).toMatchObject({ field: 'strategies[1].retry.maxRetries', value: -1 });
  });

  it('carries SDK compatibility metadata', () => {
    expect(getSdkCompatibility(UltimateResiliencePlugin)?.sdkVersion).toBe('6.0.0');
    expect(createPlugin().sdkVersion).toBe('6.0.0');
  });
});
