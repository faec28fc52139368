import { SdkCompatibility } from '@datawarehouse/sdk';
import type { CircuitBreakerMode, CircuitState } from '@datawarehouse/sdk';
import { resolveAdaptationOptions } from './AdaptationOptions.js';
import type { AdaptationOptions } from './AdaptationOptions.js';
import { emaStep } from './Ema.js';
import type { WindowStats } from './SlidingWindowMetrics.js';

/** The values adaptation sets; a field is absent when the strategy lacks that section or its rule is off. @since 6.0.0 */
export interface ThresholdValues {
  readonly failureThreshold?: number;
  readonly breakDurationMs?: number;
  readonly maxConcurrency?: number;
}

/** What the rules carry from one adaptation to the next. @since 6.0.0 */
export interface AdaptiveState {
  /** EMA of the short window's p99 reading, ms. */
  readonly latencyEmaMs: number | undefined;
  /** The adaptive limit before rounding (so small steps accumulate). */
  readonly limit: number | undefined;
}

/** The empty state of a strategy that has not adapted yet. @since 6.0.0 */
export const INITIAL_ADAPTIVE_STATE: AdaptiveState = Object.freeze({ latencyEmaMs: undefined, limit: undefined });

/** Everything {@link computeOptimalThresholds} looks at. @since 6.0.0 */
export interface ThresholdInputs {
  /** The short, medium and long windows (1, 5 and 15 minutes by default). */
  readonly windows: { readonly short: WindowStats; readonly medium: WindowStats; readonly long: WindowStats };
  /** The values in force now (absent for a section the strategy does not have). */
  readonly current: ThresholdValues;
  /** The configured bulkhead limit, which also caps the adaptive one. */
  readonly configuredMaxConcurrency?: number;
  readonly breakerMode?: CircuitBreakerMode;
  /** State of the circuit now (`closed` when the strategy has no breaker). */
  readonly circuitState: CircuitState;
  /** Observed recoveries (open → closed) of this strategy's circuit: how many, and the EMA of their duration. */
  readonly recovery: { readonly count: number; readonly emaMs: number | undefined };
  /** Calls waiting in the bulkhead now. */
  readonly queued: number;
  readonly state: AdaptiveState;
}

/** Result of {@link computeOptimalThresholds}. @since 6.0.0 */
export interface ThresholdRecommendation {
  /** Recommended values, clamped to the configured bounds. */
  readonly values: ThresholdValues;
  /** One line per rule: what it saw and what it decided. */
  readonly reasons: readonly string[];
  /** State for the next adaptation. */
  readonly state: AdaptiveState;
}

/**
 * Computes a strategy's recommended breaker threshold, break duration and bulkhead limit from
 * its window metrics. Pure: the same inputs always give the same result, nothing is read
 * from or written to the outside (the state for the next call is returned).
 *
 * - failureThreshold (`consecutive` / `count` breakers): short-window error rate above
 *   `highErrorRate` (with `minCalls`) → × `thresholdDecreaseFactor` (at least -1); short and
 *   medium error rates below `lowErrorRate` → × `thresholdIncreaseFactor` (at least +1); else kept.
 * - breakDurationMs: `recoveryTimeoutFactor` × the EMA of observed recovery times, clamped to
 *   its bounds; not recommended at all (absent) until a recovery was observed.
 * - maxConcurrency: see {@link ConcurrencyMode}; held while the circuit is not closed or the
 *   short window has no latency reading.
 * - failureThreshold steps are clamped to `[min, max]FailureThreshold`, never the value a step
 *   starts from: a configured value outside the bounds is not moved against the rule. The
 *   limit is clamped to its bounds (and the configured one). Every result is finite.
 *
 * @example
 * ```ts
 * const { values, reasons, state } = computeOptimalThresholds(inputs, options);
 * ```
 * @since 6.0.0
 */
export function computeOptimalThresholds(inputs: ThresholdInputs, options: AdaptationOptions): ThresholdRecommendation {
  const reasons: string[] = [];
  const values: { failureThreshold?: number; breakDurationMs?: number; maxConcurrency?: number } = {};
  const threshold = recommendFailureThreshold(inputs, options, reasons);
  if (threshold !== undefined) values.failureThreshold = threshold;
  const breakMs = recommendBreakDuration(inputs, options, reasons);
  if (breakMs !== undefined) values.breakDurationMs = breakMs;
  let state = inputs.state;
  if (options.adaptConcurrency && inputs.current.maxConcurrency !== undefined) {
    const result = recommendConcurrency(inputs, options, reasons);
    values.maxConcurrency = result.value;
    state = result.state;
  }
  return { values, reasons, state };
}

/**
 * The adaptation rules with their options bound: the named entry point of the plan.
 * @example
 * ```ts
 * const thresholds = new AdaptiveResilienceThresholds({ enabled: true, maxFailureThreshold: 50 });
 * const recommendation = thresholds.computeOptimalThresholds(inputs);
 * ```
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class AdaptiveResilienceThresholds {
  /** The resolved options. */
  readonly options: AdaptationOptions;

  /** @throws {@link InvalidConfigurationError} naming `adaptation.<field>`. */
  constructor(options: Partial<AdaptationOptions> | AdaptationOptions = {}) {
    this.options = resolveAdaptationOptions(options);
  }

  /** See {@link computeOptimalThresholds}. */
  computeOptimalThresholds(inputs: ThresholdInputs): ThresholdRecommendation {
    return computeOptimalThresholds(inputs, this.options);
  }
}

// The limit decays towards demand / growthUtilization only once it is this much above it,
// so it settles inside a band instead of flapping between growing and decaying.
const DEMAND_HYSTERESIS = 1.25;

function clamp(value: number, min: number, max: number): number {
  return value < min ? min : value > max ? max : value;
}

/**
 * Bounds a step from `current` to `next`: a raise ends in [min, max] unless `current` is
 * already at or above `max` (then it is kept), a cut likewise unless `current` is at or below
 * `min`, and no step keeps the value. So a value outside the bounds is never moved against
 * the rule's direction (a healthy threshold above the max is kept, not lowered).
 */
function clampStep(current: number, next: number, min: number, max: number): number {
  if (next > current) return current >= max ? current : clamp(next, min, max);
  if (next < current) return current <= min ? current : clamp(next, min, max);
  return current;
}

function pct(rate: number): string {
  return `${(rate * 100).toFixed(2)}%`;
}

function minutes(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000} min` : `${ms / 1000} s`;
}

function recommendFailureThreshold(
  inputs: ThresholdInputs,
  o: AdaptationOptions,
  reasons: string[],
): number | undefined {
  const current = inputs.current.failureThreshold;
  if (!o.adaptFailureThreshold || current === undefined) return undefined;
  if (inputs.breakerMode === 'rate') {
    reasons.push('failureThreshold: not adapted in rate mode');
    return undefined;
  }
  const { short, medium } = inputs.windows;
  let next = current;
  let why: string;
  if (short.completed >= o.minCalls && short.errorRate > o.highErrorRate) {
    next = Math.min(current - 1, Math.floor(current * o.thresholdDecreaseFactor));
    why = `error rate ${pct(short.errorRate)} > ${pct(o.highErrorRate)} over ${minutes(short.windowMs)}`;
  } else if (
    medium.completed >= o.minCalls &&
    medium.errorRate < o.lowErrorRate &&
    !(short.errorRate >= o.lowErrorRate)
  ) {
    next = Math.max(current + 1, Math.ceil(current * o.thresholdIncreaseFactor));
    why = `error rate ${pct(medium.errorRate)} < ${pct(o.lowErrorRate)} over ${minutes(medium.windowMs)}`;
  } else if (medium.completed < o.minCalls) {
    why = `fewer than ${o.minCalls} calls over ${minutes(medium.windowMs)}`;
  } else {
    why = `error rate ${pct(short.completed > 0 ? short.errorRate : medium.errorRate)} within [${pct(o.lowErrorRate)}, ${pct(o.highErrorRate)}]`;
  }
  const clamped = clampStep(current, next, o.minFailureThreshold, o.maxFailureThreshold);
  const bound =
    clamped === next
      ? ''
      : clamped === current
        ? ` (kept: already at or beyond [${o.minFailureThreshold}, ${o.maxFailureThreshold}])`
        : ` (clamped to [${o.minFailureThreshold}, ${o.maxFailureThreshold}])`;
  reasons.push(`failureThreshold ${current} → ${clamped}: ${why}${bound}`);
  return clamped;
}

function recommendBreakDuration(inputs: ThresholdInputs, o: AdaptationOptions, reasons: string[]): number | undefined {
  const current = inputs.current.breakDurationMs;
  if (!o.adaptBreakDuration || current === undefined) return undefined;
  const { count, emaMs } = inputs.recovery;
  if (count === 0 || emaMs === undefined || !Number.isFinite(emaMs)) {
    // Nothing to base a break on: the configured one stays, whatever the bounds say.
    reasons.push(`breakDurationMs ${current}: kept, no recovery observed yet`);
    return undefined;
  }
  const next = Math.round(emaMs * o.recoveryTimeoutFactor);
  const why = `recoveries took ~${Math.round(emaMs)} ms (EMA of ${count}) × ${o.recoveryTimeoutFactor}`;
  const clamped = clamp(next, o.minBreakDurationMs, o.maxBreakDurationMs);
  const bound = clamped !== next ? ` (clamped to [${o.minBreakDurationMs}, ${o.maxBreakDurationMs}])` : '';
  reasons.push(`breakDurationMs ${current} → ${clamped}: ${why}${bound}`);
  return clamped;
}

function recommendConcurrency(
  inputs: ThresholdInputs,
  o: AdaptationOptions,
  reasons: string[],
): { value: number; state: AdaptiveState } {
  const current = inputs.current.maxConcurrency!;
  const cap = Math.min(o.maxConcurrency, inputs.configuredMaxConcurrency ?? Infinity);
  const lo = Math.min(o.minConcurrency, cap);
  const prev = inputs.state;
  // A non-finite carried limit (never saved, but state may come from outside) restarts from the value in force.
  const limit = clamp(prev.limit !== undefined && Number.isFinite(prev.limit) ? prev.limit : current, lo, cap);
  const short = inputs.windows.short;
  const sample = short.p99Ms;

  const before = prev.latencyEmaMs !== undefined && Number.isFinite(prev.latencyEmaMs) ? prev.latencyEmaMs : undefined;
  const hold = (why: string, latencyEmaMs = before): { value: number; state: AdaptiveState } => {
    const value = Math.round(limit);
    reasons.push(`maxConcurrency ${current} → ${value}: ${why}`);
    return { value, state: { latencyEmaMs, limit } };
  };
  if (inputs.circuitState !== 'closed') return hold(`circuit ${inputs.circuitState}`);
  if (!Number.isFinite(sample) || sample < 0) return hold(`no latency over ${minutes(short.windowMs)}`);

  const ema = emaStep(before, sample, o.emaAlpha)!;
  let next: number;
  let why: string;
  if (o.concurrencyMode === 'trend') {
    if (before === undefined) return hold(`first p99 reading ${sample.toFixed(1)} ms`, ema);
    if (ema < before * (1 - o.trendTolerance)) {
      next = limit * o.concurrencyIncreaseFactor;
      why = `p99 falling (EMA ${before.toFixed(1)} → ${ema.toFixed(1)} ms)`;
    } else if (ema > before * (1 + o.trendTolerance)) {
      next = limit * o.concurrencyDecreaseFactor;
      why = `p99 rising (EMA ${before.toFixed(1)} → ${ema.toFixed(1)} ms)`;
    } else {
      next = limit;
      why = `p99 steady (EMA ${ema.toFixed(1)} ms)`;
    }
  } else if (short.completed + short.rejectedBulkhead < o.minCalls) {
    // A quiet period says nothing about the demand or the latency under load: neither decay
    // the limit towards near-zero use nor react to a p99 of a handful of calls.
    next = limit;
    why = `fewer than ${o.minCalls} calls offered over ${minutes(short.windowMs)}`;
  } else {
    // No-load estimate: the lowest p99 of the long window (never above the current EMA).
    const floor = inputs.windows.long.p99MinMs;
    const baseline = Number.isFinite(floor) ? Math.min(floor, ema) : ema;
    // A 0 ms EMA (sub-ms calls, a coarse clock) cannot have risen above any baseline.
    const gradient = ema > 0 ? clamp((o.latencyTolerance * baseline) / ema, o.minGradient, 1) : 1;
    // Little's law: calls in flight ≈ throughput × latency (p50 stands in for the mean).
    const p50 = Number.isFinite(short.p50Ms) ? short.p50Ms : sample;
    const inFlight = (short.throughputPerSecond * p50) / 1000;
    const limited =
      short.rejectedBulkhead > 0 || inputs.queued > 0 || short.maxQueued > 0 || inFlight >= o.growthUtilization * limit;
    const ratio = `p99 EMA ${ema.toFixed(1)} ms vs baseline ${baseline.toFixed(1)} ms`;
    if (gradient < 1) {
      // Never cut below what the downstream sustains now at a tolerable queue: its throughput
      // times its no-load latency (Little's law; BBR's bandwidth-delay product), times the tolerance.
      const longP50 = inputs.windows.long.p50MinMs;
      const noLoad = Number.isFinite(longP50) ? Math.min(longP50, p50) : p50;
      // Offered load (completed + rejected by the bulkhead), not throughput: a limit that
      // already throttles would otherwise justify cutting itself further.
      const offered = short.coveredMs > 0 ? ((short.completed + short.rejectedBulkhead) * 1000) / short.coveredMs : 0;
      const sustained = (offered * noLoad * o.latencyTolerance) / 1000;
      next = Math.max(limit * gradient, Math.min(limit, sustained));
      why = `${ratio} > ${o.latencyTolerance}× (gradient ${gradient.toFixed(2)}; sustains ≈ ${sustained.toFixed(1)} in flight)`;
    } else if (limited) {
      // Probe upwards by up to sqrt(limit) (Gradient2's queue allowance), less the closer the
      // latency already is to the tolerance: the p99 readings lag, so a full step at the edge
      // would overshoot before the rise shows.
      const room =
        o.latencyTolerance <= 1 || !(baseline > 0)
          ? 1
          : clamp((o.latencyTolerance * baseline - ema) / ((o.latencyTolerance - 1) * baseline), 0, 1);
      next = limit + Math.max(room * Math.sqrt(limit), 1);
      why = `${ratio} within ${o.latencyTolerance}× and the limit holds calls back (in flight ≈ ${inFlight.toFixed(1)})`;
    } else if (
      o.trackDemand &&
      o.growthUtilization > 0 &&
      limit > DEMAND_HYSTERESIS * Math.max(lo, inFlight / o.growthUtilization)
    ) {
      // A limit far above use protects nothing: when the downstream slows down, everything up
      // to the limit piles into its queue. Close half the gap to what is used (with headroom).
      const target = Math.max(lo, inFlight / o.growthUtilization);
      next = limit - (limit - target) / 2;
      why = `${ratio} within ${o.latencyTolerance}×; limit well above demand (in flight ≈ ${inFlight.toFixed(1)}), tracking it`;
    } else {
      next = limit;
      why = `${ratio} within ${o.latencyTolerance}×; demand below the limit (in flight ≈ ${inFlight.toFixed(1)})`;
    }
  }
  if (!Number.isFinite(next)) return hold(`no finite limit from ${why}`, ema);
  const bounded = clamp(next, lo, cap);
  const value = clamp(Math.round(bounded), lo, cap);
  const bound = bounded !== next ? ` (clamped to [${lo}, ${cap}])` : '';
  reasons.push(`maxConcurrency ${current} → ${value}: ${why}${bound}`);
  return { value, state: { latencyEmaMs: ema, limit: bounded } };
}
