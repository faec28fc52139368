import type { InvalidConfigurationError } from '../errors/errors.js';
import { configErrorOf } from './configErrorOf.js';

/**
 * Runs `fn` and returns the {@link InvalidConfigurationError} it must throw.
 *
 * @throws {@link Error} when `fn` returns normally; any other thrown value is rethrown.
 * @example
 * ```ts
 * expect(requireConfigError(() => resolveOptions(42)).field).toBe('options');
 * ```
 * @since 6.0.0
 */
export function requireConfigError(fn: () => unknown): InvalidConfigurationError {
  const error = configErrorOf(fn);
  if (error === undefined) throw new Error('expected an InvalidConfigurationError');
  return error;
}
