import { isPipelineRejection } from '@datawarehouse/sdk';
import type { ResolvedStrategy } from '../strategies/StrategyDefinition.js';

/** Whether `error`'s `code` (or else its `name`) is in `set`. */
function inSet(set: ReadonlySet<string>, error: unknown): boolean {
  if (set.size === 0 || typeof error !== 'object' || error === null) return false;
  const { code, name } = error as { code?: unknown; name?: unknown };
  return (typeof code === 'string' && set.has(code)) || (typeof name === 'string' && set.has(name));
}

/**
 * Whether `error` ends the call untouched — not a failure, not retried, no fallback: an error
 * the strategy ignores (an answer such as "not found"), or a rejection a resilience primitive
 * raised itself (a nested pipeline's). A rejection is known by identity, never by its `code`:
 * a downstream error that copies one is the downstream's failure.
 * @internal
 */
export function passesThrough(strategy: ResolvedStrategy, error: unknown): boolean {
  return inSet(strategy.ignoredErrors, error) || isPipelineRejection(error);
}

/**
 * Whether a failed attempt may be retried (attempt numbers from 1). A throwing `shouldRetry`
 * predicate means no: it must not replace the downstream's error.
 * @internal
 */
export function shouldRetry(strategy: ResolvedStrategy, error: unknown, attemptNo: number): boolean {
  if (inSet(strategy.nonRetryableErrors, error)) return false;
  const predicate = strategy.shouldRetry;
  if (predicate === undefined) return true;
  try {
    return predicate(error, attemptNo) === true;
  } catch {
    return false;
  }
}

/**
 * Whether a downstream error counts against the breaker. A throwing `isFailure` predicate
 * counts it: the permit (perhaps a half-open probe slot) must be settled either way.
 * @internal
 */
export function countsAsFailure(strategy: ResolvedStrategy, error: unknown): boolean {
  const predicate = strategy.isFailure;
  if (predicate === undefined) return true;
  try {
    return predicate(error) !== false;
  } catch {
    return true;
  }
}

/** Sets `cause` on `error` unless it has one (e.g. the downstream error behind a later rejection). @internal */
export function setCause(error: unknown, cause: unknown): void {
  if (typeof error === 'object' && error !== null && !('cause' in error)) {
    Object.defineProperty(error, 'cause', { value: cause, configurable: true, writable: true });
  }
}
