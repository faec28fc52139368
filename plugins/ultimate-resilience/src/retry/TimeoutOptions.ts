import { InvalidConfigurationError } from '@datawarehouse/sdk';
import { fieldPath, rejectUnknownKeys, validateObject } from '@datawarehouse/sdk/internals';
import type { TimeoutPolicyOptions } from '@datawarehouse/sdk';

/**
 * Longest finite timeout accepted (2^31 - 1 ms, ~24.8 days): Node's timers overflow past it
 * and would fire after 1 ms, turning a long timeout into an instant one.
 * @since 6.0.0
 */
export const MAX_TIMEOUT_MS = 2_147_483_647;

/** Defaults of a timeout policy: no attempt limit, no overall limit. @since 6.0.0 */
export const DEFAULT_TIMEOUT_OPTIONS: Readonly<TimeoutPolicyOptions> = Object.freeze({
  attemptTimeoutMs: Infinity,
  overallTimeoutMs: Infinity,
});

const KNOWN_KEYS: readonly (keyof TimeoutPolicyOptions)[] = Object.freeze(['attemptTimeoutMs', 'overallTimeoutMs']);

/**
 * Validates a partial of {@link TimeoutPolicyOptions} and lays it over `base` (default
 * {@link DEFAULT_TIMEOUT_OPTIONS}). `undefined` means "no overrides". Each timeout is a number
 * of ms in (0, 2^31 - 1] or `Infinity` (no limit). An attempt limit above the overall one is
 * allowed (the overall limit then decides).
 *
 * @param input - the partial options, usually straight from configuration.
 * @param field - dotted path used in error messages, e.g. `strategies.db.timeout`.
 * @param base - the resolved options the partial applies to.
 * @returns a new frozen, fully resolved options object.
 * @throws {@link InvalidConfigurationError} naming the field (e.g. `timeout.attemptTimeoutMs`)
 *   for an unknown key, a non-object input or an invalid timeout.
 * @example
 * ```ts
 * resolveTimeoutOptions({ attemptTimeoutMs: 5_000 }); // { attemptTimeoutMs: 5000, overallTimeoutMs: Infinity }
 * ```
 * @since 6.0.0
 */
export function resolveTimeoutOptions(
  input: unknown,
  field = 'timeout',
  base: Readonly<TimeoutPolicyOptions> = DEFAULT_TIMEOUT_OPTIONS,
): Readonly<TimeoutPolicyOptions> {
  if (input === undefined) {
    return Object.freeze({ attemptTimeoutMs: base.attemptTimeoutMs, overallTimeoutMs: base.overallTimeoutMs });
  }
  const obj = validateObject(field, input);
  rejectUnknownKeys(field, obj, KNOWN_KEYS);
  const attemptTimeoutMs = Object.hasOwn(obj, 'attemptTimeoutMs')
    ? validateTimeout(fieldPath(field, 'attemptTimeoutMs'), obj.attemptTimeoutMs)
    : base.attemptTimeoutMs;
  const overallTimeoutMs = Object.hasOwn(obj, 'overallTimeoutMs')
    ? validateTimeout(fieldPath(field, 'overallTimeoutMs'), obj.overallTimeoutMs)
    : base.overallTimeoutMs;
  return Object.freeze({ attemptTimeoutMs, overallTimeoutMs });
}

function validateTimeout(field: string, value: unknown): number {
  if (value === Infinity) return value;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > MAX_TIMEOUT_MS) {
    throw new InvalidConfigurationError(field, value, `a duration in ms > 0 and <= ${MAX_TIMEOUT_MS}, or Infinity`);
  }
  return value;
}
