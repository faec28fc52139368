import type { CircuitState, CircuitTransitionOrigin } from '../breaker/ICircuitBreaker.js';

/** Why a call was refused without reaching the downstream. @since 6.1.0 */
export type CallRejectionCause = 'circuitOpen' | 'bulkhead' | 'rateLimited';

/** A call ended with the downstream's value. @since 6.1.0 */
export interface CallSucceededEvent {
  /** The strategy the call ran under. */
  readonly strategyId: string;
  /** The attempt that succeeded: 1 for the first try. */
  readonly attempt: number;
  /** That attempt's duration, ms (what the latency histogram records). */
  readonly durationMs: number;
  /** From the call's arrival to its end, ms: time queued, every attempt and backoff included. */
  readonly elapsedMs: number;
}

/** A call ended with a downstream failure, after its retries (a fallback may still answer it). @since 6.1.0 */
export interface CallFailedEvent {
  /** The strategy the call ran under. */
  readonly strategyId: string;
  /** Attempts made. */
  readonly attempts: number;
  /**
   * The error the call ends with: the last attempt's error (a timeout is a
   * `ResilienceTimeoutError`), or the breaker's refusal of a retry (a `CircuitOpenError` whose
   * `cause` is that error).
   */
  readonly error: unknown;
  /** From the call's arrival to its end, ms. */
  readonly elapsedMs: number;
}

/** An attempt failed and a retry is scheduled. @since 6.1.0 */
export interface CallRetryEvent {
  /** The strategy the call ran under. */
  readonly strategyId: string;
  /** The number of the attempt about to be made: 2 for the first retry. */
  readonly attempt: number;
  /** The backoff before it, ms (0 for an immediate retry). */
  readonly delayMs: number;
  /** The error of the attempt that failed. */
  readonly error: unknown;
}

/** An attempt, or the whole call, ran out of time. @since 6.1.0 */
export interface CallTimeoutEvent {
  /** The strategy the call ran under. */
  readonly strategyId: string;
  /** The attempt abandoned (0 when the call timed out while queued for a bulkhead slot). */
  readonly attempt: number;
  /** The limit that passed, ms. */
  readonly timeoutMs: number;
  /** `attempt`: the per-attempt limit; `overall`: the whole call's. */
  readonly scope: 'attempt' | 'overall';
}

/** A call was refused before it reached the downstream. @since 6.1.0 */
export interface CallRejectedEvent {
  /** The strategy the call ran under. */
  readonly strategyId: string;
  /** What refused it: an open circuit, a full bulkhead (or its queue timeout), or the rate limit. */
  readonly cause: CallRejectionCause;
  /** The rejection (`CircuitOpenError`, `BulkheadRejectedError`, `RateLimitedError`, ...). */
  readonly error: unknown;
}

/** The strategy's fallback answered a failed or rejected call. @since 6.1.0 */
export interface CallFallbackEvent {
  /** The strategy the call ran under. */
  readonly strategyId: string;
  /** The error the fallback replaced. */
  readonly error: unknown;
}

/** A strategy's circuit changed state. @since 6.1.0 */
export interface CircuitTransitionEvent {
  /** The strategy the call ran under. */
  readonly strategyId: string;
  /** The state before. */
  readonly from: CircuitState;
  /** The state now. */
  readonly to: CircuitState;
  /** `local` (this node's calls), `remote` (another node's state, adopted), `operator` or `adaptation`. */
  readonly origin: CircuitTransitionOrigin;
  /** For `remote`: the node whose state was adopted, when the transition names it. */
  readonly remoteNode?: string;
  /** Why, as the breaker gives it (e.g. `failure-threshold`, `manual-trip`, `break-elapsed`). */
  readonly reason: string;
  /** `clock.now()` of the transition. */
  readonly timestamp: number;
}

/**
 * Callbacks on what happens to calls, registered with `IResilienceService.addHooks`. Every
 * member is optional. They run synchronously on the call path, after the pipeline's own
 * bookkeeping and before the caller sees the outcome, while the call still holds its bulkhead
 * slot (a hook that calls the same strategy competes with it for a slot): keep them cheap. A hook that throws is
 * ignored (counted, and logged once) and never changes the call's outcome.
 *
 * Order within one call: `onTimeout` (an attempt ran out of time) and `onRetry` as they happen,
 * then exactly one of `onSuccess`, `onFailure` or `onRejected`, then `onFallback` when the
 * strategy's fallback answers. A call aborted by its caller, or ended by an error that passes
 * through untouched (an ignored error, a nested pipeline's rejection), ends with none of the three.
 * @since 6.1.0
 */
export interface ResilienceHooks {
  onSuccess?(event: CallSucceededEvent): void;
  onFailure?(event: CallFailedEvent): void;
  onRetry?(event: CallRetryEvent): void;
  onTimeout?(event: CallTimeoutEvent): void;
  onRejected?(event: CallRejectedEvent): void;
  onFallback?(event: CallFallbackEvent): void;
  onCircuitTransition?(event: CircuitTransitionEvent): void;
}

/**
 * The `node:diagnostics_channel` names the same events are published on, with the same
 * payloads. Publishing costs nothing while a channel has no subscriber.
 * @example
 * ```ts
 * import diagnostics from 'node:diagnostics_channel';
 * diagnostics.subscribe(RESILIENCE_DIAGNOSTICS_CHANNELS.retry, (event) => console.log(event));
 * ```
 * @since 6.1.0
 */
export const RESILIENCE_DIAGNOSTICS_CHANNELS = Object.freeze({
  success: 'datawarehouse:resilience:success',
  failure: 'datawarehouse:resilience:failure',
  retry: 'datawarehouse:resilience:retry',
  timeout: 'datawarehouse:resilience:timeout',
  rejected: 'datawarehouse:resilience:rejected',
  fallback: 'datawarehouse:resilience:fallback',
  circuitTransition: 'datawarehouse:resilience:circuit-transition',
} as const);
