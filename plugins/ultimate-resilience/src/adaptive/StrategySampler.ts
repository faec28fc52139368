import { SdkCompatibility } from '@datawarehouse/sdk';
import type { AdaptiveTarget } from './AdaptiveTarget.js';
import { SlidingWindowMetrics } from './SlidingWindowMetrics.js';
import type { WindowStats } from './SlidingWindowMetrics.js';

// Cumulative counters read from StrategyMetrics, in this order.
const COUNTERS = [
  'calls',
  'successes',
  'failures',
  'timeouts',
  'attempts',
  'rejectedBulkhead',
  'rejectedCircuitOpen',
  'rejectedRateLimited',
] as const;
const P50_P99: readonly number[] = Object.freeze([0.5, 0.99]);

/**
 * Turns one runtime's cumulative counters into per-interval samples: each `sample` records the
 * deltas since the previous one (and the latency and queue readings) in a
 * {@link SlidingWindowMetrics}. Reads only what the call path already maintains.
 * @internal
 */
@SdkCompatibility('6.0.0')
export class StrategySampler {
  private readonly last = new Float64Array(COUNTERS.length);
  private readonly delta = new Float64Array(COUNTERS.length);
  windows: SlidingWindowMetrics;

  /**
   * @param fromZero - count everything the runtime did so far in the first sample (a new
   *   runtime); otherwise start from its counters now (adaptation enabled on a running one).
   */
  constructor(
    readonly runtime: AdaptiveTarget,
    intervalMs: number,
    longestWindowMs: number,
    fromZero: boolean,
  ) {
    this.windows = new SlidingWindowMetrics(intervalMs, Math.ceil(longestWindowMs / intervalMs));
    if (!fromZero) COUNTERS.forEach((name, i) => (this.last[i] = runtime.metrics[name]));
  }

  /** Starts new (empty) windows with another layout; the counters carry on. */
  relayout(intervalMs: number, longestWindowMs: number): void {
    this.windows = new SlidingWindowMetrics(intervalMs, Math.ceil(longestWindowMs / intervalMs));
  }

  /**
   * Records the interval ending at `nowMs`. The latency reading is left out while the
   * downstream fails fast (non-timeout failures above `fastFailureRate`) or the circuit is open:
   * 2 ms "connection refused" latencies say nothing about its no-load latency and would drag the
   * baseline down for the whole long window. Timeouts stay in: they are the overload signal.
   */
  sample(nowMs: number, fastFailureRate: number): void {
    const m = this.runtime.metrics;
    const d = this.delta;
    COUNTERS.forEach((name, i) => {
      const value = m[name];
      d[i] = value - this.last[i]!;
      this.last[i] = value;
    });
    const completed = d[1]! + d[2]!;
    const fastFailures = d[2]! - d[3]!;
    this.runtime.breaker?.refresh();
    const representative =
      this.runtime.breaker?.state !== 'open' && !(completed > 0 && fastFailures / completed > fastFailureRate);
    const [p50, p99] = representative ? (m.latency.percentiles(nowMs, P50_P99) as [number, number]) : [NaN, NaN];
    this.windows.record(nowMs, {
      calls: d[0]!,
      successes: d[1]!,
      failures: d[2]!,
      timeouts: d[3]!,
      attempts: d[4]!,
      rejectedBulkhead: d[5]!,
      rejectedCircuitOpen: d[6]!,
      rejectedRateLimited: d[7]!,
      p50Ms: p50,
      p99Ms: p99,
      queued: this.runtime.bulkheadStatistics()?.queued ?? 0,
    });
  }

  /**
   * The short, medium and long windows ending at `nowMs`; intervals with fewer than
   * `minCalls` completed calls are left out of the lowest-latency readings (the baseline).
   */
  windowsAt(
    nowMs: number,
    shortMs: number,
    mediumMs: number,
    longMs: number,
    minCalls = 0,
  ): { short: WindowStats; medium: WindowStats; long: WindowStats } {
    const w = this.windows;
    return {
      short: w.window(shortMs, nowMs, minCalls),
      medium: w.window(mediumMs, nowMs, minCalls),
      long: w.window(longMs, nowMs, minCalls),
    };
  }
}
