import type { StrategyMetrics, RejectionCause } from '../metrics/StrategyMetrics.js';
import type { ResolvedStrategy } from '../strategies/StrategyDefinition.js';
import type { CallEvents, SpanLike } from './CallEvents.js';
import type { CallState } from './CallState.js';
import { rejectLater } from './promises.js';

/** The strategy's fallback for `error` (counted), or `error` thrown when it has none. @internal */
export function fallbackOrThrow<T>(
  strategy: ResolvedStrategy,
  metrics: StrategyMetrics,
  events: CallEvents,
  error: unknown,
  span?: SpanLike,
): T {
  if (strategy.fallbackFn === undefined && strategy.fallback === undefined) throw error;
  metrics.fallbacks++;
  if (events.on || events.fallbackChannel.hasSubscribers) events.fallback(strategy.id, error, span);
  if (strategy.fallbackFn !== undefined) return strategy.fallbackFn(error) as T;
  return strategy.fallback!.value as T;
}

/**
 * Counts a rejection and reports it to the hooks and channels (with the caller's span when
 * tracing); returns that span, for the fallback's event.
 */
function countRejection(
  strategy: ResolvedStrategy,
  metrics: StrategyMetrics,
  events: CallEvents,
  cause: RejectionCause,
  error: unknown,
  now: number,
  span: SpanLike | undefined,
): SpanLike | undefined {
  metrics.reject(cause, now);
  if (!events.on && !events.rejectedChannel.hasSubscribers) return span;
  const at = span ?? events.activeSpan();
  events.rejected(strategy.id, cause, error, at);
  return at;
}

/** Counts a rejection (the call never reached the downstream) and answers it: fallback or throw. @internal */
export function reject<T>(
  strategy: ResolvedStrategy,
  metrics: StrategyMetrics,
  events: CallEvents,
  cause: RejectionCause,
  error: unknown,
  now: number,
  span?: SpanLike,
): T {
  const at = countRejection(strategy, metrics, events, cause, error, now, span);
  return fallbackOrThrow(strategy, metrics, events, error, at);
}

/**
 * {@link reject} for the synchronous admission path, without throwing: the fallback's value,
 * or a rejection one microtask later (see {@link rejectLater}).
 * @internal
 */
export function rejectAsync<T>(
  strategy: ResolvedStrategy,
  metrics: StrategyMetrics,
  events: CallEvents,
  cause: RejectionCause,
  error: unknown,
  now: number,
): Promise<T> {
  const span = countRejection(strategy, metrics, events, cause, error, now, undefined);
  if (strategy.fallbackFn === undefined && strategy.fallback === undefined) return rejectLater(error);
  try {
    return Promise.resolve(fallbackOrThrow<T>(strategy, metrics, events, error, span));
  } catch (e) {
    return rejectLater(e);
  }
}

/**
 * Ends a call that left its retry loop with `error`: the caller's abort goes back as is
 * (counted as aborted, no outcome); a first attempt refused by the breaker is a rejection; an
 * error that passes through (ignored, or a nested rejection) goes back untouched, without
 * fallback; anything else is a failure, answered by the fallback if there is one.
 * @internal
 */
export function endWithError<T>(
  strategy: ResolvedStrategy,
  metrics: StrategyMetrics,
  events: CallEvents,
  error: unknown,
  call: CallState,
  signal: AbortSignal | undefined,
  now: number,
): T {
  if (signal !== undefined && signal.aborted && error === signal.reason) {
    metrics.aborted++;
    throw error;
  }
  if (call.rejectedByCircuit) return reject(strategy, metrics, events, 'circuitOpen', error, now, call.span);
  if (call.passThrough) {
    metrics.passedThrough(now);
    throw error;
  }
  metrics.failed(now);
  if (events.on || events.failureChannel.hasSubscribers) {
    events.failure(strategy.id, call.attempts, error, now - call.startedAt, call.span);
  }
  return fallbackOrThrow(strategy, metrics, events, error, call.span);
}
