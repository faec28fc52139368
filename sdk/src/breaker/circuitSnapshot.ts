import type { CircuitBreakerSnapshot } from './ICircuitBreaker.js';
import { OPEN } from './circuitStateCodes.js';
import type { StateCode } from './circuitStateCodes.js';
import { CIRCUIT_STATES, validateCircuitBreakerSnapshot } from './validateCircuitBreakerSnapshot.js';

/** What `restore` puts in place, read from a validated snapshot. @internal */
export interface RestorePlan {
  readonly code: StateCode;
  /** The break from now, for `open`; 0 otherwise. */
  readonly breakMs: number;
  readonly streak: number;
  readonly reason: string;
}

/**
 * The serializable state of a breaker at `now`: an open break as the (relative) time left,
 * since the receiving clock may differ.
 * @internal
 */
export function snapshotOf(
  code: StateCode,
  openUntil: number,
  streak: number,
  reason: string,
  now: number,
): CircuitBreakerSnapshot {
  return {
    state: CIRCUIT_STATES[code]!,
    remainingBreakMs: code === OPEN ? Math.max(0, openUntil - now) : 0,
    consecutiveFailures: streak,
    reason,
  };
}

/**
 * Validates `snapshot` (which may come from another node) and says what restoring it means.
 * @throws {@link InvalidConfigurationError} naming `snapshot.<field>`.
 * @internal
 */
export function planRestore(snapshot: unknown): RestorePlan {
  const snap = validateCircuitBreakerSnapshot(snapshot);
  const code = CIRCUIT_STATES.indexOf(snap.state) as StateCode;
  return {
    code,
    breakMs: code === OPEN ? snap.remainingBreakMs : 0,
    streak: snap.consecutiveFailures,
    reason: snap.reason,
  };
}
