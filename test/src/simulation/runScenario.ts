import {
  SeededRandom,
  VirtualClock,
  isBulkheadRejectedError,
  isCircuitOpenError,
  isResilienceTimeoutError,
} from '@datawarehouse/sdk';
import type { CircuitState } from '@datawarehouse/sdk';
import { ResilienceScalingManager, StrategyRegistry } from '@datawarehouse/plugin-ultimate-resilience';
import type { AdaptationEvent, StrategyDefinition } from '@datawarehouse/plugin-ultimate-resilience';
import { DownstreamModel } from './DownstreamModel.js';
import type { CallDemand } from './DownstreamModel.js';
import type { Phase, Scenario, Variant } from './scenarios.js';
import { drawServiceMs, mix } from './serviceTime.js';
import { Tally } from './tally.js';
import type { PhaseResult } from './tally.js';

export type { PhaseResult } from './tally.js';

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
  /** Circuit openings (closed → open) per phase. */
  readonly phaseTrips: readonly number[];
  readonly total: PhaseResult;
  readonly outages: readonly OutageResult[];
  /** Times the circuit opened while the downstream was healthy (up and not degraded). */
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
export function strategyFor(variant: Variant, scenario?: Scenario): StrategyDefinition {
  const queue = scenario?.queue ?? { maxQueueSize: 20, queueTimeoutMs: 100 };
  return {
    id: STRATEGY_ID,
    circuitBreaker: {
      mode: 'count',
      failureThreshold: variant.failureThreshold ?? 10,
      samplingWindowMs: 10_000,
      breakDurationMs: variant.breakDurationMs ?? 30_000,
    },
    bulkhead: {
      maxQueueSize: queue.maxQueueSize,
      queueTimeoutMs: queue.queueTimeoutMs,
      ...(variant.maxConcurrency !== undefined && { maxConcurrency: variant.maxConcurrency }),
    },
    retry: false,
    timeout: { attemptTimeoutMs: 1_000 },
  };
}

/**
 * Runs one scenario against one variant in virtual time, driving the REAL
 * `ResilienceScalingManager`. Deterministic: the same scenario and variant give the same result,
 * and every variant sees the same arrivals and per-call draws.
 */
export async function runScenario(
  scenario: Scenario,
  variant: Variant,
  metricsWindowMs?: number,
  onAdapted?: (event: AdaptationEvent) => void,
): Promise<RunResult> {
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
    registry: new StrategyRegistry([strategyFor(variant, scenario)]),
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
  manager.events.on('adapted', (_id, event) => {
    adaptations++;
    onAdapted?.(event);
  });

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

  // One logical call: the caller's own retries (if the scenario has them) re-issue it after a
  // delay; its outcome and end-to-end latency count for the phase it arrived in. Retries draw
  // their service time from a hash of (call, attempt), so the draws of every first attempt stay
  // the same whatever the variant did to earlier calls.
  const retries = scenario.callerRetries;
  let callNo = 0;
  const issue = (demand: CallDemand): void => {
    const phaseIndex = scenario.phases.indexOf(current);
    const tally = tallies[phaseIndex]!;
    const series = bucket;
    const start = clock.now();
    const steady = start >= current.startMs + SETTLE_MS;
    const id = callNo++;
    tally.offered++;
    const attempt = (k: number, d: CallDemand): void => {
      tally.attempts++;
      manager
        .executeWithResilience(STRATEGY_ID, () => downstream.call(d))
        .then(
          () => {
            const ms = clock.now() - start;
            tally.successes++;
            tally.latencies.push(ms);
            if (steady) tally.steady.push(ms);
            series.successes++;
            series.latencies.push(ms);
          },
          (error: unknown) => {
            if (retries !== undefined && k < retries.attempts) {
              const rng = new SeededRandom(mix(scenario.seed, id, k + 1));
              const phase = scenario.phases[phaseIndex]!;
              const next = {
                serviceMs: drawServiceMs(rng, scenario, phase, start),
                fails: rng.next() < phase.errorRate,
              };
              clock.setTimeout(() => attempt(k + 1, next), retries.delayMs);
              return;
            }
            if (isBulkheadRejectedError(error)) tally.rejectedBulkhead++;
            else if (isCircuitOpenError(error)) tally.rejectedCircuit++;
            else {
              tally.failures++;
              if (isResilienceTimeoutError(error)) tally.timeouts++;
            }
          },
        );
    };
    attempt(0, demand);
  };
  const draw = (): CallDemand => ({
    serviceMs: drawServiceMs(draws, scenario, current, clock.now()),
    fails: draws.next() < current.errorRate,
  });

  // Bursts: extra calls at fixed times, merged into the Poisson arrivals in time order.
  const bursts = scenario.phases
    .filter((p) => p.burst !== undefined)
    .map((p) => ({ atMs: p.startMs + p.burst!.afterMs, calls: p.burst!.calls }));
  let nextBurst = 0;
  let t = 0;
  for (;;) {
    t += (-Math.log(1 - arrivals.next()) * 1000) / scenario.arrivalsPerSecond;
    while (nextBurst < bursts.length && bursts[nextBurst]!.atMs <= Math.min(t, endMs)) {
      const burst = bursts[nextBurst++]!;
      await clock.advanceAsync(burst.atMs - clock.now());
      for (let i = 0; i < burst.calls; i++) issue(draw());
    }
    if (t >= endMs) break;
    // A time-varying rate: thin the arrivals of the bounding rate (one extra draw each).
    if (scenario.rateAt !== undefined && arrivals.next() * scenario.arrivalsPerSecond >= scenario.rateAt(t)) continue;
    await clock.advanceAsync(t - clock.now());
    issue(draw());
  }
  await clock.advanceAsync(endMs - clock.now());
  // Let the calls still in flight settle (they count for the phase they arrived in).
  await clock.advanceAsync(5_000);
  const metrics = manager.getScalingMetrics() as { adaptation?: { errors?: number } };
  manager.dispose();

  const phases = scenario.phases.map((p, i) => tallies[i]!.result(p.label, p.endMs - p.startMs));
  const all = new Tally();
  for (const tally of tallies) all.add(tally);
  const trips = transitions.filter((x) => x.to === 'open' && x.from === 'closed');
  // A false trip: the circuit opening while the downstream is healthy (up and not degraded).
  const unhealthyAt = (ms: number): boolean =>
    scenario.phases.some((p) => !p.healthy && ms >= p.startMs && ms < p.endMs);
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
    phaseTrips: scenario.phases.map((p) => trips.filter((x) => x.atMs >= p.startMs && x.atMs < p.endMs).length),
    total: all.result('total', endMs),
    outages,
    falseTrips: trips.filter((x) => !unhealthyAt(x.atMs)).length,
    falseTripTimesMs: trips.filter((x) => !unhealthyAt(x.atMs)).map((x) => x.atMs),
    trips: trips.length,
    adaptations,
    adaptationErrors: metrics.adaptation?.errors ?? 0,
    ticksWhileOpen,
    ticksThatClosed,
    series,
  };
}
