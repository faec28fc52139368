import { SdkCompatibility } from '../compat/SdkCompatibility.js';
import type { CircuitBreakerOptions } from './ICircuitBreaker.js';
import { TripRule } from './TripRule.js';
import type { TripReason } from './TripRule.js';

/**
 * `count` mode: trips when `failureThreshold` failures are in the sampling window
 * (`failure-threshold`), successes notwithstanding. Slow calls trip by rate as in every mode
 * (`slow-call-rate`).
 * @internal
 */
@SdkCompatibility('6.0.0')
export class CountTripRule extends TripRule {
  readonly mode = 'count';
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

  shouldTrip(_now: number): TripReason | undefined {
    if (this.window.failures >= this.failureThreshold) return 'failure-threshold';
    return this.slowCallRateReached() ? 'slow-call-rate' : undefined;
  }

  windowFailures(now: number): number {
    this.window.advance(now);
    return this.window.failures;
  }

  protected configure(options: Readonly<CircuitBreakerOptions>): void {
    this.failureThreshold = options.failureThreshold;
    // A success adds no failure: successes are only checked with slow-call detection on.
    this.checksOnSuccess = this.slowEnabled;
  }
}
