import { describe, expect, it, vi } from 'vitest';
import { VirtualClock, getSdkCompatibility } from '@datawarehouse/sdk';
import type { Logger } from '@datawarehouse/sdk';
import { driveTraffic } from '../testing/driveTraffic.js';
import { ResilienceScalingManager } from '../manager/ResilienceScalingManager.js';
import { StrategyRegistry } from '../strategies/StrategyRegistry.js';
import type { StrategyDefinition } from '../strategies/StrategyDefinition.js';
import { AdaptiveController } from './AdaptiveController.js';
import type { AdaptationEvent } from './AdaptiveController.js';

const breaker = { mode: 'count', failureThreshold: 10, samplingWindowMs: 10_000, breakDurationMs: 30_000 } as const;
const DB: StrategyDefinition = {
  id: 'db',
  circuitBreaker: breaker,
  bulkhead: { maxConcurrency: 32, maxQueueSize: 100 },
  retry: false,
};
const CACHE: StrategyDefinition = {
  id: 'cache',
  circuitBreaker: breaker,
  bulkhead: { maxConcurrency: 32, maxQueueSize: 100 },
  retry: false,
};

function logger() {
  return { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() } satisfies Logger;
}

function setup(
  adaptation: Record<string, unknown> | null = { enabled: true, warmUp: false },
  strategies: StrategyDefinition[] = [DB, CACHE],
) {
  const clock = new VirtualClock(0);
  const log = logger();
  const manager = new ResilienceScalingManager({
    registry: new StrategyRegistry(strategies),
    clock,
    logger: log,
    random: () => 0.5,
    limits: adaptation === null ? {} : { adaptation },
  });
  const events: AdaptationEvent[] = [];
  manager.events.on('adapted', (_id, e) => events.push(e));
  return { clock, manager, log, events };
}

const drive = driveTraffic;

type Report = {
  active: boolean;
  running: boolean;
  samples: number;
  adaptations: number;
  errors: number;
  strategies: Record<
    string,
    {
      current: Record<string, number>;
      recommended: Record<string, number>;
      reasons: string[];
      windows: { short: { calls: number; completed: number; errorRate: number } };
    }
  >;
};
const report = (m: ResilienceScalingManager) => m.getScalingMetrics().adaptation as Report;

describe('AdaptiveController', () => {
  it('is decorated for SDK 6.0.0', () => {
    expect(getSdkCompatibility(AdaptiveController)?.sdkVersion).toBe('6.0.0');
  });

  it('runs no timer while adaptation is off (the default)', () => {
    const { clock, manager } = setup(null);
    manager.runtimeFor('db');
    expect(clock.pendingTimers).toBe(0);
    expect(report(manager)).toMatchObject({ active: false, running: false });
    expect(manager.currentLimits.adaptation).toMatchObject({ enabled: false, intervalMs: 30_000 });
  });

  it('runs ONE timer for all strategies, from the first runtime on, and stops it on dispose', () => {
    const { clock, manager } = setup();
    expect(clock.pendingTimers).toBe(0);
    manager.runtimeFor('db');
    manager.runtimeFor('cache');
    expect(clock.pendingTimers).toBe(1);
    clock.advance(95_000);
    expect(report(manager).samples).toBe(9);
    expect(clock.pendingTimers).toBe(1);
    manager.dispose();
    expect(clock.pendingTimers).toBe(0);
  });

  it('samples the deltas of the cumulative counters into per-strategy windows', async () => {
    const { clock, manager } = setup();
    // The runtime is created by the first call (t = 20 ms), so its samples fall at 10.02 s and 20.02 s.
    await drive(clock, manager, 'db', { ms: 20_030, perSecond: 50, latencyMs: 5, fail: (n) => n % 100 === 0 });
    const w = report(manager).strategies.db!.windows.short;
    expect(w.calls).toBe(1000);
    expect(w.completed).toBe(1000);
    expect(w.errorRate).toBeCloseTo(0.01, 10);
  });

  it('raises the failure threshold of a healthy strategy in place and reports current and recommended values', async () => {
    const { clock, manager, events } = setup();
    const before = manager.runtimeFor('db').breaker;
    await drive(clock, manager, 'db', { ms: 61_000, perSecond: 50, latencyMs: 20 });
    expect(manager.runtimeFor('db').breaker).toBe(before); // reconfigured in place, not rebuilt
    expect(before!.options.failureThreshold).toBe(17); // 10 → 13 at 30 s → 17 at 60 s
    const db = report(manager).strategies.db!;
    expect(db.current).toMatchObject({ failureThreshold: 17, breakDurationMs: 30_000 });
    expect(db.recommended).toMatchObject({ failureThreshold: 17 });
    expect(db.reasons.join('\n')).toMatch(/failureThreshold 13 → 17: error rate 0\.00% < 1\.00%/);
    const first = events.find((e) => e.strategyId === 'db')!;
    expect(first).toMatchObject({
      timestamp: 30_000,
      previous: { failureThreshold: 10 },
      current: { failureThreshold: 13 },
      recommended: { failureThreshold: 13 },
    });
  });

  it('never closes an open circuit: a new break duration waits until the circuit is closed', async () => {
    const { clock, manager } = setup({ enabled: true }, [
      { ...DB, circuitBreaker: { ...breaker, breakDurationMs: 100_000 } },
    ]);
    const runtime = manager.runtimeFor('db');
    const cb = runtime.breaker!;
    await clock.advanceAsync(1_000);
    cb.trip('test');
    await clock.advanceAsync(100_000);
    await manager.executeWithResilience('db', () => 'probe'); // closes: a 100 s recovery observed
    expect(cb.state).toBe('closed');
    await clock.advanceAsync(1_000);
    cb.trip('test'); // open until t = 202 s, before the tick at 120 s could apply 25 s
    const states: string[] = [];
    for (const t of [120_000, 150_000, 180_000]) {
      await clock.advanceAsync(t + 1 - clock.now());
      states.push(cb.state);
    }
    expect(states).toEqual(['open', 'open', 'open']);
    expect(cb.retryAfterMs()).toBe(202_000 - clock.now()); // the break was not re-timed
    expect(report(manager).strategies.db!.reasons.join('\n')).toMatch(
      /breakDurationMs: change deferred while the circuit is open/,
    );
    expect(cb.options.breakDurationMs).toBe(100_000);
    await clock.advanceAsync(202_000 - clock.now());
    await manager.executeWithResilience('db', () => 'probe');
    await clock.advanceAsync(210_001 - clock.now());
    expect(cb.state).toBe('closed');
    expect(cb.options.breakDurationMs).toBe(25_000); // 0.25 × the 100 s recovery
  });

  it('tracks demand with the bulkhead limit and never lets more than the applied limit run', async () => {
    const { clock, manager } = setup();
    await drive(clock, manager, 'db', { ms: 91_000, perSecond: 50, latencyMs: 100 });
    await clock.advanceAsync(500); // let the last calls of the traffic settle
    const runtime = manager.runtimeFor('db');
    const limit = runtime.bulkheadStatistics()!.maxConcurrency;
    expect(limit).toBeLessThan(32);
    expect(report(manager).strategies.db!.current.maxConcurrency).toBe(limit);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const calls = Array.from({ length: 40 }, () => manager.executeWithResilience('db', () => gate));
    await clock.advanceAsync(0);
    const stats = runtime.bulkheadStatistics()!;
    expect(stats.running).toBeLessThanOrEqual(limit);
    expect(stats.running + stats.queued).toBe(40);
    release();
    await Promise.all(calls);
  });

  it('logs and skips a strategy whose adaptation fails; the others adapt and the timer keeps running', async () => {
    const { clock, manager, log } = setup();
    manager.runtimeFor('db').setAdaptiveOverlay = () => {
      throw new Error('boom');
    };
    await Promise.all([
      drive(clock, manager, 'db', { ms: 31_000, perSecond: 20, latencyMs: 10 }),
      drive(clock, manager, 'cache', { ms: 31_000, perSecond: 20, latencyMs: 10 }),
    ]);
    expect(log.error).toHaveBeenCalledWith(
      'adaptation of a strategy failed; skipped',
      expect.objectContaining({ strategyId: 'db', error: 'Error: boom' }),
    );
    expect(report(manager).errors).toBeGreaterThanOrEqual(1);
    expect(manager.runtimeFor('cache').breaker!.options.failureThreshold).toBe(13);
    expect(clock.pendingTimers).toBeGreaterThanOrEqual(1);
    const samples = report(manager).samples;
    await clock.advanceAsync(10_000);
    expect(report(manager).samples).toBe(samples + 1);
  });

  it('survives an `adapted` listener that throws', async () => {
    const { clock, manager, log } = setup();
    manager.events.on('adapted', () => {
      throw new Error('listener');
    });
    await drive(clock, manager, 'db', { ms: 31_000, perSecond: 20, latencyMs: 10 });
    expect(manager.runtimeFor('db').breaker!.options.failureThreshold).toBe(13);
    expect(log.error).toHaveBeenCalledWith('an adapted listener threw', expect.objectContaining({ strategyId: 'db' }));
  });

  it('restores the configured values in place when adaptation is switched off for a strategy', async () => {
    const { clock, manager, events } = setup();
    await drive(clock, manager, 'db', { ms: 31_000, perSecond: 20, latencyMs: 10 });
    const cb = manager.runtimeFor('db').breaker!;
    expect(cb.options.failureThreshold).toBe(13);
    await manager.reconfigureLimitsAsync({ strategies: { db: { adaptive: { enabled: false } } } });
    expect(cb.options.failureThreshold).toBe(10);
    expect(manager.runtimeFor('db').breaker).toBe(cb);
    expect(events.at(-1)).toMatchObject({
      strategyId: 'db',
      current: { failureThreshold: 10 },
      reasons: ['adaptation disabled: configured values restored'],
    });
    expect(report(manager).strategies.db).toBeUndefined();
  });
});
