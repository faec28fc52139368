import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SeededRandom } from '@datawarehouse/sdk';
import { resolveAdaptationOptions } from './AdaptationOptions.js';
import { computeOptimalThresholds, INITIAL_ADAPTIVE_STATE } from './AdaptiveResilienceThresholds.js';
import type { AdaptiveState } from './AdaptiveResilienceThresholds.js';
import type { WindowStats } from './SlidingWindowMetrics.js';

// The two failure shapes of #11, driven through the pure rule in virtual time: a fluid model of
// a downstream (C workers, service time p50 S and p99 2.5 S, FIFO queue) is stepped one
// adaptation interval (30 s) at a time, with the limit the rule recommends; readings carry a
// seeded ±3 % noise. Both tests failed on the rule before #11 (limit drifted to 1-2).

const ON = resolveAdaptationOptions({ enabled: true });
const INTERVAL_S = 30;
const CONFIGURED = 64;

interface World {
  /** Arrivals, calls/s. */
  rate: number;
  /** Median service time, ms. */
  serviceMs: number;
  capacity: number;
}

interface Step {
  readonly limit: number;
  readonly throughput: number;
  readonly rate: number;
}

function stats(ms: number, completed: number, rejected: number, p50: number, p99: number, mins: [number, number]) {
  return {
    windowMs: ms,
    intervals: ms / 10_000,
    coveredMs: ms,
    calls: completed + rejected,
    successes: completed,
    failures: 0,
    timeouts: 0,
    attempts: completed,
    rejectedBulkhead: rejected,
    rejectedCircuitOpen: 0,
    rejectedRateLimited: 0,
    completed,
    errorRate: completed === 0 ? NaN : 0,
    throughputPerSecond: (completed * 1000) / ms,
    p50Ms: p50,
    p99Ms: p99,
    p99MinMs: mins[1],
    p99MaxMs: p99,
    p50MinMs: mins[0],
    maxQueued: 0,
  } satisfies WindowStats;
}

/** Runs the rule against the model for `ticks` intervals; `world(tick)` says what the downstream is then. */
function run(ticks: number, world: (tick: number) => World, seed: number): Step[] {
  const rng = new SeededRandom(seed);
  const noise = () => 1 + (rng.next() - 0.5) * 0.06;
  let state: AdaptiveState = INITIAL_ADAPTIVE_STATE;
  let limit = CONFIGURED;
  const readings: [number, number][] = [];
  const steps: Step[] = [];
  for (let tick = 0; tick < ticks; tick++) {
    const w = world(tick);
    // Fluid model: beyond C workers, calls wait in the downstream's queue.
    const inFlight = Math.min(limit, (w.rate * w.serviceMs) / 1000);
    const saturated = inFlight > w.capacity;
    const running = saturated ? limit : inFlight;
    const waitMs = saturated ? ((running - w.capacity) * w.serviceMs) / w.capacity : 0;
    const throughput = Math.min(w.rate, (running * 1000) / (w.serviceMs + waitMs));
    const rejected = Math.max(0, w.rate - throughput);
    const p50 = (w.serviceMs + waitMs) * noise();
    const p99 = (2.5 * w.serviceMs + waitMs) * noise();
    readings.push([p50, p99]);
    const recent = readings.slice(-30);
    const mins: [number, number] = [Math.min(...recent.map((r) => r[0])), Math.min(...recent.map((r) => r[1]))];
    const short = stats(60_000, throughput * 60, rejected * 60, p50, p99, mins);
    const long = stats(900_000, throughput * 900, rejected * 900, p50, p99, mins);
    const r = computeOptimalThresholds(
      {
        windows: { short, medium: long, long },
        current: { maxConcurrency: Math.round(limit) },
        configuredMaxConcurrency: CONFIGURED,
        circuitState: 'closed',
        recovery: { count: 0, emaMs: undefined },
        queued: 0,
        lastSample: stats(10_000, throughput * 10, rejected * 10, p50, p99, mins),
        state,
      },
      ON,
    );
    steps.push({ limit, throughput, rate: w.rate });
    limit = r.values.maxConcurrency!;
    state = r.state;
  }
  return steps;
}

const goodput = (steps: readonly Step[]) =>
  steps.reduce((a, s) => a + s.throughput, 0) / steps.reduce((a, s) => a + s.rate, 0);

describe('concurrency rule (gradient): the failure shapes of #11', () => {
  it('keeps full goodput when the downstream becomes 10× slower without being overloaded', () => {
    // 20 calls/s; 30 ms → 300 ms after 10 minutes; 64 workers: 0.6 → 6 calls in flight.
    const shiftAt = (10 * 60) / INTERVAL_S;
    const steps = run(50, (t) => ({ rate: 20, serviceMs: t < shiftAt ? 30 : 300, capacity: 64 }), 11);
    const after = steps.slice(shiftAt);
    expect(goodput(after)).toBeGreaterThanOrEqual(0.99);
    // Never below what the demand needs at the new latency (20 × 0.3 = 6 in flight).
    expect(Math.min(...after.map((s) => s.limit))).toBeGreaterThanOrEqual(6);
  });

  it('keeps room for a burst after a quiet spell: the limit never drifts below a third of the configured one', () => {
    // 2 calls/s × 100 ms = 0.2 in flight for 10 minutes.
    const steps = run(20, () => ({ rate: 2, serviceMs: 100, capacity: 64 }), 12);
    const floor = Math.ceil(CONFIGURED / 3);
    expect(Math.min(...steps.map((s) => s.limit))).toBeGreaterThanOrEqual(floor);
    // A burst of 40 at once then finds `floor` free slots and, behind them, a queue of 20 (the #11 scenario).
    expect(floor + 20).toBeGreaterThanOrEqual(40);
  });

  it('property: a latency shift (×2 to ×10) the configured limit can carry costs at most 5 % of goodput, and nothing after 3 minutes, whatever the load', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }), // calls/s
        fc.integer({ min: 5, max: 100 }), // service ms
        fc.integer({ min: 2, max: 10 }), // shift factor
        fc.integer({ min: 1, max: 1_000_000 }), // noise seed
        (rate, serviceMs, factor, seed) => {
          // Only shifts whose new demand fits well within the configured limit (the fixed default serves them all).
          fc.pre((rate * serviceMs * factor) / 1000 <= 0.4 * CONFIGURED);
          const shiftAt = 20;
          const steps = run(
            40,
            (t) => ({ rate, serviceMs: t < shiftAt ? serviceMs : serviceMs * factor, capacity: 1000 }),
            seed,
          );
          // Under pressure a shift first looks like a queue and is cut; once the cuts are seen to
          // cost throughput in proportion (or its shape is confirmed) they are undone, and from
          // then on every interval carries the whole load.
          for (const s of steps.slice(shiftAt + 6)) expect(s.throughput).toBeGreaterThanOrEqual(0.99 * s.rate);
          expect(goodput(steps.slice(shiftAt))).toBeGreaterThanOrEqual(0.95);
        },
      ),
      { seed: 11, numRuns: 300 },
    );
  });

  it('property: under light load the limit never drops below ceil(configured / 3), whatever the latency', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.5, max: 5, noNaN: true }), // calls/s
        fc.integer({ min: 5, max: 500 }), // service ms
        fc.integer({ min: 1, max: 1_000_000 }),
        (rate, serviceMs, seed) => {
          const steps = run(30, () => ({ rate, serviceMs, capacity: 64 }), seed);
          expect(Math.min(...steps.map((s) => s.limit))).toBeGreaterThanOrEqual(Math.ceil(CONFIGURED / 3));
        },
      ),
      { seed: 12, numRuns: 200 },
    );
  });

  it('still cuts towards the knee when the capacity really halves under load (the shape it must keep)', () => {
    // 100 calls/s × 100 ms against 16 → 8 workers (135 % load).
    const steps = run(40, (t) => ({ rate: 100, serviceMs: 100, capacity: t < 20 ? 16 : 8 }), 13);
    const settled = steps.slice(22);
    // Knee: 8 workers. The rule keeps p99 near latencyTolerance × its baseline (queue wait
    // (limit - 8) × 100 / 8 ms on a 250 ms p99): never below the knee, never past 2× the unloaded p99 (limit 28).
    expect(Math.max(...settled.map((s) => s.limit))).toBeLessThanOrEqual(28);
    expect(Math.min(...settled.map((s) => s.limit))).toBeGreaterThanOrEqual(8);
    // The fixed default (64) would hold 56 calls in the downstream's queue: 700 ms of wait.
  });
});
