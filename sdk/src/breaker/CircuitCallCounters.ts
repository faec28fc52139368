import type { CircuitBreakerStatistics, CircuitState } from './ICircuitBreaker.js';

/** What the breaker knows at the time of a statistics read, besides the counters. @internal */
export interface CircuitStatisticsView {
  readonly state: CircuitState;
  /** The ticket the next admitted call gets (tickets count admitted calls). */
  readonly nextTicket: number;
  readonly windowFailures: number;
  readonly windowCalls: number;
  readonly halfOpenInFlight: number;
  readonly stateEnteredAt: number;
  readonly now: number;
}

/**
 * The running totals of a breaker since creation or the last `restore` — every outcome,
 * current or stale, and every rejection — and the {@link CircuitBreakerStatistics} built from
 * them. Plain public fields, bumped by the breaker without a call. Calls asking for permission
 * are not counted one by one: each is either admitted (and takes the next ticket) or rejected,
 * so `totalCalls` is the tickets issued since `firstTicket` plus the rejections — which keeps
 * `tryAcquirePermission` free of any statistics work.
 * @internal
 */
export class CircuitCallCounters {
  /** The first ticket of this count (the next ticket at creation or the last restore). */
  firstTicket = 1;
  successfulCalls = 0;
  failedCalls = 0;
  /** Calls refused with `CircuitOpenError`. */
  rejectedCalls = 0;
  slowCalls = 0;
  /** Times the circuit opened. */
  openedCount = 0;
  /**
   * `clock.now()` of the last failure / success; NaN for none. Number-only fields: storing a
   * fractional time into a field that may hold `undefined` would box it on every call.
   */
  lastFailureAt = NaN;
  lastSuccessAt = NaN;

  /** Counts a success at `now` (and a slow call when `slow`). */
  success(now: number, slow: boolean): void {
    this.successfulCalls++;
    this.lastSuccessAt = now;
    if (slow) this.slowCalls++;
  }

  /** Counts a downstream failure at `now`. */
  failure(now: number): void {
    this.failedCalls++;
    this.lastFailureAt = now;
  }

  /**
   * Starts over (a restored snapshot) from ticket `nextTicket`; `openedCount` is 1 when it
   * restored an open circuit.
   */
  restart(nextTicket: number, openedCount: number): void {
    this.firstTicket = nextTicket;
    this.successfulCalls = this.failedCalls = this.rejectedCalls = this.slowCalls = 0;
    this.lastFailureAt = this.lastSuccessAt = NaN;
    this.openedCount = openedCount;
  }

  /** The statistics: these totals plus what `view` says of the state and the window. */
  report(view: CircuitStatisticsView): CircuitBreakerStatistics {
    return {
      state: view.state,
      totalCalls: view.nextTicket - this.firstTicket + this.rejectedCalls,
      successfulCalls: this.successfulCalls,
      failedCalls: this.failedCalls,
      rejectedCalls: this.rejectedCalls,
      slowCalls: this.slowCalls,
      windowFailures: view.windowFailures,
      windowCalls: view.windowCalls,
      halfOpenInFlight: view.halfOpenInFlight,
      lastFailureAt: Number.isNaN(this.lastFailureAt) ? undefined : this.lastFailureAt,
      lastSuccessAt: Number.isNaN(this.lastSuccessAt) ? undefined : this.lastSuccessAt,
      stateEnteredAt: view.stateEnteredAt,
      timeInStateMs: view.now - view.stateEnteredAt,
      openedCount: this.openedCount,
    };
  }
}
