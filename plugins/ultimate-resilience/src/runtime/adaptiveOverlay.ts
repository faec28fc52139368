import type { AdaptiveOverlay } from '../adaptive/AdaptiveTarget.js';
import type { EffectiveOptions } from '../strategies/effectiveOptions.js';

type BreakerOptions = NonNullable<EffectiveOptions['circuitBreaker']>;
type BulkheadSection = NonNullable<EffectiveOptions['bulkhead']>;

/** The options a bulkhead is (re)configured with. @internal */
export interface BulkheadLimits {
  readonly maxConcurrency: number;
  readonly maxQueueSize: number;
  readonly queueTimeoutMs: number;
}

/**
 * The breaker options in force: the effective ones with the adaptive values on top (the same
 * object when the overlay sets no breaker value).
 * @internal
 */
export function overlayBreakerOptions(
  base: BreakerOptions | undefined,
  overlay: AdaptiveOverlay,
): BreakerOptions | undefined {
  if (base === undefined || (overlay.failureThreshold === undefined && overlay.breakDurationMs === undefined))
    return base;
  return {
    ...base,
    ...(overlay.failureThreshold !== undefined && { failureThreshold: overlay.failureThreshold }),
    ...(overlay.breakDurationMs !== undefined && { breakDurationMs: overlay.breakDurationMs }),
  };
}

/** The bulkhead limits in force: an adaptive `maxConcurrency` never exceeds the configured one. @internal */
export function overlayBulkheadOptions(b: BulkheadSection, overlay: AdaptiveOverlay): BulkheadLimits {
  const adaptive = overlay.maxConcurrency;
  return {
    maxConcurrency: adaptive === undefined ? b.maxConcurrency : Math.min(adaptive, b.maxConcurrency),
    maxQueueSize: b.maxQueueSize,
    queueTimeoutMs: b.queueTimeoutMs,
  };
}

/**
 * The overlay left after the effective options changed from `previous` to `next`: an explicit
 * change of a value the adaptive layer steers (an operator's override, a new definition) wins
 * over the adapted value, which adaptation then continues from at its next tick.
 * @internal
 */
export function withoutOverriddenValues(
  overlay: AdaptiveOverlay,
  previous: EffectiveOptions,
  next: EffectiveOptions,
): AdaptiveOverlay {
  if (
    overlay.failureThreshold === undefined &&
    overlay.breakDurationMs === undefined &&
    overlay.maxConcurrency === undefined
  )
    return overlay;
  const kept: { -readonly [K in keyof AdaptiveOverlay]: AdaptiveOverlay[K] } = { ...overlay };
  if (previous.circuitBreaker?.failureThreshold !== next.circuitBreaker?.failureThreshold) delete kept.failureThreshold;
  if (previous.circuitBreaker?.breakDurationMs !== next.circuitBreaker?.breakDurationMs) delete kept.breakDurationMs;
  if (previous.bulkhead?.maxConcurrency !== next.bulkhead?.maxConcurrency) delete kept.maxConcurrency;
  return Object.freeze(kept);
}
