import { describe, expect, it, vi } from 'vitest';
import { VirtualClock } from '@datawarehouse/sdk';
import type { Logger } from '@datawarehouse/sdk';
import { driveTraffic } from '../testing/driveTraffic.js';
import { ResilienceScalingManager } from '../manager/ResilienceScalingManager.js';
import { StrategyRegistry } from '../strategies/StrategyRegistry.js';
import type { StrategyDefinition } from '../strategies/StrategyDefinition.js';
import { resolveAdaptationOptions } from './AdaptationOptions.js';
import { INITIAL_ADAPTIVE_STATE, computeOptimalThresholds } from './AdaptiveResilienceThresholds.js';
import type { ThresholdInputs } from './AdaptiveResilienceThresholds.js';
import { SlidingWindowMetrics } from './SlidingWindowMetrics.js';
import type { IntervalSample, WindowStats } from './SlidingWindowMetrics.js';

// Edge cases of adaptation found in review: each test states a guaranteed behaviour.

const breaker = { mode: 'count', failureThreshold: 10, samplingWindowMs: 10_000, breakDurationMs: 30_000 } as const;
const DB: StrategyDefinition = {
  id: 'db',
  circuitBreaker: breaker,
  bulkhead: { maxConcurrency: 32, maxQueueSize: 100 },
  retry: false,
};

function setup(
  strategies: StrategyDefinition[] = [DB],
  adaptation: Record<string, unknown> = { enabled: true, warmUp: false },
) {
  const clock = new VirtualClock(0);
  const log = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() } satisfies Logger;
  const manager = new ResilienceScalingManager({
    registry: new StrategyRegistry(strategies),
    clock,
    logger: log,
    random: () => 0.5,
    limits: { adaptation },
  });
  return { clock, manager, log };
}

const drive = driveTraffic;

type Report = {
  errors: number;
  strategies: Record<string, { current: Record<string, number>; recoveries: { count: number }; reasons: string[] }>;
};
const report = (m: ResilienceScalingManager) => m.getScalingMetrics().adaptation as Report;

function stats(windowMs: number, partial: Partial<WindowStats>): WindowStats {
  return {
    windowMs,
    intervals: windowMs / 10_000,
    coveredMs: windowMs,
    calls: 600,
    successes: 600,
    failures: 0,
    timeouts: 0,
    attempts: 600,
    rejectedBulkhead: 0,
    rejectedCircuitOpen: 0,
    rejectedRateLimited: 0,
    completed: 600,
    errorRate: 0,
    throughputPerSecond: 10,
    p50Ms: NaN,
    p99Ms: NaN,
    p99MinMs: NaN,
    p99MaxMs: NaN,
    p50MinMs: NaN,
    maxQueued: 0,
    ...partial,
  };
}

describe('computeOptimalThresholds', () => {
  const ON = resolveAdaptationOptions({ enabled: true });
  const base = (latency: Partial<WindowStats>): ThresholdInputs => ({
    windows: { short: stats(60_000, latency), medium: stats(300_000, latency), long: stats(900_000, latency) },
    current: { maxConcurrency: 8 },
    configuredMaxConcurrency: 32,
    circuitState: 'closed',
    recovery: { count: 0, emaMs: undefined },
    queued: 0,
    state: INITIAL_ADAPTIVE_STATE,
  });

  it('recommends a finite, clamped limit when the observed latency is 0 ms (zero baseline)', () => {
    // Sub-microsecond calls (a cache, a coarse clock, virtual time) read as p99 = 0; the limit
    // holds calls back (bulkhead rejections), so the "grow" branch runs.
    const zero = { p50Ms: 0, p99Ms: 0, p99MinMs: 0, p50MinMs: 0, rejectedBulkhead: 5 };
    const r = computeOptimalThresholds(base(zero), ON);
    expect(Number.isFinite(r.values.maxConcurrency)).toBe(true);
    expect(r.values.maxConcurrency).toBeGreaterThanOrEqual(1);
    expect(r.values.maxConcurrency).toBeLessThanOrEqual(32);
    expect(Number.isFinite(r.state.limit)).toBe(true);
  });

  it('never carries a NaN limit into the next adaptation (one bad reading must not poison every later one)', () => {
    const r1 = computeOptimalThresholds(
      base({ p50Ms: 0, p99Ms: 0, p99MinMs: 0, p50MinMs: 0, rejectedBulkhead: 5 }),
      ON,
    );
    // Next reading is perfectly normal.
    const next = {
      ...base({ p50Ms: 10, p99Ms: 20, p99MinMs: 20, p50MinMs: 10, rejectedBulkhead: 5 }),
      state: r1.state,
    };
    const r2 = computeOptimalThresholds(next, ON);
    expect(Number.isFinite(r2.values.maxConcurrency)).toBe(true);
  });

  it('does not lower a healthy failure threshold: a configured value above maxFailureThreshold is kept while errors are < 1 %', () => {
    const inputs: ThresholdInputs = {
      ...base({}),
      current: { failureThreshold: 50 },
      breakerMode: 'count',
    };
    const r = computeOptimalThresholds(inputs, ON);
    // The rule says "< 1 % raises": clamping the starting value would turn it into 50 → 20.
    expect(r.values.failureThreshold).toBeGreaterThanOrEqual(50);
  });

  it('keeps a configured break duration until a recovery was observed, even outside [min, max]', () => {
    const inputs: ThresholdInputs = { ...base({}), current: { breakDurationMs: 300_000 } };
    const r = computeOptimalThresholds(inputs, ON);
    expect(r.values.breakDurationMs ?? 300_000).toBe(300_000);
  });
});

describe('SlidingWindowMetrics', () => {
  const sample = (calls: number, failures = 0): IntervalSample => ({
    calls,
    successes: calls - failures,
    failures,
    timeouts: 0,
    attempts: calls,
    rejectedBulkhead: 0,
    rejectedCircuitOpen: 0,
    rejectedRateLimited: 0,
    p50Ms: 5,
    p99Ms: 9,
    queued: 0,
  });

  it('never counts a bucket older than the window, whatever the idle gap (including exact multiples of the ring)', () => {
    const m = new SlidingWindowMetrics(10_000, 90);
    m.record(5_000, sample(100, 100));
    for (const idle of [60_000, 900_000, 900_000 * 7, 910_000]) {
      const now = 5_000 + idle;
      expect(m.window(60_000, now).calls).toBe(0);
      expect(m.window(900_000, now).failures).toBe(idle < 900_000 ? 100 : 0);
    }
  });
});

describe('AdaptiveController in ResilienceScalingManager', () => {
  it('an operator trip and reset (the admin action) is not counted as an observed recovery', async () => {
    const { clock, manager } = setup();
    await drive(clock, manager, 'db', { ms: 5_000, perSecond: 20, latencyMs: 10 });
    await manager.invokeActionAsync('trip', { strategyId: 'db' });
    await clock.advanceAsync(2_000);
    await manager.invokeActionAsync('reset', { strategyId: 'db' }); // reason 'operator-reset'
    await drive(clock, manager, 'db', { ms: 30_000, perSecond: 20, latencyMs: 10 });
    expect(report(manager).strategies.db!.recoveries.count).toBe(0);
    // Otherwise the reset timeout follows how fast an operator clicked: 0.25 × 2 s → clamped to 1 s.
    expect(manager.getCircuitBreaker('db')!.options.breakDurationMs).toBe(30_000);
  });

  it('zero-latency calls with a saturated bulkhead do not break adaptation (no NaN limit, no errors)', async () => {
    const { clock, manager, log } = setup([{ ...DB, bulkhead: { maxConcurrency: 4, maxQueueSize: 0 } }]);
    const runtime = manager.runtimeFor('db');
    // Three slots held by calls that never settle; the fourth serves instant calls, two at a time, so one is rejected.
    for (let i = 0; i < 3; i++)
      void manager.executeWithResilience('db', () => new Promise(() => undefined)).catch(() => undefined);
    for (let t = 0; t < 61_000; t += 100) {
      await clock.advanceAsync(100);
      void manager.executeWithResilience('db', () => 'instant').catch(() => undefined);
      void manager.executeWithResilience('db', () => 'instant').catch(() => undefined);
    }
    expect(runtime.bulkheadStatistics()!.maxConcurrency).toBeGreaterThanOrEqual(1);
    expect(Number.isFinite(runtime.bulkheadStatistics()!.maxConcurrency)).toBe(true);
    expect(report(manager).errors).toBe(0);
    expect(log.error).not.toHaveBeenCalled();
    // A NaN limit carried in the state would make every adaptation fail, and a half-applied
    // overlay would leave breaker and runtime disagreeing about the threshold in force.
    expect(manager.getCircuitBreaker('db')!.options.failureThreshold).toBe(runtime.breakerOptions()!.failureThreshold);
  });

  it('setAdaptiveOverlay applies nothing when a value is invalid (breaker not changed either)', () => {
    const { manager } = setup([DB], { enabled: false });
    const runtime = manager.runtimeFor('db');
    expect(() => runtime.setAdaptiveOverlay({ failureThreshold: 13, maxConcurrency: 0 })).toThrow(/maxConcurrency/);
    expect(runtime.adaptive).toEqual({});
    // Documented: "nothing is applied then". The breaker was reconfigured before the bulkhead threw.
    expect(runtime.breaker!.options.failureThreshold).toBe(10);
  });

  it('after a quiet period, a healthy downstream at its usual latency is not throttled for the whole long window', async () => {
    // Log-normal service time (median 100 ms, sigma 0.4), seeded: the same downstream throughout.
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) + 0.5) / 2147483648;
    const latency = () =>
      Math.round(100 * Math.exp(0.4 * Math.sqrt(-2 * Math.log(rnd())) * Math.cos(2 * Math.PI * rnd())));
    const { clock, manager } = setup();
    const traffic = async (ms: number, perSecond: number) => {
      const gap = 1000 / perSecond;
      const end = clock.now() + ms;
      while (clock.now() + gap <= end) {
        await clock.advanceAsync(gap);
        const l = latency();
        manager
          .executeWithResilience('db', () => new Promise((r) => clock.setTimeout(() => r(l), l)))
          .catch(() => undefined);
      }
      await clock.advanceAsync(end - clock.now());
    };
    await traffic(300_000, 0.2); // night: one call every 5 s
    const m = manager.runtimeFor('db').metrics;
    const [calls0, rejected0] = [m.calls, m.rejectedBulkhead];
    await traffic(300_000, 100); // morning: 100 calls/s need ~10 in flight; the configured limit is 32
    const rejectedShare = (m.rejectedBulkhead - rejected0) / (m.calls - calls0);
    // Without the quiet period nothing is rejected (the limit settles at 23). After it: ~80 % for 5+ minutes,
    // the limit stuck at 2, because the baseline is the lowest p99 of near-empty intervals and the
    // "sustained" floor is computed from the already throttled throughput.
    expect(rejectedShare).toBeLessThan(0.05);
  });

  it("an operator's runtime change of an adapted value takes effect (and the limits reported are the ones in force)", async () => {
    const { clock, manager } = setup();
    await drive(clock, manager, 'db', { ms: 31_000, perSecond: 20, latencyMs: 10 });
    const cb = manager.getCircuitBreaker('db')!;
    expect(cb.options.failureThreshold).toBe(13);
    const limits = await manager.reconfigureLimitsAsync({
      strategies: { db: { circuitBreaker: { failureThreshold: 7 } } },
    });
    expect(limits.strategies!.db!.circuitBreaker!.failureThreshold).toBe(7); // what the admin API answers
    // ... and the breaker runs with it, not with the adapted 13.
    expect(cb.options.failureThreshold).toBe(7);
  });

  it('adaptation never exceeds the configured limit and never closes a circuit opened by failures', async () => {
    const { clock, manager } = setup();
    const cb = manager.runtimeFor('db').breaker!;
    await drive(clock, manager, 'db', { ms: 25_000, perSecond: 20, latencyMs: 10 });
    cb.tripFor(100_000, 'outage');
    await clock.advanceAsync(90_000);
    expect(cb.state).toBe('open');
    expect(manager.runtimeFor('db').bulkheadStatistics()!.maxConcurrency).toBeLessThanOrEqual(32);
  });

  it('forgets a strategy removed between ticks and keeps adapting the others without errors', async () => {
    const { clock, manager } = setup([DB, { ...DB, id: 'cache' }]);
    await Promise.all([
      drive(clock, manager, 'db', { ms: 15_000, perSecond: 20, latencyMs: 10 }),
      drive(clock, manager, 'cache', { ms: 15_000, perSecond: 20, latencyMs: 10 }),
    ]);
    manager.registry.remove('db');
    await drive(clock, manager, 'cache', { ms: 20_000, perSecond: 20, latencyMs: 10 });
    expect(report(manager).errors).toBe(0);
    expect(Object.keys(report(manager).strategies)).toEqual(['cache']);
    expect(manager.getCircuitBreaker('cache')!.options.failureThreshold).toBe(13);
  });

  it('re-times nothing when adaptation is switched off while the circuit is open (restoring waits for closed)', async () => {
    const { clock, manager } = setup([{ ...DB, circuitBreaker: { ...breaker, breakDurationMs: 100_000 } }]);
    const cb = manager.runtimeFor('db').breaker!;
    await clock.advanceAsync(1_000);
    cb.trip('test');
    await clock.advanceAsync(100_000);
    await manager.executeWithResilience('db', () => 'probe'); // a 100 s recovery observed
    await clock.advanceAsync(30_000); // adaptation: break 100 s → 25 s
    expect(cb.options.breakDurationMs).toBe(25_000);
    cb.trip('again'); // a 25 s break from the options
    const until = clock.now() + 25_000;
    await manager.reconfigureLimitsAsync({ adaptation: { enabled: false } });
    // Restoring the configured 100 s now would re-anchor the running break to 100 s.
    expect(cb.retryAfterMs()).toBe(until - clock.now());
  });

  it('restores the configured break once a circuit held open at switch-off closes', async () => {
    const { clock, manager } = setup([{ ...DB, circuitBreaker: { ...breaker, breakDurationMs: 100_000 } }]);
    const cb = manager.runtimeFor('db').breaker!;
    await clock.advanceAsync(1_000);
    cb.trip('test');
    await clock.advanceAsync(100_000);
    await manager.executeWithResilience('db', () => 'probe');
    await clock.advanceAsync(30_000);
    expect(cb.options.breakDurationMs).toBe(25_000);
    cb.trip('again');
    await manager.reconfigureLimitsAsync({ adaptation: { enabled: false } });
    expect(cb.options.breakDurationMs).toBe(25_000);
    await clock.advanceAsync(25_000);
    await manager.executeWithResilience('db', () => 'probe');
    await clock.advanceAsync(0);
    expect(cb.state).toBe('closed');
    expect(cb.options.breakDurationMs).toBe(100_000);
    expect(manager.runtimeFor('db').adaptive).toEqual({});
  });
});
