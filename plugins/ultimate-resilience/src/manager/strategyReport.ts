import { BACKPRESSURE_ORDER } from '@datawarehouse/sdk';
import type { BackpressureState, BulkheadStatistics } from '@datawarehouse/sdk';
import type { PartitionedBulkheadStatistics } from '../bulkhead/PartitionedBulkhead.js';
import type { StrategyRuntime } from '../runtime/StrategyRuntime.js';

/** A strategy that rejected work this recently is `shedding`. @internal */
export const SHEDDING_HOLD_MS = 5_000;
/** Bulkhead utilization from which a strategy is in `warning`. @internal */
export const WARNING_UTILIZATION = 0.8;

/**
 * Backpressure of one strategy: `shedding` while it rejects work (rate limit, full bulkhead or
 * open circuit within the last {@link SHEDDING_HOLD_MS}); `critical` when calls wait in its
 * bulkhead queue; `warning` from {@link WARNING_UTILIZATION} of its concurrency; else `normal`.
 * For a partitioned bulkhead the busiest partition decides.
 * @internal
 */
export function backpressureOf(
  runtime: StrategyRuntime,
  now: number,
  stats = runtime.bulkheadStatistics(),
): BackpressureState {
  if (now - runtime.metrics.lastRejectionAt < SHEDDING_HOLD_MS) return 'shedding';
  if (stats === undefined) return 'normal';
  const { running, queued } = bulkheadLoad(stats);
  if (queued > 0) return 'critical';
  if (running >= stats.maxConcurrency * WARNING_UTILIZATION) return 'warning';
  return 'normal';
}

/**
 * Load of the busiest slot pool: a partitioned bulkhead's limits are per partition, so its
 * load is its busiest partition's, not the sum over partitions.
 */
function bulkheadLoad(stats: BulkheadStatistics): { running: number; queued: number } {
  const partitioned = stats as Partial<PartitionedBulkheadStatistics>;
  if (partitioned.busiestRunning !== undefined && partitioned.busiestQueued !== undefined) {
    return { running: partitioned.busiestRunning, queued: partitioned.busiestQueued };
  }
  return stats;
}

/** The JSON report of one strategy in `getScalingMetrics().strategies`. @internal */
export function strategyMetricsOf(runtime: StrategyRuntime, now: number): Record<string, unknown> {
  const m = runtime.metrics;
  const rates = m.rates(now);
  const latency = m.latency.summary(now);
  const bulkhead = runtime.bulkheadStatistics();
  const load = bulkhead === undefined ? undefined : bulkheadLoad(bulkhead);
  const breaker = runtime.breaker;
  breaker?.refresh();
  return {
    state: breaker?.state ?? 'none',
    backpressure: backpressureOf(runtime, now, bulkhead),
    inFlight: runtime.inFlight,
    running: bulkhead?.running ?? runtime.inFlight,
    maxConcurrency: bulkhead?.maxConcurrency ?? null,
    queued: bulkhead?.queued ?? 0,
    maxQueueSize: bulkhead?.maxQueueSize ?? null,
    utilization: bulkhead === undefined || load === undefined ? null : load.running / bulkhead.maxConcurrency,
    ...(bulkhead !== undefined &&
      'partitions' in bulkhead && { partitions: (bulkhead as PartitionedBulkheadStatistics).partitions }),
    calls: m.calls,
    successes: m.successes,
    failures: m.failures,
    passedThrough: m.passed,
    attempts: m.attempts,
    retries: m.retries,
    timeouts: m.timeouts,
    aborted: m.aborted,
    fallbacks: m.fallbacks,
    retryBudgetExhausted: m.retryBudgetExhausted,
    retrySlotRefused: m.retrySlotRefused,
    abandonedRunning: m.abandonedRunning,
    rejected: {
      circuitOpen: m.rejectedCircuitOpen,
      bulkhead: m.rejectedBulkhead,
      rateLimited: m.rejectedRateLimited,
      ...(bulkhead && {
        bulkheadQueueFull: bulkhead.rejectedQueueFull,
        bulkheadQueueTimeout: bulkhead.rejectedQueueTimeout,
        bulkheadShrunk: bulkhead.rejectedShrunk,
      }),
    },
    window: {
      ms: m.windowMs,
      calls: rates.calls,
      errorRate: rates.errorRate,
      retryRate: rates.retryRate,
      rejections: rates.rejections,
    },
    errorRate: rates.errorRate,
    retryRate: rates.retryRate,
    latencyMs: latency,
    ...(breaker && { circuit: breaker.getStatistics() }),
  };
}

/** The most loaded strategy's backpressure: one saturated bulkhead is not averaged away. @internal */
export function worstBackpressure(runtimes: Iterable<StrategyRuntime>, now: number): BackpressureState {
  let worst = 0;
  for (const runtime of runtimes) {
    const level = BACKPRESSURE_ORDER.indexOf(backpressureOf(runtime, now));
    if (level > worst) worst = level;
    if (worst === BACKPRESSURE_ORDER.length - 1) break;
  }
  return BACKPRESSURE_ORDER[worst]!;
}

/**
 * The per-strategy part of `getScalingMetrics()`: each strategy's report, the count of
 * circuits per state, totals over all strategies, and the worst backpressure.
 * @internal
 */
export function runtimesReportOf(
  runtimes: ReadonlyMap<string, StrategyRuntime>,
  now: number,
): {
  backpressure: BackpressureState;
  circuitBreakers: { count: number; closed: number; open: number; halfOpen: number; isolated: number };
  totals: Record<
    | 'calls'
    | 'successes'
    | 'failures'
    | 'retries'
    | 'timeouts'
    | 'rejectedCircuitOpen'
    | 'rejectedBulkhead'
    | 'rejectedRateLimited',
    number
  >;
  strategies: Record<string, unknown>;
} {
  const strategies: Record<string, unknown> = {};
  const circuits = { count: 0, closed: 0, open: 0, halfOpen: 0, isolated: 0 };
  const totals = {
    calls: 0,
    successes: 0,
    failures: 0,
    retries: 0,
    timeouts: 0,
    rejectedCircuitOpen: 0,
    rejectedBulkhead: 0,
    rejectedRateLimited: 0,
  };
  for (const [id, runtime] of runtimes) {
    strategies[id] = strategyMetricsOf(runtime, now);
    if (runtime.breaker !== undefined) {
      circuits.count++;
      const state = runtime.breaker.state;
      if (state === 'closed') circuits.closed++;
      else if (state === 'open') circuits.open++;
      else if (state === 'half-open') circuits.halfOpen++;
      else circuits.isolated++;
    }
    const m = runtime.metrics;
    totals.calls += m.calls;
    totals.successes += m.successes;
    totals.failures += m.failures;
    totals.retries += m.retries;
    totals.timeouts += m.timeouts;
    totals.rejectedCircuitOpen += m.rejectedCircuitOpen;
    totals.rejectedBulkhead += m.rejectedBulkhead;
    totals.rejectedRateLimited += m.rejectedRateLimited;
  }
  return { backpressure: worstBackpressure(runtimes.values(), now), circuitBreakers: circuits, totals, strategies };
}
