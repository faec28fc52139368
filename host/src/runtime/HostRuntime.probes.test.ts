import { describe, expect, it, vi } from 'vitest';
import { InMemoryFederation, VirtualClock } from '@datawarehouse/sdk';
import type { HttpRouteStream, IPlugin, PluginContext } from '@datawarehouse/sdk';
import { tempConfigFiles } from '../testing/kernelFixtures.js';
import { HostRuntime } from './HostRuntime.js';

const configFile = tempConfigFiles('probes');

/** A plugin with a page and an event stream; `stopGate` holds its stopAsync until released. */
function pagePlugin() {
  const streams: HttpRouteStream[] = [];
  let release!: () => void;
  const stopGate = new Promise<void>((resolve) => (release = resolve));
  const plugin: IPlugin = {
    id: 'page',
    version: '1.0.0',
    sdkVersion: '6.0.0',
    async initializeAsync(c: PluginContext) {
      c.http!.register({
        method: 'GET',
        path: '/',
        handler: (_q, r) => r.send(200, '<p>hi</p>', { 'content-type': 'text/html' }),
      });
      c.http!.register({
        method: 'GET',
        path: '/events',
        handler: (_q, r) => {
          const s = r.stream(200, { 'content-type': 'text/event-stream' });
          s.write(': open\n\n');
          streams.push(s);
        },
      });
    },
    async stopAsync() {
      await stopGate;
    },
  };
  return { plugin, streams, release };
}

describe('HostRuntime probes and plugin routes', () => {
  it('is ready while running, drains for drainDelayMs (503) before stopping, and withdraws routes and streams', async () => {
    const clock = new VirtualClock();
    const page = pagePlugin();
    const host = await HostRuntime.startAsync({
      configPath: configFile({ admin: { port: 0 }, drainDelayMs: 5000, plugins: [{ module: 'page' }] }),
      clock,
      watchConfig: false,
      importModule: async () => ({ default: () => page.plugin }),
    });
    const url = host.adminUrl!;
    expect(await (await fetch(`${url}/readyz`)).json()).toEqual({ ready: true, reasons: [] });
    expect(await (await fetch(`${url}/livez`)).json()).toEqual({ live: true, status: 'running' });
    expect(await (await fetch(`${url}/plugins/page`)).text()).toBe('<p>hi</p>');
    const events = await fetch(`${url}/plugins/page/events`);
    const reader = events.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe(': open\n\n');

    const stopped = host.stopAsync();
    // Draining: not ready, still live, routes still served, for the drain delay.
    const draining = await fetch(`${url}/readyz`);
    expect(draining.status).toBe(503);
    expect(await draining.json()).toEqual({ ready: false, reasons: ['draining'] });
    expect((await fetch(`${url}/livez`)).status).toBe(200);
    expect((await fetch(`${url}/plugins/page`)).status).toBe(200);
    await clock.advanceAsync(5000);
    // Stopping: the plugin's stopAsync is held; the host says so and the probes still answer.
    await vi.waitFor(async () => {
      const body = (await (await fetch(`${url}/readyz`)).json()) as { reasons: string[] };
      expect(body.reasons).toContain('host stopping');
    });
    page.release();
    const report = await stopped;
    expect(report.errors).toEqual([]);
    // The stream was ended when the plugin's routes were withdrawn, and the server is closed.
    expect((await reader.read()).done).toBe(true);
    expect(page.streams[0]!.closed).toBe(true);
    await expect(fetch(`${url}/readyz`)).rejects.toThrow();
  });

  it('is not ready while a required bus is disconnected', async () => {
    const federation = new InMemoryFederation();
    const node = federation.createNode('n1');
    const bus: IPlugin = {
      id: 'bus',
      version: '1.0.0',
      sdkVersion: '6.0.0',
      async initializeAsync(ctx) {
        ctx.provideMessageBus(node);
      },
    };
    const host = await HostRuntime.startAsync({
      configPath: configFile({
        nodeId: 'n1',
        admin: { port: 0, probes: { requireBus: true } },
        plugins: [{ module: 'bus' }],
      }),
      watchConfig: false,
      importModule: async () => ({ default: () => bus }),
    });
    try {
      expect((await fetch(`${host.adminUrl}/readyz`)).status).toBe(200);
      federation.disconnect('n1');
      const res = await fetch(`${host.adminUrl}/readyz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ ready: false, reasons: ['bus disconnected'] });
    } finally {
      await host.stopAsync();
      federation.dispose();
    }
  });

  it('writes status lines through statusLogger, on the host clock', async () => {
    const clock = new VirtualClock();
    const entries: string[] = [];
    const statusLogger = {
      debug: () => undefined,
      info: (m: string) => void entries.push(m),
      warn: () => undefined,
      error: () => undefined,
    };
    const sub: IPlugin = {
      id: 's',
      version: '1.0.0',
      sdkVersion: '6.0.0',
      async initializeAsync(ctx) {
        ctx.subsystems.register({
          name: 'things',
          currentLimits: { maxConcurrentOperations: 1, maxQueueDepth: 0, maxCacheEntries: 1 },
          currentBackpressureState: 'normal',
          getScalingMetrics: () => ({}),
          reconfigureLimitsAsync: async () => ({ maxConcurrentOperations: 1, maxQueueDepth: 0, maxCacheEntries: 1 }),
        });
      },
    };
    const host = await HostRuntime.startAsync({
      configPath: configFile({ admin: { enabled: false }, statusIntervalMs: 1000, plugins: [{ module: 's' }] }),
      clock,
      statusLogger,
      watchConfig: false,
      importModule: async () => ({ default: () => sub }),
    });
    await clock.advanceAsync(1000);
    await host.stopAsync();
    expect(entries).toEqual(['things [normal]']);
  });
});
