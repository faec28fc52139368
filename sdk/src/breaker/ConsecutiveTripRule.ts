import { SdkCompatibility } from '../compat/SdkCompatibility.js';
import type { CircuitBreakerOptions } from './ICircuitBreaker.js';
import { TripRule } from './TripRule.js';
import type { TripReason } from './TripRule.js';

/**
 * `consecutive` mode: trips after `failureThreshold` failures in a row (`failure-threshold`).
 * A success ends the streak; so does time, once its newest failure left the sampling window.
 * Slow calls trip by rate as in every mode (`slow-call-rate`).
 * @internal
 */
@SdkCompatibility('6.0.0')
export class ConsecutiveTripRule extends TripRule {
  readonly mode = 'consecutive';
  checksOnSuccess = false;
  private failureThreshold = 0;

  /**
   * @param options - resolved options.
   * @param previous - the rule of another mode this one replaces (its counts carry on).
   */
  constructor(options: Readonly<CircuitBreakerOptions>, previous?: TripRule) {
    super(options, previous);
    this.configure(options);
  }

  shouldTrip(now: number): TripReason | undefined {
    if (this.streakAt(now) >= this.failureThreshold) return 'failure-threshold';
    return this.slowCallRateReached() ? 'slow-call-rate' : undefined;
  }

  windowFailures(now: number): number {
    return this.streakAt(now);
  }

  protected configure(options: Readonly<CircuitBreakerOptions>): void {
    this.failureThreshold = options.failureThreshold;
    // A success ends the streak: only the slow-call rule can trip on one.
    this.checksOnSuccess = this.slowEnabled;
  }
}
