import { FailureWindow } from './FailureWindow.js';
import type { CircuitBreakerMode, CircuitBreakerOptions } from './ICircuitBreaker.js';

/** Why a closed circuit opens, as carried by the `stateChanged` event's `reason`. @internal */
export type TripReason = 'failure-threshold' | 'failure-rate' | 'slow-call-rate';

/**
 * The tripping rule of one {@link CircuitBreakerMode}, fed every outcome of a current
 * closed-state call. This base keeps what every mode counts — a sliding {@link FailureWindow}
 * (calls, failures, slow calls) and the failure streak, which statistics and snapshots read
 * whatever the mode — and the slow-call rule all modes share; each subclass decides its own
 * failure rule ({@link shouldTrip}).
 *
 * One rule object per breaker, so the breaker's calls on it stay monomorphic; `reconfigure` to
 * another mode builds the new mode's rule from the current one, which hands over its counts.
 * The streak expires when its newest failure leaves the sampling window. Recording and
 * deciding are O(1) and allocate nothing: the breaker calls them on the hot path.
 * @internal
 */
export abstract class TripRule {
  /** The mode this rule implements. */
  abstract readonly mode: CircuitBreakerMode;
  /**
   * Whether a success can make {@link shouldTrip} answer (rate rules, slow-call detection, or
   * a threshold lowered below the counts): the breaker only asks after a success when true.
   */
  abstract readonly checksOnSuccess: boolean;
  /** The windowed counts, as of the last record or `advance`. */
  readonly window: FailureWindow;
  private streakLength = 0;
  private streakLastAt = 0;
  private windowMs: number;
  /** Whether slow-call detection is on (`slowCallDurationMs` set). */
  protected slowEnabled = false;
  protected minimumThroughput = 0;
  private slowCallRateThreshold = 0;

  /**
   * @param options - resolved options.
   * @param previous - the rule this one replaces (another mode): its counts carry on here.
   */
  protected constructor(options: Readonly<CircuitBreakerOptions>, previous?: TripRule) {
    if (previous === undefined) {
      this.window = new FailureWindow(options.samplingWindowMs, options.windowBuckets);
      this.windowMs = options.samplingWindowMs;
    } else {
      this.window = previous.window;
      this.windowMs = previous.windowMs;
      this.streakLength = previous.streakLength;
      this.streakLastAt = previous.streakLastAt;
    }
    this.applySlowCallRule(options);
  }

  /** The reason to open now, from the counts as of the last record at `now`; `undefined` to stay closed. */
  abstract shouldTrip(now: number): TripReason | undefined;

  /** `windowFailures` of the statistics at `now` (the streak in `consecutive` mode). */
  abstract windowFailures(now: number): number;

  /** Takes this mode's thresholds from `options`. */
  protected abstract configure(options: Readonly<CircuitBreakerOptions>): void;

  /** Records a success at `now`; `slow` when at least `slowCallDurationMs` (detection on). It ends the streak. */
  recordSuccess(now: number, slow: boolean): void {
    this.window.record(now, false, slow);
    this.streakLength = 0;
  }

  /** Records a downstream failure at `now`; it extends the streak (or starts one, when the last expired). */
  recordFailure(now: number): void {
    this.window.record(now, true, false);
    this.streakLength = this.streakAt(now) + 1;
    this.streakLastAt = now;
  }

  /** The streak at `now`: 0 once its newest failure left the sampling window. */
  streakAt(now: number): number {
    return this.streakLength > 0 && now - this.streakLastAt >= this.windowMs ? 0 : this.streakLength;
  }

  /** Sets the streak to `length` failures, the newest at `now` (a restored snapshot). */
  setStreak(length: number, now: number): void {
    this.streakLength = length;
    this.streakLastAt = now;
  }

  /** Forgets the window counts and the streak (the circuit closed). */
  reset(): void {
    this.window.clear();
    this.streakLength = 0;
  }

  /**
   * Takes new thresholds and window geometry in place: window counts are re-bucketed (see
   * `FailureWindow.reconfigure`); the streak is kept and expires by the new window length.
   */
  reconfigure(options: Readonly<CircuitBreakerOptions>, now: number): void {
    this.window.reconfigure(options.samplingWindowMs, options.windowBuckets, now);
    this.windowMs = options.samplingWindowMs;
    this.applySlowCallRule(options);
    this.configure(options);
  }

  /**
   * The slow-call rule of every mode: with detection on and at least `minimumThroughput` calls
   * in the window, slow calls reached `slowCallRateThreshold` of them.
   */
  protected slowCallRateReached(): boolean {
    const w = this.window;
    return this.slowEnabled && w.calls >= this.minimumThroughput && w.slowCalls / w.calls >= this.slowCallRateThreshold;
  }

  private applySlowCallRule(options: Readonly<CircuitBreakerOptions>): void {
    this.slowEnabled = options.slowCallDurationMs !== undefined;
    this.minimumThroughput = options.minimumThroughput;
    this.slowCallRateThreshold = options.slowCallRateThreshold;
  }
}
