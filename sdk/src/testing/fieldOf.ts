import { configErrorOf } from './configErrorOf.js';

/**
 * Runs `fn` and returns the `field` of the {@link InvalidConfigurationError} it throws, or
 * `undefined` when it returns normally. Any other thrown value is rethrown.
 *
 * @example
 * ```ts
 * expect(fieldOf(() => new RetryBudget({ ratio: -1 }))).toBe('ratio');
 * ```
 * @since 6.0.0
 */
export function fieldOf(fn: () => unknown): string | undefined {
  return configErrorOf(fn)?.field;
}
