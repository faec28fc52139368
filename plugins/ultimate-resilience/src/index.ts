/**
 * The UltimateResilience plugin: its factory and class, the {@link ResilienceScalingManager}
 * behind `executeWithResilience`, strategy definitions and registry, and the option and report
 * types of adaptation and distributed circuit state. Building blocks (breaker rules, windows,
 * rate limiters, replicator internals) are in `@datawarehouse/plugin-ultimate-resilience/internals`.
 * @packageDocumentation
 */
export * from './UltimateResiliencePlugin.js';
export { createPlugin as default } from './UltimateResiliencePlugin.js';
export * from './manager/ResilienceScalingManager.js';
export * from './strategies/StrategyDefinition.js';
export * from './strategies/StrategyRegistry.js';
export * from './strategies/builtinStrategies.js';
export { parseRetryAfterMs } from './retry/RetryAfter.js';
export type { ObservabilityOptions } from './observability/ResilienceObservability.js';
export type { PrometheusMetrics } from './observability/PrometheusExporter.js';
export type { AdaptationOptions, ConcurrencyMode } from './adaptive/AdaptationOptions.js';
export { DEFAULT_ADAPTATION_OPTIONS } from './adaptive/AdaptationOptions.js';
export type { AdaptationEvent } from './adaptive/AdaptiveController.js';
export type { ThresholdValues } from './adaptive/AdaptiveResilienceThresholds.js';
export type { AdaptiveOverlay } from './adaptive/AdaptiveTarget.js';
export type { DistributedOptions } from './distributed/DistributedOptions.js';
export { CIRCUIT_STATE_TOPIC, DEFAULT_DISTRIBUTED_OPTIONS } from './distributed/DistributedOptions.js';
export type {
  DigestCounters,
  DurableCounters,
  TransitionStamp,
  ReplicatorEntryRejectionReason,
  ReplicatorIgnoreReason,
  ReplicatorMetricsReport,
  ReplicatorRejectionReason,
} from './distributed/ReplicatorMetrics.js';
export type { CircuitStateEntryRejection } from './distributed/CircuitStateMessage.js';
export type {
  RateLimitKind,
  RateLimitOptions,
  SlidingWindowOptions,
  TokenBucketOptions,
} from './ratelimit/resolveRateLimitOptions.js';
export type { RateLimiterStatistics } from './ratelimit/IRateLimiter.js';
export type { PartitionedBulkheadStatistics } from './bulkhead/PartitionedBulkhead.js';
