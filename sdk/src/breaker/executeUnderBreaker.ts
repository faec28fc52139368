import { InvalidConfigurationError, isAbortError } from '../errors/errors.js';
import type { Clock } from '../time/Clock.js';
import type { ICircuitBreaker } from './ICircuitBreaker.js';

const notAnAbort = (error: unknown): boolean => !isAbortError(error);

/**
 * The `execute` protocol over a breaker: take a permit, run `operation`, then exactly one of
 * `recordSuccess` / `recordFailure` / `releasePermission` with the duration read from `clock`.
 * An error for which `isFailure` returns false (default: anything but an `AbortError`)
 * releases the permit instead of counting; if `isFailure` itself throws, the error counts as a
 * failure. The operation's error is rethrown.
 * @throws {@link CircuitOpenError} when not admitted; {@link InvalidConfigurationError} when
 *   `operation` or `isFailure` is not a function (no permit taken).
 * @internal
 */
export async function executeUnderBreaker<T>(
  breaker: ICircuitBreaker,
  clock: Clock,
  operation: () => Promise<T> | T,
  isFailure: (error: unknown) => boolean = notAnAbort,
): Promise<T> {
  if (typeof operation !== 'function') throw new InvalidConfigurationError('operation', operation, 'a function');
  if (typeof isFailure !== 'function') throw new InvalidConfigurationError('isFailure', isFailure, 'a function');
  const permit = breaker.acquirePermission();
  const start = clock.now();
  let value: T;
  try {
    value = await operation();
  } catch (error) {
    const durationMs = Math.max(0, clock.now() - start);
    let counts: boolean;
    try {
      counts = Boolean(isFailure(error));
    } catch {
      counts = true; // a broken predicate must not leak the permit
    }
    if (counts) breaker.recordFailure(permit, durationMs);
    else breaker.releasePermission(permit);
    throw error;
  }
  breaker.recordSuccess(permit, Math.max(0, clock.now() - start));
  return value;
}
