import { afterEach, describe, expect, it } from 'vitest';
import { InMemoryFederation, VirtualClock } from '@datawarehouse/sdk';
import { Kernel } from '@datawarehouse/host';
import { createPlugin } from '@datawarehouse/plugin-ultimate-resilience';
import type { UltimateResiliencePlugin } from '@datawarehouse/plugin-ultimate-resilience';
import { parseExposition } from './scrape.js';

// Two hosts sharing circuit state over an in-memory federation: the replication families of
// /metrics carry what each node sent, received and applied, and the propagation lag.

const stops: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

async function node(
  id: string,
  federation: InMemoryFederation,
  clock: VirtualClock,
): Promise<UltimateResiliencePlugin> {
  const plugin = createPlugin({
    builtinStrategies: false,
    strategies: [{ id: 'orders-db', circuitBreaker: { breakDurationMs: 20_000 }, retry: false }],
  });
  const kernel = new Kernel({
    config: { nodeId: id, plugins: [{ module: 'resilience' }] },
    clock,
    messageBus: federation.createNode(id),
    importModule: async () => ({ createPlugin: () => plugin }),
  });
  await kernel.startAsync();
  stops.push(() => kernel.stopAsync());
  return plugin;
}

describe('replication metrics on /metrics', () => {
  it('count the transition node a sent and node b applied, with its lag, labelled by node', async () => {
    const clock = new VirtualClock(1_700_000_000_000);
    const federation = new InMemoryFederation({ clock });
    stops.push(async () => federation.dispose());
    const a = await node('a', federation, clock);
    const b = await node('b', federation, clock);
    await clock.advanceAsync(50);
    await a.manager.invokeActionAsync('trip', { strategyId: 'orders-db', reason: 'maintenance' });
    await clock.advanceAsync(10);
    const onA = parseExposition(await a.prometheus.metricsAsync());
    const onB = parseExposition(await b.prometheus.metricsAsync());
    expect(
      onA.select('dw_resilience_replication_messages_sent_total', { node: 'a', type: 'transition' })[0]!.value,
    ).toBe(1);
    expect(onB.select('dw_resilience_replication_applied_total', { node: 'b' })[0]!.value).toBe(1);
    expect(onB.select('dw_resilience_replication_lag_samples_total', { node: 'b' })[0]!.value).toBe(1);
    expect(onB.select('dw_resilience_replication_lag_seconds', { node: 'b' }).map((s) => s.labels.quantile)).toEqual([
      '0.5',
      '0.99',
      '1',
    ]);
    expect(onB.select('dw_resilience_replication_connected', { node: 'b' })[0]!.value).toBe(1);
    expect(
      onB.select('resilience4j_circuitbreaker_state', { node: 'b', strategy: 'orders-db', state: 'open' })[0]!.value,
    ).toBe(1);
    federation.disconnect('b');
    const disconnected = parseExposition(await b.prometheus.metricsAsync());
    expect(disconnected.select('dw_resilience_replication_connected', { node: 'b' })[0]!.value).toBe(0);
  });
});
