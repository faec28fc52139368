/**
 * Internals of `@datawarehouse/plugin-ultimate-resilience`: the building blocks its public API
 * is made of (windows and histograms, rate limiters, retry arithmetic, bulkhead variants, the
 * adaptive controller, the replicator and its message format, the pipeline and runtime),
 * exported for the workspace's tests, benchmarks and tools. Not covered by semver.
 * @packageDocumentation
 */
export * from './strategies/effectiveOptions.js';
export * from './timeout/DeadlineQueue.js';
export * from './metrics/LogBuckets.js';
export * from './metrics/LogHistogram.js';
export * from './metrics/WindowedHistogram.js';
export * from './metrics/WindowedCounter.js';
export * from './retry/Backoff.js';
export * from './retry/RetryAfter.js';
export * from './retry/TimeoutOptions.js';
export * from './retry/RetryBudget.js';
export * from './ratelimit/IRateLimiter.js';
export * from './ratelimit/resolveRateLimitOptions.js';
export * from './ratelimit/TokenBucketRateLimiter.js';
export * from './ratelimit/SlidingWindowRateLimiter.js';
export * from './ratelimit/createRateLimiter.js';
export * from './bulkhead/PriorityBulkheadIsolation.js';
export * from './bulkhead/PartitionedBulkhead.js';
export * from './distributed/CircuitStateMessage.js';
export * from './distributed/CircuitStateReplicator.js';
export * from './distributed/DistributedOptions.js';
export * from './distributed/LwwRegisterMap.js';
export * from './distributed/ReplicatorMetrics.js';
export * from './distributed/applyRemoteState.js';
export * from './adaptive/AdaptationOptions.js';
export * from './adaptive/AdaptiveController.js';
export * from './adaptive/AdaptiveResilienceThresholds.js';
export * from './adaptive/Ema.js';
export * from './adaptive/RecoveryTracker.js';
export * from './adaptive/SlidingWindowMetrics.js';
export * from './pipeline/StrategyPipeline.js';
export * from './runtime/StrategyRuntime.js';
export * from './adaptive/AdaptiveTarget.js';
export * from './adaptive/AdaptationSettings.js';
export * from './distributed/ReplicatedCircuits.js';
export * from './manager/replicatedCircuitsOf.js';
export * from './metrics/StrategyMetrics.js';
export * from './observability/metricFamilies.js';
export * from './observability/latencyBuckets.js';
export * from './observability/collectResilienceMetrics.js';
export * from './observability/PrometheusExporter.js';
export * from './observability/OpenTelemetryMetrics.js';
export * from './observability/ResilienceObservability.js';
