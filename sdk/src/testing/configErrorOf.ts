import type { InvalidConfigurationError } from '../errors/errors.js';
import { isInvalidConfigurationError } from '../errors/errors.js';

/**
 * Runs `fn` and returns the {@link InvalidConfigurationError} it throws, or `undefined` when it
 * returns normally. Any other thrown value is rethrown, so a wrong error fails the test loudly.
 * Matches by error code, so it works across duplicate SDK copies.
 *
 * @example
 * ```ts
 * expect(configErrorOf(() => resolveOptions({ ttlMs: 0 }))?.field).toBe('ttlMs');
 * ```
 * @since 6.0.0
 */
export function configErrorOf(fn: () => unknown): InvalidConfigurationError | undefined {
  try {
    fn();
  } catch (e) {
    if (isInvalidConfigurationError(e)) return e;
    throw e;
  }
  return undefined;
}
