import type { BackpressureState } from '@datawarehouse/sdk';
import type { StrategyRuntime } from './StrategyRuntime.js';

/** A strategy that rejected work this recently is `shedding`. @internal */
export const SHEDDING_HOLD_MS = 5_000;
/** Bulkhead utilization from which a strategy is in `warning`. @internal */
export const WARNING_UTILIZATION = 0.8;

/**
 * Backpressure of one strategy: `shedding` while it rejects work (rate limit, full bulkhead or
 * open circuit within the last {@link SHEDDING_HOLD_MS}); `critical` when calls wait in its
 * bulkhead queue; `warning` from {@link WARNING_UTILIZATION} of its concurrency; else `normal`.
 * @internal
 */
export function backpressureOf(runtime: StrategyRuntime, now: number): BackpressureState {
  if (now - runtime.metrics.lastRejectionAt < SHEDDING_HOLD_MS) return 'shedding';
  const stats = runtime.bulkheadStatistics();
  if (stats === undefined) return 'normal';
  if (stats.queued > 0) return 'critical';
  if (stats.running >= stats.maxConcurrency * WARNING_UTILIZATION) return 'warning';
  return 'normal';
}

/** The JSON report of one strategy in `getScalingMetrics().strategies`. @internal */
export function strategyMetricsOf(runtime: StrategyRuntime, now: number): Record<string, unknown> {
  const m = runtime.metrics;
  const rates = m.rates(now);
  const latency = m.latency.summary(now);
  const bulkhead = runtime.bulkheadStatistics();
  const breaker = runtime.breaker;
  return {
    state: breaker?.state ?? 'none',
    backpressure: backpressureOf(runtime, now),
    inFlight: runtime.inFlight,
    running: bulkhead?.running ?? runtime.inFlight,
    maxConcurrency: bulkhead?.maxConcurrency ?? null,
    queued: bulkhead?.queued ?? 0,
    maxQueueSize: bulkhead?.maxQueueSize ?? null,
    utilization: bulkhead === undefined ? null : bulkhead.running / bulkhead.maxConcurrency,
    calls: m.calls,
    successes: m.successes,
    failures: m.failures,
    attempts: m.attempts,
    retries: m.retries,
    timeouts: m.timeouts,
    aborted: m.aborted,
    fallbacks: m.fallbacks,
    retryBudgetExhausted: m.retryBudgetExhausted,
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
