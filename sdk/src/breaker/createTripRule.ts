import type { CircuitBreakerOptions } from './ICircuitBreaker.js';
import { ConsecutiveTripRule } from './ConsecutiveTripRule.js';
import { CountTripRule } from './CountTripRule.js';
import { RateTripRule } from './RateTripRule.js';
import type { TripRule } from './TripRule.js';

/**
 * The rule object of `options.mode`; built from `previous` (the rule of the mode being
 * replaced), it carries on with its window counts and streak.
 * @internal
 */
export function createTripRule(options: Readonly<CircuitBreakerOptions>, previous?: TripRule): TripRule {
  switch (options.mode) {
    case 'consecutive':
      return new ConsecutiveTripRule(options, previous);
    case 'count':
      return new CountTripRule(options, previous);
    case 'rate':
      return new RateTripRule(options, previous);
  }
}
