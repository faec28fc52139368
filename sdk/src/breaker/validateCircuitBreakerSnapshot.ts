import type { CircuitBreakerSnapshot, CircuitState } from './ICircuitBreaker.js';
import {
  rejectUnknownKeys,
  validateDuration,
  validateEnum,
  validateInteger,
  validateObject,
} from '../config/validate.js';
import { InvalidConfigurationError } from '../errors/errors.js';
import { MAX_BREAK_DURATION_MS } from './CircuitBreakerOptions.js';

/** The circuit states, in the order of their internal codes. @since 6.0.0 */
export const CIRCUIT_STATES: readonly CircuitState[] = Object.freeze(['closed', 'open', 'half-open', 'isolated']);

const SNAPSHOT_KEYS = Object.freeze(['state', 'remainingBreakMs', 'consecutiveFailures', 'reason']);

/** Longest reason string kept (a snapshot can come from another node). */
const MAX_REASON_LENGTH = 256;

/**
 * Validates a {@link CircuitBreakerSnapshot} (for example one received from another node)
 * and returns it typed. `remainingBreakMs` must be a duration in `[0, MAX_BREAK_DURATION_MS]`
 * (365 days, the longest break configuration allows) for `open` (any duration >= 0, or
 * `Infinity`, otherwise); `consecutiveFailures` an integer >= 0; `reason` a string of at most
 * 256 characters.
 * @throws {@link InvalidConfigurationError} naming the field, e.g. `snapshot.state`.
 * @since 6.0.0
 */
export function validateCircuitBreakerSnapshot(input: unknown, field = 'snapshot'): CircuitBreakerSnapshot {
  const obj = validateObject(field, input);
  rejectUnknownKeys(field, obj, SNAPSHOT_KEYS);
  const state = validateEnum(`${field}.state`, obj.state, CIRCUIT_STATES);
  const remainingBreakMs = validateDuration(`${field}.remainingBreakMs`, obj.remainingBreakMs, 0, state !== 'open');
  if (state === 'open' && remainingBreakMs > MAX_BREAK_DURATION_MS) {
    throw new InvalidConfigurationError(
      `${field}.remainingBreakMs`,
      remainingBreakMs,
      `a duration in ms <= ${MAX_BREAK_DURATION_MS} (365 days) for state 'open'`,
    );
  }
  const consecutiveFailures = validateInteger(`${field}.consecutiveFailures`, obj.consecutiveFailures, 0);
  const reason = obj.reason;
  if (typeof reason !== 'string' || reason.length > MAX_REASON_LENGTH) {
    throw new InvalidConfigurationError(
      `${field}.reason`,
      reason,
      `a string of at most ${MAX_REASON_LENGTH} characters`,
    );
  }
  return { state, remainingBreakMs, consecutiveFailures, reason };
}
