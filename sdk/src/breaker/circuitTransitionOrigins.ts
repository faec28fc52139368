import type { CircuitTransitionOrigin } from './ICircuitBreaker.js';

/**
 * Every {@link CircuitTransitionOrigin}, for validation and documentation: `local`, `remote`,
 * `operator`, `adaptation`.
 * @since 6.0.0
 */
export const CIRCUIT_TRANSITION_ORIGINS: readonly CircuitTransitionOrigin[] = Object.freeze([
  'local',
  'remote',
  'operator',
  'adaptation',
]);
