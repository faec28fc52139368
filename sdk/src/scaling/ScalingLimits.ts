import type { BulkheadOptions } from '../bulkhead/IBulkheadIsolation.js';
import type { CircuitBreakerOptions } from '../breaker/ICircuitBreaker.js';
import type { RetryPolicyOptions, TimeoutPolicyOptions } from '../resilience/ResilienceOptions.js';

/**
 * Per-strategy overrides carried in {@link ScalingLimits.strategies}. Only the fields given
 * change; the subsystem validates them.
 * @since 6.0.0
 */
export interface StrategyLimits {
  readonly circuitBreaker?: Partial<CircuitBreakerOptions>;
  readonly bulkhead?: Partial<BulkheadOptions>;
  readonly retry?: Partial<RetryPolicyOptions>;
  readonly timeout?: Partial<TimeoutPolicyOptions>;
  /** Adaptation parameters of this strategy (see the resilience plugin's docs). */
  readonly adaptive?: Readonly<Record<string, unknown>>;
  /** Whether this strategy's circuit state is shared with other nodes. */
  readonly shareState?: boolean;
}

/**
 * Limits of a scalable subsystem. The three numeric limits are common to every subsystem;
 * `strategies` and `adaptation` carry the resilience plugin's per-strategy and adaptation
 * parameters so that all of them can be changed at runtime through the subsystem registry.
 * @since 6.0.0
 */
export interface ScalingLimits {
  /** Concurrent operations; the resilience plugin maps it to each bulkhead's `maxConcurrency`. Default 64. */
  readonly maxConcurrentOperations: number;
  /** Queued operations; mapped to each bulkhead's `maxQueueSize`. Default 1000. */
  readonly maxQueueDepth: number;
  /** Entries in caches and bounded maps (the resilience plugin: strategies tracked). Default 10 000. */
  readonly maxCacheEntries: number;
  /** Per-strategy overrides, by strategy id. */
  readonly strategies?: Readonly<Record<string, StrategyLimits>>;
  /** Global adaptation parameters (see the resilience plugin's docs). */
  readonly adaptation?: Readonly<Record<string, unknown>>;
}

/** Defaults of {@link ScalingLimits}. @since 6.0.0 */
export const DEFAULT_SCALING_LIMITS: ScalingLimits = Object.freeze({
  maxConcurrentOperations: 64,
  maxQueueDepth: 1000,
  maxCacheEntries: 10_000,
});

/**
 * How loaded a subsystem is: `normal`; `warning` (filling up); `critical` (at its limit,
 * queueing); `shedding` (rejecting work).
 * @since 6.0.0
 */
export type BackpressureState = 'normal' | 'warning' | 'critical' | 'shedding';

/** Ordered from least to most loaded, for comparisons. @since 6.0.0 */
export const BACKPRESSURE_ORDER: readonly BackpressureState[] = Object.freeze([
  'normal',
  'warning',
  'critical',
  'shedding',
]);

/** Metrics of a subsystem: a JSON-serializable tree. @since 6.0.0 */
export type ScalingMetrics = Readonly<Record<string, unknown>>;

/**
 * A subsystem whose limits can be read and changed at runtime.
 * @since 6.0.0
 */
export interface IScalableSubsystem {
  readonly name: string;
  readonly currentLimits: ScalingLimits;
  readonly currentBackpressureState: BackpressureState;
  getScalingMetrics(): ScalingMetrics;
  /**
   * Applies the given fields in place and resolves to the limits now in force.
   * @throws {@link InvalidConfigurationError} naming the first bad field; nothing is applied then.
   */
  reconfigureLimitsAsync(limits: Partial<ScalingLimits>): Promise<ScalingLimits>;
}
