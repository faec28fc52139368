/*
 * The breaker's states as small integers: they index CIRCUIT_STATES, and a number keeps the
 * hot-path test (`code === CLOSED`) a single comparison. Internal to the breaker units.
 */

/** @internal */
export const CLOSED = 0;
/** @internal */
export const OPEN = 1;
/** @internal */
export const HALF_OPEN = 2;
/** @internal */
export const ISOLATED = 3;

/** One of the state codes above. @internal */
export type StateCode = typeof CLOSED | typeof OPEN | typeof HALF_OPEN | typeof ISOLATED;
