import { SdkCompatibility } from '../compat/SdkCompatibility.js';
import type { CircuitBreakerOptions } from './ICircuitBreaker.js';
import { TripRule } from './TripRule.js';
import type { TripReason } from './TripRule.js';

/**
 * `rate` mode: once at least `minimumThroughput` calls are in the sampling window, trips when
 * failures reach `failureRateThreshold` of them (`failure-rate`) — also on a success, which may
 * complete the minimum. Slow calls trip by rate as in every mode (`slow-call-rate`).
 * @internal
 */
@SdkCompatibility('6.0.0')
export class RateTripRule extends TripRule {
  readonly mode = 'rate';
  readonly checksOnSuccess = true;
  private failureRateThreshold = 1;

  /**
   * @param options - resolved options.
   * @param previous - the rule of another mode this one replaces (its counts carry on).
   */
  constructor(options: Readonly<CircuitBreakerOptions>, previous?: TripRule) {
    super(options, previous);
    this.configure(options);
  }

  shouldTrip(_now: number): TripReason | undefined {
    const w = this.window;
    if (w.calls >= this.minimumThroughput && w.failures / w.calls >= this.failureRateThreshold) return 'failure-rate';
    return this.slowCallRateReached() ? 'slow-call-rate' : undefined;
  }

  windowFailures(now: number): number {
    this.window.advance(now);
    return this.window.failures;
  }

  protected configure(options: Readonly<CircuitBreakerOptions>): void {
    this.failureRateThreshold = options.failureRateThreshold;
  }
}
