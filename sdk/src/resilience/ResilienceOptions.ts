import { createServiceToken } from '../di/ServiceToken.js';
import type { ResilienceHooks } from './ResilienceHooks.js';

/**
 * Backoff shapes of a retry policy: `immediate` (no delay), `fixed`, `linear`
 * (`baseDelayMs * n`), `exponential` (`baseDelayMs * factor^(n-1)`), `exponential-jitter`
 * (full jitter over the exponential value), `decorrelated-jitter` (AWS style).
 * @since 6.0.0
 */
export type BackoffKind =
  'immediate' | 'fixed' | 'linear' | 'exponential' | 'exponential-jitter' | 'decorrelated-jitter';

/**
 * Retry options. `maxRetries: 3` means 1 try + 3 retries; there is no delay after the last
 * failure.
 * @since 6.0.0
 */
export interface RetryPolicyOptions {
  /** Retries after the first attempt. Integer >= 0. Default 3. */
  readonly maxRetries: number;
  readonly backoff: BackoffKind;
  /** First delay, ms >= 0. Default 100. */
  readonly baseDelayMs: number;
  /** Longest delay, ms >= baseDelayMs. Default 30 000. */
  readonly maxDelayMs: number;
  /** Growth factor of exponential backoffs, >= 1. Default 2. */
  readonly factor: number;
  /**
   * Retry budget: retries may be at most this fraction of first attempts over the budget
   * window (0..10), or `undefined` for no budget. Prevents retry storms.
   */
  readonly budgetRatio: number | undefined;
  /** Retries always allowed per second regardless of the budget. Default 10. */
  readonly budgetMinRetriesPerSecond: number;
  /**
   * Honour a delay hint carried by the error that ended the attempt: when `true` and the error
   * has a `retryAfterMs` property holding a finite number >= 0 (for instance an HTTP
   * `Retry-After` header parsed with `parseRetryAfterMs` from the resilience plugin), the retry
   * waits at least that long: the delay is the larger of the backoff's delay and the hint, capped
   * at `maxDelayMs`. A retry that could not start before the overall timeout is not made. An
   * absent or invalid hint leaves the backoff's delay. Default `false` (absent means `false`).
   * @since 6.1.0
   */
  readonly honorRetryAfter?: boolean;
}

/** Timeout options. @since 6.0.0 */
export interface TimeoutPolicyOptions {
  /** Limit of one attempt, ms > 0, or `Infinity` (default: none). */
  readonly attemptTimeoutMs: number;
  /** Limit of the whole call including retries and their delays, or `Infinity` (default). */
  readonly overallTimeoutMs: number;
}

/** Options of one `executeWithResilience` call. @since 6.0.0 */
export interface ExecuteOptions {
  /** The caller's cancellation. An abort is never counted as a downstream failure. */
  readonly signal?: AbortSignal;
  /** Free-form context passed to the operation (and used as the partition key when `partitionKey` is absent). */
  readonly context?: Readonly<Record<string, unknown>>;
  /** Key of a partitioned bulkhead. */
  readonly partitionKey?: string;
  /** Priority for priority bulkheads (higher first). Default 0. */
  readonly priority?: number;
}

/**
 * What an operation receives for each attempt. `signal` is created lazily on first read, so
 * operations that never look at it cost no `AbortController`.
 * @since 6.0.0
 */
export interface OperationContext {
  /** Aborted when the attempt times out or the caller aborts. */
  readonly signal: AbortSignal;
  /** 1 for the first try, 2 for the first retry, ... */
  readonly attempt: number;
  readonly strategyId: string;
  readonly context: Readonly<Record<string, unknown>> | undefined;
}

/** An operation run under resilience. @since 6.0.0 */
export type ResilientOperation<T> = (ctx: OperationContext) => Promise<T> | T;

/**
 * The resilience service a plugin resolves from the service registry
 * ({@link ResilienceServiceToken}) to protect its calls.
 * @since 6.0.0
 */
export interface IResilienceService {
  /**
   * Runs `operation` through the strategy's pipeline: bulkhead → circuit breaker → retry
   * (→ timeout per attempt).
   * @throws {@link UnknownStrategyError}, {@link CircuitOpenError}, {@link BulkheadRejectedError},
   *   {@link ResilienceTimeoutError}, {@link RateLimitedError}, {@link PluginNotInitializedError},
   *   the caller's abort reason, or the operation's last error.
   */
  executeWithResilience<T>(strategyId: string, operation: ResilientOperation<T>, options?: ExecuteOptions): Promise<T>;

  /**
   * Registers per-call hooks (see {@link ResilienceHooks}) for every strategy; the events are
   * also published on `node:diagnostics_channel` ({@link RESILIENCE_DIAGNOSTICS_CHANNELS}).
   * With no hook registered and no channel subscriber, calls pay nothing for them.
   *
   * Optional in this interface so that implementations written for 6.0 stay valid; the
   * UltimateResilience plugin's service has it (call it as `service.addHooks?.(hooks)` when the
   * provider may be another one).
   * @returns A function that removes these hooks (calling it again does nothing).
   * @throws {@link InvalidConfigurationError} (field `hooks`, or `hooks.<member>`) when `hooks`
   *   is not an object or one of its members is neither a function nor `undefined`.
   * @since 6.1.0
   */
  addHooks?(hooks: ResilienceHooks): () => void;
}

/** Service-registry token of {@link IResilienceService}. @since 6.0.0 */
export const ResilienceServiceToken = createServiceToken<IResilienceService>('datawarehouse.sdk.IResilienceService');
