import { afterEach, describe, expect, it } from 'vitest';
import { InMemoryFederation, VirtualClock } from '@datawarehouse/sdk';
import type { HttpRouteRequest, HttpRouteResponse, HttpRouteStream } from '@datawarehouse/sdk';
import { Kernel } from '@datawarehouse/host';
import { createPlugin as createResilience } from '@datawarehouse/plugin-ultimate-resilience';
import type { UltimateResiliencePlugin } from '@datawarehouse/plugin-ultimate-resilience';
import { createPlugin as createDashboard } from '@datawarehouse/plugin-dashboard';
import { SseParser } from '@datawarehouse/plugin-dashboard/internals';
import type { SseEvent } from '@datawarehouse/plugin-dashboard/internals';

// Two nodes sharing circuit state over an in-memory federation, in virtual time; node b runs the
// dashboard. Its stream (called through the kernel's route table, no socket needed) shows the
// transition node a made as remote, names node a among the nodes seen, and carries the
// replication section of b's report: applied, lag, rejected messages.

const stops: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

async function node(id: string, federation: InMemoryFederation, clock: VirtualClock, dashboard: boolean) {
  const resilience = createResilience({
    builtinStrategies: false,
    strategies: [{ id: 'orders-db', circuitBreaker: { breakDurationMs: 20_000 }, retry: false }],
  });
  const plugins = [{ module: 'resilience' }, ...(dashboard ? [{ module: 'dashboard' }] : [])];
  const kernel = new Kernel({
    config: { nodeId: id, plugins },
    clock,
    messageBus: federation.createNode(id),
    importModule: async (m: string) =>
      m === 'resilience' ? { createPlugin: () => resilience } : { createPlugin: () => createDashboard() },
  });
  await kernel.startAsync();
  stops.push(() => kernel.stopAsync());
  return { kernel, resilience: resilience as UltimateResiliencePlugin };
}

/** Opens the dashboard's stream on `kernel` through its route table; returns the events received. */
function openStream(kernel: Kernel): { events: SseEvent[]; close: () => void } {
  const match = kernel.routes.match(['plugins', 'dashboard', 'events'])!;
  const controller = new AbortController();
  const parser = new SseParser();
  const events: SseEvent[] = [];
  const stream: HttpRouteStream = {
    closed: false,
    write: (chunk) => {
      events.push(...parser.push(String(chunk)));
      return true;
    },
    end: () => undefined,
  };
  const request = { method: 'GET', path: '/plugins/dashboard/events', params: {}, signal: controller.signal };
  const response = { stream: () => stream };
  void match.entry.handler(request as unknown as HttpRouteRequest, response as unknown as HttpRouteResponse);
  return { events, close: () => controller.abort() };
}

describe('the dashboard on a node of a cluster', () => {
  it("shows another node's transition as remote, names that node, and carries the replication figures", async () => {
    const clock = new VirtualClock(1_700_000_000_000);
    const federation = new InMemoryFederation({ clock });
    stops.push(async () => federation.dispose());
    const a = await node('a', federation, clock, false);
    const b = await node('b', federation, clock, true);
    await clock.advanceAsync(50);
    const { events, close } = openStream(b.kernel);
    expect(JSON.parse(events[0]!.data).cluster).toMatchObject({ enabled: true, nodeId: 'b', applied: 0 });

    await a.resilience.manager.invokeActionAsync('trip', { strategyId: 'orders-db', reason: 'maintenance' });
    await clock.advanceAsync(1000);
    const delta = JSON.parse(events.at(-1)!.data);
    expect(delta.events).toEqual([
      expect.objectContaining({ strategyId: 'orders-db', to: 'open', origin: 'remote', remoteNode: 'a' }),
    ]);
    expect(delta.nodes).toEqual([
      expect.objectContaining({ node: 'a', strategyId: 'orders-db', to: 'open', transitions: 1 }),
    ]);
    expect(delta.cluster).toMatchObject({ applied: 1, rejectedTotal: 0, lagMs: { count: 1 } });
    expect(delta.changed).toEqual([expect.objectContaining({ id: 'orders-db', state: 'open' })]);
    close();
  });
});
