import { SdkCompatibility } from '@datawarehouse/sdk';
import type { CircuitBreakerMode, CircuitState } from '@datawarehouse/sdk';
import { resolveAdaptationOptions } from './AdaptationOptions.js';
import type { AdaptationOptions } from './AdaptationOptions.js';
import { recommendConcurrency } from './recommendConcurrency.js';
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
  /** `gradient`: the long-term no-load p99 baseline, ms (absent until the first reading under load). */
  readonly baselineMs?: number | undefined;
  /** `gradient`: the long-term no-load p50 baseline, ms (for the Little's-law floor of a cut). */
  readonly baselineP50Ms?: number | undefined;
  /** `gradient`: the limit before the current run of cuts (absent when the last step was no cut). */
  readonly cutFromLimit?: number | undefined;
  /** `gradient`: the p50 and p99 readings of a shift first seen, and at how many steps in a row (to be confirmed). */
  readonly shiftSeen?: readonly [number, number, number] | undefined;
  /** `gradient`: the limit and the throughput (calls/s of a sample interval) before the current run of cuts. */
  readonly lastCut?: readonly [number, number] | undefined;
}

/** The empty state of a strategy that has not adapted yet. @since 6.0.0 */
export const INITIAL_ADAPTIVE_STATE: AdaptiveState = Object.freeze({
  latencyEmaMs: undefined,
  limit: undefined,
  baselineMs: undefined,
  baselineP50Ms: undefined,
  cutFromLimit: undefined,
  shiftSeen: undefined,
  lastCut: undefined,
});

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
  /** The last sample interval alone (its throughput tells whether the last cut cost calls). */
  readonly lastSample?: WindowStats;
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
