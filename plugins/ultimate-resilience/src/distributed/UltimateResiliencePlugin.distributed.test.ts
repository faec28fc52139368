import { describe, expect, it } from 'vitest';
import { InMemoryFederation, VirtualClock, isInvalidConfigurationError } from '@datawarehouse/sdk';
import type { IFederatedMessageBus } from '@datawarehouse/sdk';
import { UltimateResiliencePlugin } from '../UltimateResiliencePlugin.js';
import type { UltimateResiliencePluginOptions } from '../UltimateResiliencePlugin.js';
import type { ResilienceScalingManager } from '../manager/ResilienceScalingManager.js';
import { CIRCUIT_STATE_TOPIC } from './DistributedOptions.js';
import type { ReplicatorMetricsReport } from './ReplicatorMetrics.js';
import { fakePluginContext } from '../testing/fakePluginContext.js';
import type { FakePluginContext } from '../testing/fakePluginContext.js';

const context = (bus: IFederatedMessageBus, clock: VirtualClock): FakePluginContext =>
  fakePluginContext({ bus, clock });

const OPTIONS: UltimateResiliencePluginOptions = {
  builtinStrategies: false,
  strategies: [{ id: 'orders-db', circuitBreaker: { breakDurationMs: 20_000 }, retry: false }],
  distributed: { antiEntropyIntervalMs: 1_000 },
};

async function twoNodes(options: UltimateResiliencePluginOptions = OPTIONS) {
  const clock = new VirtualClock(0);
  const federation = new InMemoryFederation({ clock });
  const nodes = await Promise.all(
    ['a', 'b'].map(async (id) => {
      const bus = federation.createNode(id);
      const ctx = context(bus, clock);
      const plugin = new UltimateResiliencePlugin(options);
      await plugin.initializeAsync(ctx);
      await plugin.startAsync();
      return { plugin, bus, subsystem: ctx.subsystemMap.get('resilience') as ResilienceScalingManager };
    }),
  );
  await clock.advanceAsync(50);
  return { clock, federation, nodes };
}

describe('UltimateResiliencePlugin (distributed circuit state)', () => {
  it('shares an operator trip made through the subsystem with the other node and reports it in the metrics', async () => {
    const { clock, nodes } = await twoNodes();
    const [a, b] = nodes;
    await a!.subsystem.invokeActionAsync('trip', { strategyId: 'orders-db', reason: 'maintenance' });
    await clock.advanceAsync(0);
    expect(b!.subsystem.getCircuitBreaker('orders-db')!.state).toBe('open');
    const metrics = b!.subsystem.getScalingMetrics() as { distributed: ReplicatorMetricsReport };
    expect(metrics.distributed).toMatchObject({
      enabled: true,
      nodeId: 'b',
      started: true,
      applied: 1,
      connectionState: 'connected',
    });
    expect(
      (a!.subsystem.getScalingMetrics() as { distributed: ReplicatorMetricsReport }).distributed.published.transitions,
    ).toBe(1);
  });

  it('releases its subscription and timers on stopAsync', async () => {
    const { clock, nodes } = await twoNodes();
    for (const n of nodes) await n.plugin.stopAsync();
    for (const n of nodes)
      expect((n.bus as unknown as { subscriberCount(t: string): number }).subscriberCount(CIRCUIT_STATE_TOPIC)).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('keeps circuit state local when distributed.enabled is false', async () => {
    const { clock, nodes } = await twoNodes({ ...OPTIONS, distributed: { enabled: false } });
    nodes[0]!.subsystem.getCircuitBreaker('orders-db')!.trip();
    await clock.advanceAsync(10);
    expect(nodes[1]!.subsystem.getCircuitBreaker('orders-db')!.state).toBe('closed');
    expect(nodes[0]!.subsystem.getScalingMetrics()).not.toHaveProperty('distributed');
    expect(clock.pendingTimers).toBe(0);
  });

  it('works without sharing when the context has no usable bus', async () => {
    const plugin = new UltimateResiliencePlugin(OPTIONS);
    const ctx = context({} as IFederatedMessageBus, new VirtualClock());
    await plugin.initializeAsync(ctx);
    await plugin.startAsync();
    await expect(plugin.executeWithResilience('orders-db', () => 7)).resolves.toBe(7);
    await plugin.stopAsync();
  });

  it('validates the distributed section when constructed, naming the field', () => {
    try {
      new UltimateResiliencePlugin({ distributed: { maxEntriesPerMessage: 0 } });
      expect.unreachable();
    } catch (e) {
      expect(isInvalidConfigurationError(e) && e.field).toBe('distributed.maxEntriesPerMessage');
    }
  });
});
