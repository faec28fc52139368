import { describe, expect, it } from 'vitest';
import { VirtualClock } from '@datawarehouse/sdk';
import { driveTraffic } from '../testing/driveTraffic.js';
import { ResilienceScalingManager } from '../manager/ResilienceScalingManager.js';
import { StrategyRegistry } from '../strategies/StrategyRegistry.js';
import type { StrategyDefinition } from '../strategies/StrategyDefinition.js';
import type { AdaptationEvent } from './AdaptiveController.js';

// #11 item 2: no false trip before the first adaptation (warm-up), and item 1's early cut.
const breaker = { mode: 'count', failureThreshold: 10, samplingWindowMs: 10_000, breakDurationMs: 30_000 } as const;

function setup(adaptation: Record<string, unknown>, strategy: Partial<StrategyDefinition> = {}) {
  const clock = new VirtualClock(0);
  const manager = new ResilienceScalingManager({
    registry: new StrategyRegistry([
      {
        id: 'db',
        circuitBreaker: breaker,
        bulkhead: { maxConcurrency: 64, maxQueueSize: 20 },
        retry: false,
        ...strategy,
      },
    ]),
    clock,
    random: () => 0.5,
    limits: { adaptation },
  });
  const events: AdaptationEvent[] = [];
  manager.events.on('adapted', (_id, e) => events.push(e));
  return { clock, manager, events };
}

describe('AdaptiveController warm-up', () => {
  it('runs a new strategy at maxFailureThreshold until its first adaptation, so a burst of background errors does not trip it', async () => {
    const { clock, manager, events } = setup({ enabled: true });
    // 12 failures within 5 s (more than the configured 10) before the first adaptation at 30 s.
    await driveTraffic(clock, manager, 'db', { ms: 5_000, perSecond: 100, latencyMs: 5, fail: (n) => n % 40 === 0 });
    expect(manager.getCircuitBreaker('db')!.state).toBe('closed');
    expect(manager.getCircuitBreaker('db')!.options.failureThreshold).toBe(20);
    expect(events[0]!.timestamp).toBeLessThan(100); // when the first call created the runtime
    expect(events[0]).toMatchObject({
      previous: { failureThreshold: 10 },
      current: { failureThreshold: 20 },
      reasons: [expect.stringMatching(/warm-up until the first adaptation/) as unknown],
    });
    const strategies = () =>
      (manager.getScalingMetrics().adaptation as { strategies: Record<string, { warmUp: boolean }> }).strategies;
    expect(strategies().db!.warmUp).toBe(true);
    // Healthy afterwards: the first adaptation keeps the warm-up value (the rule's own ceiling).
    await driveTraffic(clock, manager, 'db', { ms: 30_000, perSecond: 100, latencyMs: 5 });
    expect(manager.getCircuitBreaker('db')!.options.failureThreshold).toBe(20);
    expect(strategies().db!.warmUp).toBe(false);
  });

  it('hands back to the configured threshold at the first adaptation when the error rate is not low', async () => {
    const { clock, manager } = setup({ enabled: true });
    // 3 % errors (6 in any 10 s): between lowErrorRate (1 %) and highErrorRate (5 %).
    await driveTraffic(clock, manager, 'db', { ms: 31_000, perSecond: 20, latencyMs: 5, fail: (n) => n % 33 === 0 });
    expect(manager.getCircuitBreaker('db')!.state).toBe('closed');
    expect(manager.getCircuitBreaker('db')!.options.failureThreshold).toBe(10);
  });

  it('still trips on a real outage during the warm-up (after maxFailureThreshold failures)', async () => {
    const { clock, manager } = setup({ enabled: true });
    await driveTraffic(clock, manager, 'db', { ms: 1_000, perSecond: 100, latencyMs: 5, fail: () => true });
    expect(manager.getCircuitBreaker('db')!.state).toBe('open');
  });

  it('can be switched off (warmUp: false): the configured threshold holds from the start', async () => {
    const { clock, manager, events } = setup({ enabled: true, warmUp: false });
    await driveTraffic(clock, manager, 'db', { ms: 5_000, perSecond: 100, latencyMs: 5, fail: (n) => n % 40 === 0 });
    expect(manager.getCircuitBreaker('db')!.state).toBe('open');
    expect(events).toEqual([]);
  });

  it('leaves rate-mode breakers alone', async () => {
    const { manager, events } = setup(
      { enabled: true },
      { circuitBreaker: { mode: 'rate', failureRateThreshold: 0.5, minimumThroughput: 10 } },
    );
    manager.runtimeFor('db');
    expect(events).toEqual([]);
  });
});

describe('AdaptiveController early cut', () => {
  it('cuts the limit at the first sample that shows overload, not only every intervalMs, and changes nothing else early', async () => {
    const { clock, manager, events } = setup({ enabled: true, warmUp: false });
    // Healthy for 2 minutes: 40 calls/s × 50 ms = 2 in flight.
    await driveTraffic(clock, manager, 'db', { ms: 120_000, perSecond: 40, latencyMs: 50 });
    const before = manager.runtimeFor('db').bulkheadStatistics()!.maxConcurrency;
    const thresholdBefore = manager.getCircuitBreaker('db')!.options.failureThreshold;
    // Then overload: 400 calls/s at 400 ms (160 in flight wanted): the bulkhead refuses and queues, p99 ×8.
    const t0 = clock.now();
    await driveTraffic(clock, manager, 'db', { ms: 12_000, perSecond: 400, latencyMs: 400 });
    const early = events.filter((e) => e.timestamp > t0 && e.reasons.some((r) => r.startsWith('early')));
    expect(early.length).toBeGreaterThan(0);
    expect(early[0]!.timestamp - t0).toBeLessThanOrEqual(10_100); // the first sample after t0 (samples run every 10 s)
    expect(early[0]!.current.maxConcurrency).toBeLessThan(before);
    expect(early[0]!.current.failureThreshold).toBe(thresholdBefore);
  });
});
