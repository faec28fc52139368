import type { CircuitBreakerMode, CircuitBreakerOptions } from './ICircuitBreaker.js';
import {
  fieldPath,
  rejectUnknownKeys,
  validateEnum,
  validateInteger,
  validateNumber,
  validateObject,
} from '../config/validate.js';
import { InvalidConfigurationError } from '../errors/errors.js';

/**
 * Defaults of {@link CircuitBreakerOptions} (frozen): `consecutive` mode, 5 failures, rate 0.5
 * with 10 calls minimum, a 60 s window in 10 buckets, a 30 s break, 1 probe at a time, 1
 * successful probe to close, slow-call detection off (rate threshold 1).
 * @since 6.0.0
 */
export const DEFAULT_CIRCUIT_BREAKER_OPTIONS: Readonly<CircuitBreakerOptions> = Object.freeze({
  mode: 'consecutive',
  failureThreshold: 5,
  failureRateThreshold: 0.5,
  minimumThroughput: 10,
  samplingWindowMs: 60_000,
  windowBuckets: 10,
  breakDurationMs: 30_000,
  halfOpenMaxAttempts: 1,
  halfOpenSuccessThreshold: 1,
  slowCallDurationMs: undefined,
  slowCallRateThreshold: 1,
});

/** The modes accepted by `mode`. @since 6.0.0 */
export const CIRCUIT_BREAKER_MODES: readonly CircuitBreakerMode[] = Object.freeze(['consecutive', 'count', 'rate']);

/** Every key of {@link CircuitBreakerOptions}; anything else is rejected as a typo. @since 6.0.0 */
export const CIRCUIT_BREAKER_OPTION_KEYS: readonly (keyof CircuitBreakerOptions)[] = Object.freeze([
  'mode',
  'failureThreshold',
  'failureRateThreshold',
  'minimumThroughput',
  'samplingWindowMs',
  'windowBuckets',
  'breakDurationMs',
  'halfOpenMaxAttempts',
  'halfOpenSuccessThreshold',
  'slowCallDurationMs',
  'slowCallRateThreshold',
]);

/** Largest `windowBuckets`: bounds the memory of one breaker's window. */
const MAX_WINDOW_BUCKETS = 1000;

/**
 * Longest `breakDurationMs` accepted, ms: 365 days. It is also the longest break a node
 * accepts from another one (the distributed circuit state drops an entry with more break
 * left), so any break that configuration allows replicates to the whole cluster. A longer
 * "break" is an operator hold: use `isolate()`.
 * @since 6.0.0
 */
export const MAX_BREAK_DURATION_MS = 365 * 24 * 3_600_000;

/**
 * Validates a partial {@link CircuitBreakerOptions} over `base` and returns the frozen, fully
 * resolved options. `input` may be `undefined` (→ `base`). A key whose value is `undefined` is
 * treated as absent, except `slowCallDurationMs`, where `undefined` (or `null`, for JSON
 * sources) explicitly disables slow-call detection. `base` is trusted (it is the defaults or
 * an earlier result of this function). Ranges: counts are integers >= 1, `windowBuckets`
 * 1..1000, rates in (0, 1], `samplingWindowMs` a finite number >= 1, `breakDurationMs` in
 * (0, {@link MAX_BREAK_DURATION_MS}] (365 days), `slowCallDurationMs` finite > 0.
 *
 * @param input - the partial options (from code, a config file or the admin API).
 * @param field - dotted path used in error messages. Default `circuitBreaker`.
 * @param base - values for keys `input` leaves out. Default {@link DEFAULT_CIRCUIT_BREAKER_OPTIONS}.
 * @throws {@link InvalidConfigurationError} naming the field (e.g. `circuitBreaker.failureThreshold`)
 *   for a non-object input, an unknown key, a wrong type, NaN, a negative, non-integer or
 *   out-of-range value.
 * @example
 * ```ts
 * const opts = resolveCircuitBreakerOptions({ mode: 'rate', failureRateThreshold: 0.25 });
 * ```
 * @since 6.0.0
 */
export function resolveCircuitBreakerOptions(
  input: unknown,
  field = 'circuitBreaker',
  base: Readonly<CircuitBreakerOptions> = DEFAULT_CIRCUIT_BREAKER_OPTIONS,
): Readonly<CircuitBreakerOptions> {
  if (input === undefined) return Object.isFrozen(base) ? base : Object.freeze({ ...base });
  const obj = validateObject(field, input);
  rejectUnknownKeys(field, obj, CIRCUIT_BREAKER_OPTION_KEYS);
  const f = (key: string): string => fieldPath(field, key);
  const pick = <K extends keyof CircuitBreakerOptions>(
    key: K,
    check: (name: string, value: unknown) => CircuitBreakerOptions[K],
  ): CircuitBreakerOptions[K] => (obj[key] === undefined ? base[key] : check(f(key), obj[key]));
  const rate = (name: string, v: unknown): number => validateNumber(name, v, 0, 1, true);
  const breakMs = (name: string, v: unknown): number => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v > MAX_BREAK_DURATION_MS) {
      throw new InvalidConfigurationError(
        name,
        v,
        `a duration in ms > 0 and <= ${MAX_BREAK_DURATION_MS} (365 days, the longest break other nodes accept; use isolate() to hold a circuit open)`,
      );
    }
    return v;
  };

  return Object.freeze({
    mode: pick('mode', (name, v) => validateEnum(name, v, CIRCUIT_BREAKER_MODES)),
    failureThreshold: pick('failureThreshold', (name, v) => validateInteger(name, v, 1)),
    failureRateThreshold: pick('failureRateThreshold', rate),
    minimumThroughput: pick('minimumThroughput', (name, v) => validateInteger(name, v, 1)),
    // At least 1 ms: sub-millisecond windows would make bucket indices lose precision.
    samplingWindowMs: pick('samplingWindowMs', (name, v) => validateNumber(name, v, 1)),
    windowBuckets: pick('windowBuckets', (name, v) => validateInteger(name, v, 1, MAX_WINDOW_BUCKETS)),
    breakDurationMs: pick('breakDurationMs', breakMs),
    halfOpenMaxAttempts: pick('halfOpenMaxAttempts', (name, v) => validateInteger(name, v, 1)),
    halfOpenSuccessThreshold: pick('halfOpenSuccessThreshold', (name, v) => validateInteger(name, v, 1)),
    slowCallDurationMs: resolveSlowCallDuration(obj, f('slowCallDurationMs'), base.slowCallDurationMs),
    slowCallRateThreshold: pick('slowCallRateThreshold', rate),
  });
}

// `undefined` is a real value here (detection off), so presence of the key decides, not its value.
function resolveSlowCallDuration(
  obj: Record<string, unknown>,
  name: string,
  base: number | undefined,
): number | undefined {
  if (!Object.prototype.hasOwnProperty.call(obj, 'slowCallDurationMs')) return base;
  const v = obj.slowCallDurationMs;
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new InvalidConfigurationError(
      name,
      v,
      'a duration in ms > 0, or undefined/null to disable slow-call detection',
    );
  }
  return v;
}
