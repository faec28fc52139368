import { describe, expect, it } from 'vitest';
import { ResilienceServiceToken, isInvalidConfigurationError } from '@datawarehouse/sdk';
import type { CallSucceededEvent, ResilienceHooks } from '@datawarehouse/sdk';
import { UltimateResiliencePlugin } from './UltimateResiliencePlugin.js';
import { fakePluginContext } from './testing/fakePluginContext.js';

describe('UltimateResiliencePlugin hooks', () => {
  it('takes hooks before initializeAsync, keeps them across a stop and a new start, and removes them', async () => {
    const plugin = new UltimateResiliencePlugin({ strategies: [{ id: 'mine', retry: false }] });
    const seen: CallSucceededEvent[] = [];
    const remove = plugin.addHooks({ onSuccess: (e) => void seen.push(e) });

    await plugin.initializeAsync(fakePluginContext());
    await plugin.executeWithResilience('mine', () => 'first run');
    await plugin.stopAsync();
    await plugin.initializeAsync(fakePluginContext());
    await plugin.executeWithResilience('mine', () => 'second run');
    expect(seen.map((e) => e.strategyId)).toEqual(['mine', 'mine']);

    remove();
    remove();
    await plugin.executeWithResilience('mine', () => 'after removal');
    expect(seen).toHaveLength(2);
    await plugin.stopAsync();
  });

  it('offers addHooks on the service handle other plugins resolve, validated the same way', async () => {
    const ctx = fakePluginContext();
    const plugin = new UltimateResiliencePlugin({ strategies: [{ id: 'mine', retry: false }] });
    await plugin.initializeAsync(ctx);
    const service = ctx.services.resolve(ResilienceServiceToken);
    let successes = 0;
    const remove = service.addHooks!({ onSuccess: () => void successes++ });
    await service.executeWithResilience('mine', () => 1);
    remove();
    await service.executeWithResilience('mine', () => 2);
    expect(successes).toBe(1);
    let caught: unknown;
    try {
      service.addHooks!({ onFailure: 'nope' } as unknown as ResilienceHooks);
    } catch (e) {
      caught = e;
    }
    expect(isInvalidConfigurationError(caught)).toBe(true);
    expect((caught as { field: string }).field).toBe('hooks.onFailure');
    await plugin.stopAsync();
  });
});
