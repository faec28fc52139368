/**
 * Runs `fn` and returns what it throws, or `undefined` when it returns normally. For tests that
 * assert on a synchronous throw without `try`/`catch` noise.
 *
 * @example
 * ```ts
 * expect(isCircuitOpenError(errorOf(() => breaker.acquirePermission()))).toBe(true);
 * ```
 * @since 6.0.0
 */
export function errorOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}
