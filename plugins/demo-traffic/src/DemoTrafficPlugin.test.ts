import { describe, expect, it } from 'vitest';
import {
  CircuitOpenError,
  ResilienceServiceToken,
  VirtualClock,
  getSdkCompatibility,
  silentLogger,
} from '@datawarehouse/sdk';
import type {
  IResilienceService,
  IScalableSubsystem,
  PluginContext,
  ResilientOperation,
  ServiceToken,
} from '@datawarehouse/sdk';
import { DEMO_TRAFFIC_SUBSYSTEM, DemoTrafficPlugin } from './DemoTrafficPlugin.js';
import { createPlugin } from './createPlugin.js';

/** A stand-in resilience service: runs the operation once; strategy `closed-circuit` always fails fast. */
function fakeResilience(): IResilienceService & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async executeWithResilience<T>(
      id: string,
      op: ResilientOperation<T>,
      options?: { signal?: AbortSignal },
    ): Promise<T> {
      calls.push(id);
      if (id === 'closed-circuit') throw new CircuitOpenError(id, 'open', 1000);
      const controller = new AbortController();
      const onAbort = () => controller.abort(options?.signal?.reason);
      options?.signal?.addEventListener('abort', onAbort, { once: true });
      try {
        return await op({ signal: controller.signal, attempt: 1, strategyId: id, context: undefined });
      } finally {
        options?.signal?.removeEventListener('abort', onAbort);
      }
    },
  };
}

function context(clock: VirtualClock, service: IResilienceService | undefined) {
  const subsystems: IScalableSubsystem[] = [];
  const ctx = {
    pluginId: 'demo-traffic',
    nodeId: 'n1',
    clock,
    logger: silentLogger,
    config: {},
    services: {
      resolve: <T>(token: ServiceToken<T>): T => {
        if (token !== ResilienceServiceToken || service === undefined)
          throw Object.assign(new Error('absent'), { code: 'ERR_SERVICE_NOT_FOUND' });
        return service as T;
      },
    },
    subsystems: {
      register: (s: IScalableSubsystem) => {
        subsystems.push(s);
        return { dispose: () => void subsystems.splice(subsystems.indexOf(s), 1) };
      },
    },
  } as unknown as PluginContext;
  return { ctx, subsystems };
}

describe('DemoTrafficPlugin', () => {
  it('is a decorated SDK 6 plugin depending on ultimate-resilience', () => {
    const plugin = createPlugin({});
    expect(plugin).toBeInstanceOf(DemoTrafficPlugin);
    expect(plugin).toMatchObject({ id: 'demo-traffic', sdkVersion: '6.0.0', dependencies: ['ultimate-resilience'] });
    expect(getSdkCompatibility(plugin)?.sdkVersion).toBe('6.0.0');
  });

  it('rejects bad options naming the field', () => {
    expect(() => createPlugin({ requestsPerSecond: 'fast' })).toThrow(
      expect.objectContaining({ field: 'requestsPerSecond' }),
    );
  });

  it('fails to initialize without a resilience service', async () => {
    const { ctx } = context(new VirtualClock(), undefined);
    await expect(createPlugin({}).initializeAsync(ctx)).rejects.toMatchObject({ code: 'ERR_SERVICE_NOT_FOUND' });
  });

  it('refuses to start before initialization', async () => {
    await expect(createPlugin({}).startAsync()).rejects.toMatchObject({ code: 'ERR_PLUGIN_NOT_INITIALIZED' });
  });

  it('drives calls at the configured rate through the strategies in turn and counts outcomes by code', async () => {
    const clock = new VirtualClock();
    const service = fakeResilience();
    const { ctx } = context(clock, service);
    const plugin = createPlugin({
      strategies: ['default', 'closed-circuit'],
      requestsPerSecond: 20,
      tickMs: 100,
      downstream: { latencyMs: 10, latencyJitterMs: 0, errorRate: 0 },
    });
    await plugin.initializeAsync(ctx);
    await plugin.startAsync();
    await clock.advanceAsync(1000);
    const stats = plugin.getStatistics();
    expect(stats.issued).toBe(20);
    expect(service.calls.slice(0, 4)).toEqual(['default', 'closed-circuit', 'default', 'closed-circuit']);
    expect(stats.byStrategy['closed-circuit']).toEqual({ ERR_CIRCUIT_OPEN: 10 });
    expect(stats.byStrategy.default!.ok).toBeGreaterThanOrEqual(9);
    await plugin.stopAsync();
    expect(clock.pendingTimers).toBe(0);
    expect(plugin.getStatistics()).toMatchObject({ running: false, inFlight: 0 });
  });

  it('keeps fractional rates exact over time', async () => {
    const clock = new VirtualClock();
    const { ctx } = context(clock, fakeResilience());
    const plugin = createPlugin({ requestsPerSecond: 3, tickMs: 100, downstream: { latencyMs: 1, errorRate: 0 } });
    await plugin.initializeAsync(ctx);
    await plugin.startAsync();
    await clock.advanceAsync(10_000);
    expect(plugin.getStatistics().issued).toBe(30);
    await plugin.stopAsync();
  });

  it('stops the load and waits for calls in flight, which settle as cancelled', async () => {
    const clock = new VirtualClock();
    const { ctx, subsystems } = context(clock, fakeResilience());
    const plugin = createPlugin({ requestsPerSecond: 100, tickMs: 10, downstream: { latencyMs: 5000 } });
    await plugin.initializeAsync(ctx);
    await plugin.startAsync();
    await clock.advanceAsync(100);
    expect(plugin.getStatistics().inFlight).toBe(10);
    await plugin.stopAsync();
    const stats = plugin.getStatistics();
    expect(stats.inFlight).toBe(0);
    expect(stats.outcomes).toEqual({ ABORTED: 10 });
    expect(clock.pendingTimers).toBe(0);
    expect(subsystems).toEqual([]);
  });

  it('caps calls in flight and lets the cap be changed through its subsystem', async () => {
    const clock = new VirtualClock();
    const { ctx, subsystems } = context(clock, fakeResilience());
    const plugin = createPlugin({
      requestsPerSecond: 100,
      tickMs: 10,
      maxInFlight: 5,
      downstream: { latencyMs: 10_000 },
    });
    await plugin.initializeAsync(ctx);
    const subsystem = subsystems[0]!;
    expect(subsystem.name).toBe(DEMO_TRAFFIC_SUBSYSTEM);
    await plugin.startAsync();
    await clock.advanceAsync(100);
    expect(plugin.getStatistics()).toMatchObject({ inFlight: 5, skipped: 5 });
    expect(subsystem.currentBackpressureState).toBe('shedding');
    await expect(subsystem.reconfigureLimitsAsync({ maxQueueDepth: 1 })).rejects.toMatchObject({
      field: 'maxQueueDepth',
    });
    const limits = await subsystem.reconfigureLimitsAsync({ maxConcurrentOperations: 8 });
    expect(limits.maxConcurrentOperations).toBe(8);
    await clock.advanceAsync(100);
    expect(plugin.getStatistics().inFlight).toBe(8);
    expect(subsystem.getScalingMetrics()).toMatchObject({ maxInFlight: 8 });
    await plugin.stopAsync();
  });
});
