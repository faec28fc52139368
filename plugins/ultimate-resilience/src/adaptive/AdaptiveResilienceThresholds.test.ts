import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { getSdkCompatibility } from '@datawarehouse/sdk';
import { resolveAdaptationOptions } from './AdaptationOptions.js';
import type { AdaptationOptions } from './AdaptationOptions.js';
import {
  AdaptiveResilienceThresholds,
  INITIAL_ADAPTIVE_STATE,
  computeOptimalThresholds,
} from './AdaptiveResilienceThresholds.js';
import type { ThresholdInputs } from './AdaptiveResilienceThresholds.js';
import type { WindowStats } from './SlidingWindowMetrics.js';

function stats(windowMs: number, partial: Partial<WindowStats> = {}): WindowStats {
  const successes = partial.successes ?? 0;
  const failures = partial.failures ?? 0;
  const completed = successes + failures;
  const coveredMs = partial.coveredMs ?? windowMs;
  return {
    windowMs,
    intervals: coveredMs / 10_000,
    coveredMs,
    calls: completed,
    successes,
    failures,
    timeouts: 0,
    attempts: completed,
    rejectedBulkhead: 0,
    rejectedCircuitOpen: 0,
    rejectedRateLimited: 0,
    completed,
    errorRate: completed === 0 ? NaN : failures / completed,
    throughputPerSecond: coveredMs === 0 ? 0 : (completed * 1000) / coveredMs,
    p50Ms: NaN,
    p99Ms: NaN,
    p99MinMs: NaN,
    p99MaxMs: NaN,
    p50MinMs: NaN,
    maxQueued: 0,
    ...partial,
  };
}

/** Windows where `calls` calls completed per minute with `errorRate`, and latency readings. */
function windows(
  errorRate: number,
  perMinute: number,
  latency: Partial<WindowStats> = {},
  longLatency: Partial<WindowStats> = latency,
) {
  const w = (ms: number, extra: Partial<WindowStats>) => {
    const n = Math.round((perMinute * ms) / 60_000);
    const failures = Math.round(n * errorRate);
    return stats(ms, { successes: n - failures, failures, ...extra });
  };
  return { short: w(60_000, latency), medium: w(300_000, latency), long: w(900_000, longLatency) };
}

const ON = resolveAdaptationOptions({ enabled: true });

function inputs(partial: Partial<ThresholdInputs> = {}): ThresholdInputs {
  return {
    windows: windows(0, 6_000),
    current: { failureThreshold: 10, breakDurationMs: 30_000 },
    breakerMode: 'count',
    circuitState: 'closed',
    recovery: { count: 0, emaMs: undefined },
    queued: 0,
    state: INITIAL_ADAPTIVE_STATE,
    ...partial,
  };
}

function options(partial: Partial<AdaptationOptions> = {}): AdaptationOptions {
  return resolveAdaptationOptions(partial, 'adaptation', ON);
}

describe('computeOptimalThresholds', () => {
  describe('failure threshold', () => {
    it('raises it when the error rate stays below 1 %', () => {
      const r = computeOptimalThresholds(inputs({ windows: windows(0.005, 6_000) }), ON);
      expect(r.values.failureThreshold).toBe(13); // ceil(10 × 1.25)
      expect(r.reasons.join('\n')).toMatch(/failureThreshold 10 → 13: error rate 0\.50% < 1\.00% over 5 min/);
    });

    it('lowers it when the error rate rises above 5 %', () => {
      const r = computeOptimalThresholds(inputs({ windows: windows(0.2, 6_000) }), ON);
      expect(r.values.failureThreshold).toBe(5); // floor(10 × 0.5)
      expect(r.reasons.join('\n')).toMatch(/error rate 20\.00% > 5\.00% over 1 min/);
    });

    it('keeps it between the two rates and without enough calls', () => {
      expect(computeOptimalThresholds(inputs({ windows: windows(0.03, 6_000) }), ON).values.failureThreshold).toBe(10);
      expect(computeOptimalThresholds(inputs({ windows: windows(0, 2) }), ON).values.failureThreshold).toBe(10);
      expect(computeOptimalThresholds(inputs({ windows: windows(0.5, 2) }), ON).values.failureThreshold).toBe(10);
    });

    it('moves by at least one step even when the factor rounds to nothing', () => {
      const o = options({ thresholdIncreaseFactor: 1.01, thresholdDecreaseFactor: 0.99 });
      expect(computeOptimalThresholds(inputs({ current: { failureThreshold: 4 } }), o).values.failureThreshold).toBe(5);
      expect(
        computeOptimalThresholds(inputs({ current: { failureThreshold: 4 }, windows: windows(0.5, 6_000) }), o).values
          .failureThreshold,
      ).toBe(3);
    });

    it('clamps each step to [minFailureThreshold, maxFailureThreshold]; a value outside is moved only by a step of its rule', () => {
      expect(computeOptimalThresholds(inputs({ current: { failureThreshold: 19 } }), ON).values.failureThreshold).toBe(
        20,
      );
      expect(
        computeOptimalThresholds(inputs({ current: { failureThreshold: 3 }, windows: windows(0.5, 6_000) }), ON).values
          .failureThreshold,
      ).toBe(2);
      // Within the error band nothing steps: a configured 100 (above the max) is kept.
      const held = computeOptimalThresholds(
        inputs({ current: { failureThreshold: 100 }, windows: windows(0.03, 6_000) }),
        ON,
      );
      expect(held.values.failureThreshold).toBe(100);
      // A cut from it lands inside the bounds.
      const cut = computeOptimalThresholds(
        inputs({ current: { failureThreshold: 100 }, windows: windows(0.5, 6_000) }),
        ON,
      );
      expect(cut.values.failureThreshold).toBe(20);
      expect(cut.reasons.join('\n')).toMatch(/clamped to \[2, 20\]/);
      // A value below the min is not lowered further by a cut.
      expect(
        computeOptimalThresholds(inputs({ current: { failureThreshold: 1 }, windows: windows(0.5, 6_000) }), ON).values
          .failureThreshold,
      ).toBe(1);
    });

    it('does not touch it in rate mode, nor when its rule is off or the strategy has no breaker', () => {
      expect(computeOptimalThresholds(inputs({ breakerMode: 'rate' }), ON).values.failureThreshold).toBeUndefined();
      expect(
        computeOptimalThresholds(inputs(), options({ adaptFailureThreshold: false })).values.failureThreshold,
      ).toBeUndefined();
      expect(computeOptimalThresholds(inputs({ current: {} }), ON).values).toEqual({});
    });
  });

  describe('break duration (reset timeout)', () => {
    it('recommends none (the configured one stays) until a recovery was observed', () => {
      const r = computeOptimalThresholds(inputs(), ON);
      expect(r.values.breakDurationMs).toBeUndefined();
      expect(r.reasons.join('\n')).toMatch(/no recovery observed yet/);
    });

    it('follows the observed recovery time × recoveryTimeoutFactor', () => {
      const r = computeOptimalThresholds(inputs({ recovery: { count: 3, emaMs: 12_000 } }), ON);
      expect(r.values.breakDurationMs).toBe(3_000);
      expect(
        computeOptimalThresholds(
          inputs({ recovery: { count: 1, emaMs: 200_000 } }),
          options({ recoveryTimeoutFactor: 0.5 }),
        ).values.breakDurationMs,
      ).toBe(100_000);
    });

    it('clamps it to [minBreakDurationMs, maxBreakDurationMs]', () => {
      expect(computeOptimalThresholds(inputs({ recovery: { count: 1, emaMs: 100 } }), ON).values.breakDurationMs).toBe(
        1_000,
      );
      expect(
        computeOptimalThresholds(inputs({ recovery: { count: 1, emaMs: 10_000_000 } }), ON).values.breakDurationMs,
      ).toBe(120_000);
      // Without a recovery there is nothing to clamp: a configured 600 s is left alone.
      expect(
        computeOptimalThresholds(inputs({ current: { breakDurationMs: 600_000 } }), ON).values.breakDurationMs,
      ).toBeUndefined();
    });
  });

  describe('concurrency (gradient)', () => {
    const latency = (p99Ms: number, p50Ms: number, p99MinMs = 250, p50MinMs = 100): Partial<WindowStats> => ({
      p99Ms,
      p50Ms,
      p99MinMs,
      p50MinMs,
    });

    it('cuts the limit towards what the downstream sustains when demand presses on it and p99 exceeds the tolerance, at most ×minGradient a step', () => {
      // A queue of ~500 ms: p99 250 → 750, p50 100 → 600. Gradient 0.5; 74 calls/s × 100 ms × 1.5 ≈ 11 sustained.
      const w = windows(0, 74 * 60, { ...latency(750, 600), rejectedBulkhead: 100 });
      const r = computeOptimalThresholds(
        inputs({
          windows: w,
          current: { maxConcurrency: 64 },
          configuredMaxConcurrency: 64,
          state: { latencyEmaMs: 750, limit: undefined },
        }),
        ON,
      );
      expect(r.values.maxConcurrency).toBe(32);
      const floor = computeOptimalThresholds(
        inputs({
          windows: w,
          current: { maxConcurrency: 16 },
          configuredMaxConcurrency: 64,
          state: { latencyEmaMs: 750, limit: 16 },
        }),
        ON,
      );
      expect(floor.values.maxConcurrency).toBe(11);
      expect(floor.reasons.join('\n')).toMatch(/demand presses on the limit .*gradient 0\.50; sustains ≈ 11\.1/);
      // The same latency without pressure on the limit (no rejection, no queue, in flight < 0.5 × 64) cuts nothing.
      const unpressed = computeOptimalThresholds(
        inputs({
          windows: windows(0, 20 * 60, latency(750, 600)), // 20 calls/s × 600 ms = 12 in flight
          current: { maxConcurrency: 64 },
          configuredMaxConcurrency: 64,
          state: { latencyEmaMs: 750, limit: 64, baselineMs: 250, baselineP50Ms: 100 },
        }),
        ON,
      );
      // No cut: the rise is adopted as the new baseline, and only demand tracking moves the
      // limit, halfway towards 12 / 0.5 = 24 in flight.
      expect(unpressed.values.maxConcurrency).toBe(44);
      expect(unpressed.state.baselineMs).toBe(750);
    });

    it('takes a p99 rise at once and smooths a fall with the EMA', () => {
      const at = (reading: number, ema: number) =>
        computeOptimalThresholds(
          inputs({
            windows: windows(0, 74 * 60, latency(reading, 100)),
            current: { maxConcurrency: 64 },
            configuredMaxConcurrency: 64,
            state: { latencyEmaMs: ema, limit: 64 },
          }),
          ON,
        ).state.latencyEmaMs;
      expect(at(750, 250)).toBe(750);
      expect(at(250, 750)).toBe(500);
    });

    it('grows by up to sqrt(limit) while latency is healthy and the limit holds calls back', () => {
      const w = windows(0, 6_000, { ...latency(250, 100), rejectedBulkhead: 5 });
      const r = computeOptimalThresholds(
        inputs({
          windows: w,
          current: { maxConcurrency: 16 },
          configuredMaxConcurrency: 64,
          state: { latencyEmaMs: 250, limit: 16 },
        }),
        ON,
      );
      expect(r.values.maxConcurrency).toBe(20);
      // Closer to the tolerance, the step shrinks (never below 1).
      const near = computeOptimalThresholds(
        inputs({
          windows: windows(0, 6_000, { ...latency(370, 100), rejectedBulkhead: 5 }),
          current: { maxConcurrency: 16 },
          configuredMaxConcurrency: 64,
          state: { latencyEmaMs: 370, limit: 16 },
        }),
        ON,
      );
      expect(near.values.maxConcurrency).toBe(17);
    });

    it('holds when demand is below the limit, and decays towards demand when far above it', () => {
      // 100 calls/s × 100 ms ≈ 10 in flight: limit 24 is within 1.25 × (10 / 0.5) → held.
      const w = windows(0, 6_000, latency(250, 100));
      const held = computeOptimalThresholds(
        inputs({
          windows: w,
          current: { maxConcurrency: 24 },
          configuredMaxConcurrency: 64,
          state: { latencyEmaMs: 250, limit: 24 },
        }),
        ON,
      );
      expect(held.values.maxConcurrency).toBe(24);
      const decayed = computeOptimalThresholds(
        inputs({
          windows: w,
          current: { maxConcurrency: 64 },
          configuredMaxConcurrency: 64,
          state: { latencyEmaMs: 250, limit: 64 },
        }),
        ON,
      );
      expect(decayed.values.maxConcurrency).toBe(43); // halfway to the floor: ceil(64 / 3) = 22 > 10 / 0.5
      const noFloor = computeOptimalThresholds(
        inputs({
          windows: w,
          current: { maxConcurrency: 64 },
          configuredMaxConcurrency: 64,
          state: { latencyEmaMs: 250, limit: 64 },
        }),
        options({ trackDemandFloor: 0 }),
      );
      expect(noFloor.values.maxConcurrency).toBe(42); // halfway to 10 / 0.5 = 20
      const off = computeOptimalThresholds(
        inputs({
          windows: w,
          current: { maxConcurrency: 64 },
          configuredMaxConcurrency: 64,
          state: { latencyEmaMs: 250, limit: 64 },
        }),
        options({ trackDemand: false }),
      );
      expect(off.values.maxConcurrency).toBe(64);
    });

    it('holds while the circuit is not closed or there is no latency reading', () => {
      const w = windows(0, 6_000, latency(2_000, 1_000));
      const open = computeOptimalThresholds(
        inputs({
          windows: w,
          circuitState: 'open',
          current: { maxConcurrency: 20 },
          configuredMaxConcurrency: 64,
          state: { latencyEmaMs: 250, limit: 20 },
        }),
        ON,
      );
      expect(open.values.maxConcurrency).toBe(20);
      expect(open.state.latencyEmaMs).toBe(250);
      const quiet = computeOptimalThresholds(
        inputs({ windows: windows(0, 0), current: { maxConcurrency: 20 }, configuredMaxConcurrency: 64 }),
        ON,
      );
      expect(quiet.values.maxConcurrency).toBe(20);
      expect(quiet.reasons.join('\n')).toMatch(/no latency over 1 min/);
    });

    it('keeps the limit within [minConcurrency, min(maxConcurrency, configured limit)]', () => {
      const fast = windows(0, 6_000, { ...latency(250, 100), rejectedBulkhead: 1 });
      expect(
        computeOptimalThresholds(
          inputs({
            windows: fast,
            current: { maxConcurrency: 30 },
            configuredMaxConcurrency: 32,
            state: { latencyEmaMs: 250, limit: 30 },
          }),
          ON,
        ).values.maxConcurrency,
      ).toBe(32);
      expect(
        computeOptimalThresholds(
          inputs({
            windows: fast,
            current: { maxConcurrency: 30 },
            configuredMaxConcurrency: 64,
            state: { latencyEmaMs: 250, limit: 30 },
          }),
          options({ maxConcurrency: 31 }),
        ).values.maxConcurrency,
      ).toBe(31);
      const slow = windows(0, 60, latency(5_000, 4_000));
      expect(
        computeOptimalThresholds(
          inputs({
            windows: slow,
            current: { maxConcurrency: 6 },
            configuredMaxConcurrency: 64,
            state: { latencyEmaMs: 5_000, limit: 6 },
          }),
          options({ minConcurrency: 4 }),
        ).values.maxConcurrency,
      ).toBe(4);
    });
  });

  describe("concurrency (the plan's trend rule)", () => {
    const trend = options({ concurrencyMode: 'trend' });
    const run = (before: number, reading: number) =>
      computeOptimalThresholds(
        inputs({
          windows: windows(0, 6_000, { p99Ms: reading, p50Ms: reading / 2 }),
          current: { maxConcurrency: 20 },
          configuredMaxConcurrency: 64,
          state: { latencyEmaMs: before, limit: 20 },
        }),
        trend,
      );

    it('increases the limit when p99 falls, decreases it when p99 rises, keeps it when steady', () => {
      expect(run(300, 200).values.maxConcurrency).toBe(24); // EMA 250 < 300 × 0.9
      expect(run(300, 400).values.maxConcurrency).toBe(16); // EMA 350 > 300 × 1.1
      expect(run(300, 320).values.maxConcurrency).toBe(20);
    });

    it('only records the first reading', () => {
      const r = computeOptimalThresholds(
        inputs({
          windows: windows(0, 6_000, { p99Ms: 300 }),
          current: { maxConcurrency: 20 },
          configuredMaxConcurrency: 64,
        }),
        trend,
      );
      expect(r.values.maxConcurrency).toBe(20);
      expect(r.state.latencyEmaMs).toBe(300);
    });
  });

  it('is pure: the same inputs give the same result and are not modified', () => {
    const i = inputs({
      windows: windows(0.2, 6_000, { p99Ms: 900, p50Ms: 300, p99MinMs: 250, p50MinMs: 100 }),
      current: { failureThreshold: 10, breakDurationMs: 30_000, maxConcurrency: 40 },
      configuredMaxConcurrency: 64,
      recovery: { count: 2, emaMs: 8_000 },
    });
    const copy = structuredClone(i);
    expect(computeOptimalThresholds(i, ON)).toEqual(computeOptimalThresholds(i, ON));
    expect(i).toEqual(copy);
  });

  it('always recommends values within their bounds', () => {
    fc.assert(
      fc.property(
        fc.record({
          errorRate: fc.double({ min: 0, max: 1, noNaN: true }),
          perMinute: fc.integer({ min: 0, max: 100_000 }),
          p99: fc.double({ min: 0.1, max: 60_000, noNaN: true }),
          p99Min: fc.double({ min: 0.1, max: 60_000, noNaN: true }),
          threshold: fc.integer({ min: 1, max: 1000 }),
          limit: fc.integer({ min: 1, max: 1000 }),
          configured: fc.integer({ min: 1, max: 1000 }),
          recovery: fc.option(fc.double({ min: 0, max: 1e7, noNaN: true })),
          mode: fc.constantFrom('gradient' as const, 'trend' as const),
          circuit: fc.constantFrom('closed' as const, 'open' as const, 'half-open' as const),
          rejected: fc.integer({ min: 0, max: 10 }),
        }),
        (c) => {
          const o = options({ concurrencyMode: c.mode, minConcurrency: 2, maxConcurrency: 500 });
          const w = windows(c.errorRate, c.perMinute, {
            p99Ms: c.p99,
            p50Ms: c.p99 / 2,
            p99MinMs: c.p99Min,
            p50MinMs: c.p99Min / 2,
            rejectedBulkhead: c.rejected,
          });
          const r = computeOptimalThresholds(
            inputs({
              windows: w,
              current: {
                failureThreshold: c.threshold,
                breakDurationMs: 30_000,
                maxConcurrency: Math.min(c.limit, c.configured),
              },
              configuredMaxConcurrency: c.configured,
              circuitState: c.circuit,
              recovery: c.recovery === null ? { count: 0, emaMs: undefined } : { count: 1, emaMs: c.recovery },
              state: { latencyEmaMs: c.p99 * 0.8, limit: c.limit },
            }),
            o,
          );
          const { failureThreshold, breakDurationMs, maxConcurrency } = r.values;
          // A threshold outside the bounds may be kept as it is; anything else lies within them.
          if (
            failureThreshold !== c.threshold ||
            (c.threshold >= o.minFailureThreshold && c.threshold <= o.maxFailureThreshold)
          ) {
            expect(failureThreshold).toBeGreaterThanOrEqual(o.minFailureThreshold);
            expect(failureThreshold).toBeLessThanOrEqual(o.maxFailureThreshold);
          }
          if (c.recovery === null) expect(breakDurationMs).toBeUndefined();
          else {
            expect(breakDurationMs).toBeGreaterThanOrEqual(o.minBreakDurationMs);
            expect(breakDurationMs).toBeLessThanOrEqual(o.maxBreakDurationMs);
          }
          expect(Number.isInteger(maxConcurrency)).toBe(true);
          expect(maxConcurrency).toBeGreaterThanOrEqual(Math.min(2, c.configured, 500));
          expect(maxConcurrency).toBeLessThanOrEqual(Math.min(500, c.configured));
        },
      ),
    );
  });
});

describe('AdaptiveResilienceThresholds', () => {
  it('is decorated for SDK 6.0.0 and binds resolved options', () => {
    expect(getSdkCompatibility(AdaptiveResilienceThresholds)?.sdkVersion).toBe('6.0.0');
    const t = new AdaptiveResilienceThresholds({ enabled: true, maxFailureThreshold: 50 });
    expect(t.options.maxFailureThreshold).toBe(50);
    expect(t.computeOptimalThresholds(inputs({ current: { failureThreshold: 45 } })).values.failureThreshold).toBe(50);
    expect(() => new AdaptiveResilienceThresholds({ emaAlpha: 2 })).toThrow(/adaptation\.emaAlpha/);
  });
});
