import type { BulkheadStatistics, CircuitBreakerOptions, ICircuitBreaker } from '@datawarehouse/sdk';

/**
 * Values the adaptive layer sets on top of a strategy's effective options. `maxConcurrency`
 * is capped by the configured bulkhead limit; the breaker values replace the configured ones.
 * @since 6.0.0
 */
export interface AdaptiveOverlay {
  readonly failureThreshold?: number;
  readonly breakDurationMs?: number;
  readonly maxConcurrency?: number;
}

/** The cumulative counters and latency readings adaptation samples, as the call path keeps them. @since 6.0.0 */
export interface AdaptiveSampleSource {
  readonly calls: number;
  readonly successes: number;
  readonly failures: number;
  readonly timeouts: number;
  readonly attempts: number;
  readonly rejectedBulkhead: number;
  readonly rejectedCircuitOpen: number;
  readonly rejectedRateLimited: number;
  readonly latency: { percentiles(nowMs: number, quantiles: readonly number[]): readonly number[] };
}

/**
 * The port through which adaptation sees and steers one strategy: what it reads (counters,
 * circuit state, configured limits, queue) and the one thing it may change (its overlay). The
 * adaptive layer depends on this, never on the runtime that implements it.
 * @since 6.0.0
 */
export interface AdaptiveTarget {
  readonly metrics: AdaptiveSampleSource;
  /** The strategy's breaker, read for its state (refreshed first), or undefined without one. */
  readonly breaker: ICircuitBreaker | undefined;
  /** The effective options; adaptation reads the configured `maxConcurrency`. */
  readonly options: { readonly bulkhead: { readonly maxConcurrency: number } | undefined };
  /** The breaker options in force (configured, with the overlay on top). */
  breakerOptions(): Readonly<CircuitBreakerOptions> | undefined;
  /** The bulkhead's statistics (for its queue length), or undefined without one. */
  bulkheadStatistics(): BulkheadStatistics | undefined;
  /** The overlay in force. */
  readonly adaptive: AdaptiveOverlay;
  /**
   * Applies a new overlay in place (an open circuit stays open; a shrink never lets more than
   * the new limit run). @throws {@link InvalidConfigurationError} for an invalid value; nothing
   * is applied then.
   */
  setAdaptiveOverlay(overlay: AdaptiveOverlay): void;
}
