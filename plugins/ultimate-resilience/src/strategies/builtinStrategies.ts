import type { StrategyDefinition } from './StrategyDefinition.js';

/**
 * The strategies every node has out of the box, one per mechanism the original plugin offered,
 * so a consumer can say `executeWithResilience('retry-exponential-jitter', op)` without
 * configuring anything. Users add their own (or override these by id) through the registry.
 * @since 6.0.0
 */
export const BUILTIN_STRATEGIES: readonly StrategyDefinition[] = Object.freeze([
  {
    id: 'default',
    description: 'Bulkhead, consecutive-failure breaker and exponential retry with jitter',
    category: 'composite',
  },
  {
    id: 'breaker-consecutive',
    description: 'Opens after 5 consecutive failures for 30 s; no retry',
    category: 'circuit-breaker',
    circuitBreaker: { mode: 'consecutive', failureThreshold: 5, breakDurationMs: 30_000 },
    retry: false,
  },
  {
    id: 'breaker-rate-window',
    description: 'Opens when >= 50% of at least 20 calls in a 60 s window fail; no retry',
    category: 'circuit-breaker',
    circuitBreaker: { mode: 'rate', failureRateThreshold: 0.5, minimumThroughput: 20, samplingWindowMs: 60_000 },
    retry: false,
  },
  {
    id: 'breaker-count',
    description: 'Opens after 10 failures within 30 s; no retry',
    category: 'circuit-breaker',
    circuitBreaker: { mode: 'count', failureThreshold: 10, samplingWindowMs: 30_000 },
    retry: false,
  },
  {
    id: 'breaker-gradual-recovery',
    description: 'Half-open admits 3 probes at a time and closes after 10 successes',
    category: 'circuit-breaker',
    circuitBreaker: { mode: 'rate', failureRateThreshold: 0.5, minimumThroughput: 10, halfOpenMaxAttempts: 3, halfOpenSuccessThreshold: 10 },
    retry: false,
  },
  {
    id: 'bulkhead-semaphore',
    description: 'Concurrency limit with a bounded FIFO queue (limits follow ScalingLimits)',
    category: 'bulkhead',
    circuitBreaker: false,
    retry: false,
  },
  {
    id: 'bulkhead-partitioned',
    description: 'One bulkhead of 8 per partition key (ExecuteOptions.partitionKey)',
    category: 'bulkhead',
    circuitBreaker: false,
    retry: false,
    bulkhead: { kind: 'partitioned', maxConcurrency: 8, maxQueueSize: 100, maxPartitions: 1000 },
  },
  {
    id: 'bulkhead-priority',
    description: 'Queue admits the highest ExecuteOptions.priority first',
    category: 'bulkhead',
    circuitBreaker: false,
    retry: false,
    bulkhead: { kind: 'priority' },
  },
  { id: 'retry-fixed', category: 'retry', description: '3 retries, 200 ms apart', circuitBreaker: false, retry: { backoff: 'fixed', baseDelayMs: 200 } },
  { id: 'retry-linear', category: 'retry', description: '3 retries, 100/200/300 ms', circuitBreaker: false, retry: { backoff: 'linear', baseDelayMs: 100 } },
  { id: 'retry-exponential', category: 'retry', description: '3 retries, 100/200/400 ms', circuitBreaker: false, retry: { backoff: 'exponential', baseDelayMs: 100 } },
  { id: 'retry-exponential-jitter', category: 'retry', description: '3 retries, full jitter over exponential backoff', circuitBreaker: false, retry: { backoff: 'exponential-jitter', baseDelayMs: 100 } },
  { id: 'retry-decorrelated-jitter', category: 'retry', description: '3 retries, decorrelated jitter', circuitBreaker: false, retry: { backoff: 'decorrelated-jitter', baseDelayMs: 100 } },
  { id: 'retry-immediate', category: 'retry', description: '2 immediate retries', circuitBreaker: false, retry: { backoff: 'immediate', maxRetries: 2 } },
  {
    id: 'retry-budgeted',
    category: 'retry',
    description: 'Exponential jitter, retries capped at 20% of calls (+10/s)',
    circuitBreaker: false,
    retry: { backoff: 'exponential-jitter', baseDelayMs: 100, budgetRatio: 0.2, budgetMinRetriesPerSecond: 10 },
  },
  { id: 'timeout-attempt', category: 'timeout', description: 'Each attempt limited to 5 s, 2 retries', timeout: { attemptTimeoutMs: 5_000 }, retry: { maxRetries: 2 } },
  { id: 'timeout-overall', category: 'timeout', description: 'Whole call incl. retries limited to 10 s', timeout: { overallTimeoutMs: 10_000 } },
  { id: 'fallback-null', category: 'fallback', description: 'Returns null instead of failing', fallback: { value: null } },
  {
    id: 'ratelimit-token-bucket',
    category: 'rate-limit',
    description: 'Token bucket: bursts of 100, 50 calls/s sustained',
    circuitBreaker: false,
    retry: false,
    rateLimit: { kind: 'token-bucket', capacity: 100, refillPerSecond: 50 },
  },
  {
    id: 'ratelimit-sliding-window',
    category: 'rate-limit',
    description: 'At most 100 calls in any 1 s window',
    circuitBreaker: false,
    retry: false,
    rateLimit: { kind: 'sliding-window', limit: 100, windowMs: 1_000 },
  },
] satisfies StrategyDefinition[]);
