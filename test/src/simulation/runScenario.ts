import {
  SeededRandom,
  VirtualClock,
  isBulkheadRejectedError,
  isCircuitOpenError,
  isResilienceTimeoutError,
} from '@datawarehouse/sdk';
import type { CircuitState } from '@datawarehouse/sdk';
import { ResilienceScalingManager, StrategyRegistry } from '@datawarehouse/plugin-ultimate-resilience';
import type { StrategyDefinition } from '@datawarehouse/plugin-ultimate-resilience';
import { DownstreamModel } from './DownstreamModel.js';
import type { CallDemand } from './DownstreamModel.js';
import type { Phase, Scenario, Variant } from './scenarios.js';

/** Outcomes of the calls that arrived during one phase. */
export interface PhaseResult {
  readonly label: string;
  readonly durationMs: number;
  readonly offered: number;
  readonly successes: number;
  readonly failures: number;
  readonly timeouts: number;
  readonly rejectedBulkhead: number;
  readonly rejectedCircuit: number;
  /** Successful calls per second. */
  readonly goodput: number;
  /** End-to-end latency of successful calls (bulkhead wait included), ms. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** p99 of the calls that arrived at least {@link SETTLE_MS} after the phase began (after adapting). */
  readonly steadyP99Ms: number;
}

/** How the breaker handled one outage phase. */
export interface OutageResult {
  readonly label: string;
  /** From the outage's start to the circuit opening (`null`: it never opened). */
  readonly tripAfterMs: number | null;
  /** From the outage's end to the circuit closing again (0 when it was closed then). */
  readonly recoverAfterMs: number | null;
}

/** One point of the time series (every `SERIES_MS`). */
export interface SeriesPoint {
  readonly tMs: number;
  readonly limit: number;
  readonly p99Ms: number;
  readonly goodput: number;
  readonly failureThreshold: number;
  readonly breakDurationMs: number;
  readonly state: CircuitState;
}

export interface RunResult {
  readonly scenario: string;
  readonly variant: string;
  readonly phases: readonly PhaseResult[];
  readonly total: PhaseResult;
  readonly outages: readonly OutageResult[];
  /** Times the circuit opened while the downstream was up. */
  readonly falseTrips: number;
  /** When those false trips happened, ms from the start. */
  readonly falseTripTimesMs: readonly number[];
  readonly trips: number;
  readonly adaptations: number;
  readonly adaptationErrors: number;
  /** Checks of "an open circuit stays open across adaptation ticks": ticks seen while open, and how many closed it. */
  readonly ticksWhileOpen: number;
  readonly ticksThatClosed: number;
  readonly series: readonly SeriesPoint[];
}

const STRATEGY_ID = 'downstream';
/** Time after a phase change that `steadyP99Ms` leaves out, ms. */
export const SETTLE_MS = 60_000;
/** Period of the time series, ms. */
export const SERIES_MS = 10_000;

/**
 * The strategy every variant runs (only the static settings and adaptation differ): a count
 * breaker (10 failures within 10 s, 30 s break), a bulkhead with a short queue (20 calls,
 * 100 ms) so overload is shed rather than queued for seconds, no retry, 1 s attempt timeout.
 */
export function strategyFor(variant: Variant): StrategyDefinition {
  return {
    id: STRATEGY_ID,
    circuitBreaker: {
      mode: 'count',
      failureThreshold: variant.failureThreshold ?? 10,
      samplingWindowMs: 10_000,
      breakDurationMs: variant.breakDurationMs ?? 30_000,
    },
    bulkhead: {
      maxQueueSize: 20,
      queueTimeoutMs: 100,
      ...(variant.maxConcurrency !== undefined && { maxConcurrency: variant.maxConcurrency }),
    },
    retry: false,
    timeout: { attemptTimeoutMs: 1_000 },
  };
}

class Tally {
  offered = 0;
  successes = 0;
  failures = 0;
  timeouts = 0;
  rejectedBulkhead = 0;
  rejectedCircuit = 0;
  readonly latencies: number[] = [];
  readonly steady: number[] = [];

  result(label: string, durationMs: number): PhaseResult {
    const sorted = Float64Array.from(this.latencies).sort();
    const steady = Float64Array.from(this.steady).sort();
    return {
      label,
      durationMs,
      offered: this.offered,
      successes: this.successes,
      failures: this.failures,
      timeouts: this.timeouts,
      rejectedBulkhead: this.rejectedBulkhead,
      rejectedCircuit: this.rejectedCircuit,
      goodput: (this.successes * 1000) / durationMs,
      p50Ms: quantile(sorted, 0.5),
      p99Ms: quantile(sorted, 0.99),
      steadyP99Ms: quantile(steady, 0.99),
    };
  }
}

/** Nearest-rank quantile of sorted values (`NaN` when empty). */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Draws a log-normal service time (Box-Muller). */
function logNormal(rng: SeededRandom, median: number, sigma: number): number {
  const u1 = 1 - rng.next();
  const u2 = rng.next();
  return median * Math.exp(sigma * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2));
}

/**
 * Runs one scenario against one variant in virtual time, driving the REAL
 * `ResilienceScalingManager`. Deterministic: the same scenario and variant give the same result,
 * and every variant sees the same arrivals and per-call draws.
 */
export async function runScenario(scenario: Scenario, variant: Variant, metricsWindowMs?: number): Promise<RunResult> {
  const clock = new VirtualClock(0);
  const arrivals = new SeededRandom(scenario.seed);
  const draws = new SeededRandom((scenario.seed * 2_654_435_761) >>> 0);
  const endMs = scenario.phases[scenario.phases.length - 1]!.endMs;
  const first = scenario.phases[0]!;
  const downstream = new DownstreamModel(clock, first.capacity);
  downstream.down = first.down;
  let current: Phase = first;
  for (const phase of scenario.phases.slice(1)) {
    clock.setTimeout(() => {
      current = phase;
      downstream.down = phase.down;
      downstream.setCapacity(phase.capacity);
    }, phase.startMs);
  }

  const manager = new ResilienceScalingManager({
    registry: new StrategyRegistry([strategyFor(variant)]),
    clock,
    random: () => 0.5,
    ...(metricsWindowMs !== undefined && { metricsWindowMs }),
    limits: variant.adaptation === undefined ? {} : { adaptation: variant.adaptation },
  });
  const runtime = manager.runtimeFor(STRATEGY_ID);
  const transitions: { atMs: number; from: CircuitState; to: CircuitState }[] = [];
  manager.events.on('circuitStateChanged', (_id, change) =>
    transitions.push({ atMs: change.timestamp, from: change.previousState, to: change.newState }),
  );
  let adaptations = 0;
  let ticksWhileOpen = 0;
  let ticksThatClosed = 0;
  manager.events.on('adapted', () => adaptations++);

  const tallies = scenario.phases.map(() => new Tally());
  const series: SeriesPoint[] = [];
  let bucket = new Tally();
  const sampleSeries = (): void => {
    const point = bucket.result('', SERIES_MS);
    const breaker = runtime.breakerOptions();
    runtime.breaker?.refresh();
    series.push({
      tMs: clock.now(),
      limit: runtime.bulkheadStatistics()?.maxConcurrency ?? 0,
      p99Ms: point.p99Ms,
      goodput: point.goodput,
      failureThreshold: breaker?.failureThreshold ?? 0,
      breakDurationMs: breaker?.breakDurationMs ?? 0,
      state: runtime.breaker?.state ?? 'closed',
    });
    bucket = new Tally();
    if (clock.now() + SERIES_MS <= endMs) clock.setTimeout(sampleSeries, SERIES_MS);
  };
  clock.setTimeout(sampleSeries, SERIES_MS);

  // Watch the adaptation ticks: sample just before and just after each one.
  const adaptation = (manager.getScalingMetrics().adaptation ?? {}) as { intervalMs?: number; active?: boolean };
  if (adaptation.active === true && adaptation.intervalMs !== undefined) {
    const interval = adaptation.intervalMs;
    const watch = (at: number): void => {
      clock.setTimeout(
        () => {
          runtime.breaker?.refresh();
          const before = runtime.breaker?.state;
          clock.setTimeout(() => {
            if (before === 'open') {
              ticksWhileOpen++;
              runtime.breaker?.refresh();
              if (runtime.breaker?.state === 'closed') ticksThatClosed++;
            }
          }, 2);
          if (at + interval < endMs) watch(at + interval);
        },
        at - 1 - clock.now(),
      );
    };
    watch(interval);
  }

  const settle = (tally: Tally, series: Tally, start: number, steady: boolean) => ({
    ok: () => {
      const ms = clock.now() - start;
      tally.successes++;
      tally.latencies.push(ms);
      if (steady) tally.steady.push(ms);
      series.successes++;
      series.latencies.push(ms);
    },
    fail: (error: unknown) => {
      if (isBulkheadRejectedError(error)) tally.rejectedBulkhead++;
      else if (isCircuitOpenError(error)) tally.rejectedCircuit++;
      else {
        tally.failures++;
        if (isResilienceTimeoutError(error)) tally.timeouts++;
      }
    },
  });

  let t = 0;
  for (;;) {
    t += (-Math.log(1 - arrivals.next()) * 1000) / scenario.arrivalsPerSecond;
    if (t >= endMs) break;
    await clock.advanceAsync(t - clock.now());
    const demand: CallDemand = {
      serviceMs: logNormal(draws, scenario.medianServiceMs, scenario.serviceSigma),
      fails: draws.next() < current.errorRate,
    };
    const tally = tallies[scenario.phases.indexOf(current)]!;
    tally.offered++;
    const s = settle(tally, bucket, clock.now(), clock.now() >= current.startMs + SETTLE_MS);
    manager.executeWithResilience(STRATEGY_ID, () => downstream.call(demand)).then(s.ok, s.fail);
  }
  await clock.advanceAsync(endMs - clock.now());
  // Let the calls still in flight settle (they count for the phase they arrived in).
  await clock.advanceAsync(5_000);
  const metrics = manager.getScalingMetrics() as { adaptation?: { errors?: number } };
  manager.dispose();

  const phases = scenario.phases.map((p, i) => tallies[i]!.result(p.label, p.endMs - p.startMs));
  const all = new Tally();
  for (const tally of tallies) {
    all.offered += tally.offered;
    all.successes += tally.successes;
    all.failures += tally.failures;
    all.timeouts += tally.timeouts;
    all.rejectedBulkhead += tally.rejectedBulkhead;
    all.rejectedCircuit += tally.rejectedCircuit;
    for (const l of tally.latencies) all.latencies.push(l);
    for (const l of tally.steady) all.steady.push(l);
  }
  const trips = transitions.filter((x) => x.to === 'open' && x.from === 'closed');
  const downAt = (ms: number): boolean => scenario.phases.some((p) => p.down && ms >= p.startMs && ms < p.endMs);
  const outages = scenario.phases
    .filter((p) => p.down)
    .map((p): OutageResult => {
      const trip = trips.find((x) => x.atMs >= p.startMs && x.atMs < p.endMs);
      const stateAtEnd = [...transitions].reverse().find((x) => x.atMs <= p.endMs)?.to ?? 'closed';
      const closed = transitions.find((x) => x.atMs >= p.endMs && x.to === 'closed');
      return {
        label: p.label,
        tripAfterMs: trip === undefined ? null : trip.atMs - p.startMs,
        recoverAfterMs: stateAtEnd === 'closed' ? 0 : closed === undefined ? null : closed.atMs - p.endMs,
      };
    });
  return {
    scenario: scenario.name,
    variant: variant.name,
    phases,
    total: all.result('total', endMs),
    outages,
    falseTrips: trips.filter((x) => !downAt(x.atMs)).length,
    falseTripTimesMs: trips.filter((x) => !downAt(x.atMs)).map((x) => x.atMs),
    trips: trips.length,
    adaptations,
    adaptationErrors: metrics.adaptation?.errors ?? 0,
    ticksWhileOpen,
    ticksThatClosed,
    series,
  };
}
