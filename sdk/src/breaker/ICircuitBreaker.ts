import { createServiceToken } from '../di/ServiceToken.js';
import type { EventEmitter } from 'eventemitter3';
import type { CircuitOpenError } from '../errors/errors.js';

/**
 * Circuit states. `isolated` is an operator hold (forced open): it rejects every call and
 * does not move to half-open on its own; only `reset()` leaves it.
 * @since 6.0.0
 */
export type CircuitState = 'closed' | 'open' | 'half-open' | 'isolated';

/**
 * How failures trip the circuit:
 * - `consecutive`: `failureThreshold` failures in a row (a success resets the streak; the
 *   streak also expires when its newest failure leaves the sampling window).
 * - `count`: `failureThreshold` failures within the sampling window.
 * - `rate`: a failure rate of at least `failureRateThreshold` within the sampling window, once
 *   at least `minimumThroughput` calls were recorded in it.
 * @since 6.0.0
 */
export type CircuitBreakerMode = 'consecutive' | 'count' | 'rate';

/**
 * Options of a circuit breaker. Every field is optional on input; the resolved form has all.
 * @since 6.0.0
 */
export interface CircuitBreakerOptions {
  /** Tripping rule. Default `consecutive`. */
  readonly mode: CircuitBreakerMode;
  /** Failures that trip the circuit (`consecutive` and `count`). Integer >= 1. Default 5. */
  readonly failureThreshold: number;
  /** Failure (and slow-call) rate that trips the circuit in `rate` mode, in (0, 1]. Default 0.5. */
  readonly failureRateThreshold: number;
  /** Calls needed in the window before `rate` mode may trip. Integer >= 1. Default 10. */
  readonly minimumThroughput: number;
  /** Length of the time window failures are counted in, ms > 0. Default 60 000. */
  readonly samplingWindowMs: number;
  /** Buckets the window is split into (resolution of expiry). Integer 1..1000. Default 10. */
  readonly windowBuckets: number;
  /** How long the circuit stays open before admitting probes (the reset timeout), ms > 0. Default 30 000. */
  readonly breakDurationMs: number;
  /** Concurrent probe calls admitted in half-open. Integer >= 1. Default 1. */
  readonly halfOpenMaxAttempts: number;
  /**
   * Successful probes needed to close (gradual recovery when > 1). Integer >= 1, and
   * probes are admitted `halfOpenMaxAttempts` at a time until this many succeeded. Default 1.
   */
  readonly halfOpenSuccessThreshold: number;
  /**
   * A success slower than this counts as a slow call; `undefined` (default) disables
   * slow-call detection. ms > 0.
   */
  readonly slowCallDurationMs: number | undefined;
  /**
   * Rate of slow calls in the window (with `minimumThroughput`) that trips the circuit,
   * in (0, 1]. Default 1 (only when every call is slow).
   */
  readonly slowCallRateThreshold: number;
}

/** Statistics of a breaker since creation (or the last `restore`). @since 6.0.0 */
export interface CircuitBreakerStatistics {
  readonly state: CircuitState;
  /** Calls that asked for permission. */
  readonly totalCalls: number;
  readonly successfulCalls: number;
  readonly failedCalls: number;
  /** Calls refused with `CircuitOpenError`. */
  readonly rejectedCalls: number;
  /** Successes slower than `slowCallDurationMs`. */
  readonly slowCalls: number;
  /** Failures currently counted in the sampling window (or the current streak in `consecutive`). */
  readonly windowFailures: number;
  /** Calls currently counted in the sampling window. */
  readonly windowCalls: number;
  /** Probe calls currently running. */
  readonly halfOpenInFlight: number;
  /** `clock.now()` of the last failure / success, `undefined` if none. */
  readonly lastFailureAt: number | undefined;
  readonly lastSuccessAt: number | undefined;
  /** `clock.now()` when the current state was entered, and ms spent in it so far. */
  readonly stateEnteredAt: number;
  readonly timeInStateMs: number;
  /** Times the circuit opened. */
  readonly openedCount: number;
}

/**
 * What caused a transition, carried by every `stateChanged` event so that listeners can tell
 * transitions apart without shared flags:
 * - `local`: this breaker's own calls — an outcome tripped or closed it, or the lazy
 *   `open → half-open` ran because the break elapsed (on a call, `refresh`, or a read such
 *   as `getStatistics`).
 * - `remote`: another node's state applied here (the distributed circuit state); such a
 *   transition is not re-published.
 * - `operator`: `trip`, `tripFor`, `isolate`, `reset` or `restore` without an explicit origin.
 * - `adaptation`: caused by the adaptive thresholds. `reconfigure` never transitions, so no
 *   transition carries it today; the value is reserved for callers that say so explicitly.
 * @since 6.0.0
 */
export type CircuitTransitionOrigin = 'local' | 'remote' | 'operator' | 'adaptation';

/** Payload of the `stateChanged` event. @since 6.0.0 */
export interface CircuitStateChange {
  readonly name: string;
  readonly previousState: CircuitState;
  readonly newState: CircuitState;
  /** Why, e.g. `failure-threshold`, `failure-rate`, `slow-call-rate`, `break-elapsed`, `probe-succeeded`, `probe-failed`, `manual-trip`, `manual-reset`, `isolated`, `restored`, or a caller-given reason. */
  readonly reason: string;
  /** `clock.now()` of the transition. */
  readonly timestamp: number;
  /** For transitions to `open`: ms until probes are admitted. */
  readonly breakDurationMs?: number;
  /** What caused the transition (see {@link CircuitTransitionOrigin}). @since 6.0.0 */
  readonly origin: CircuitTransitionOrigin;
}

/** Events of a breaker. @since 6.0.0 */
export interface CircuitBreakerEvents {
  /** Emitted after the new state is fully in place (statistics consistent); `origin` says what caused it. */
  stateChanged: (change: CircuitStateChange) => void;
  /** A `stateChanged` listener threw; the breaker caught it and stayed consistent. */
  listenerError: (error: unknown) => void;
}

/** Serializable state of a breaker, for persistence and state transfer. @since 6.0.0 */
export interface CircuitBreakerSnapshot {
  readonly state: CircuitState;
  /** For `open`: ms left of the break when the snapshot was taken (relative: clocks differ). */
  readonly remainingBreakMs: number;
  readonly consecutiveFailures: number;
  readonly reason: string;
}

/**
 * Permission handed out by {@link ICircuitBreaker.acquirePermission}; pass it back to exactly one
 * of `recordSuccess`, `recordFailure` or `releasePermission`. A plain number so the hot path
 * allocates nothing.
 * @since 6.0.0
 */
export type CircuitPermit = number;

/**
 * A circuit breaker. The low-level protocol is `acquirePermission` → run the call → exactly one
 * of `recordSuccess` / `recordFailure` / `releasePermission` (for outcomes that are not the
 * downstream's fault, such as the caller aborting); `execute` wraps that protocol.
 * @since 6.0.0
 */
export interface ICircuitBreaker {
  readonly name: string;
  /**
   * The current state, as a plain read: it never transitions and never emits. An `open`
   * circuit whose break has elapsed still reads `open` until something moves it — the next
   * call (`acquirePermission`), `refresh()`, `retryAfterMs()`, `getStatistics()` or `snapshot()`.
   */
  readonly state: CircuitState;
  /** The resolved, frozen options in force. */
  readonly options: Readonly<CircuitBreakerOptions>;
  /** Typed events (eventemitter3). */
  readonly events: EventEmitter<CircuitBreakerEvents>;

  /**
   * Asks to run one call. Returns a permit, or throws {@link CircuitOpenError} (with
   * `retryAfterMs`) when open, isolated, or half-open with every probe slot taken.
   */
  acquirePermission(): CircuitPermit;
  /**
   * Like `acquirePermission`, but returns the {@link CircuitOpenError} instead of throwing it
   * (the hot path of an open circuit: a throw costs more than the rest of the rejection).
   * `nowMs` is the caller's reading of the breaker's clock, when it has one.
   */
  tryAcquirePermission(nowMs?: number): CircuitPermit | CircuitOpenError;
  /**
   * Records a success of the call holding `permit`, taking `durationMs`. `nowMs` is the
   * caller's reading of the breaker's clock, when it has one (saves a clock read).
   */
  recordSuccess(permit: CircuitPermit, durationMs: number, nowMs?: number): void;
  /** Records a downstream failure of the call holding `permit` (`nowMs` as for `recordSuccess`). */
  recordFailure(permit: CircuitPermit, durationMs: number, nowMs?: number): void;
  /** Gives the permit back without an outcome (caller abort, ignored error). */
  releasePermission(permit: CircuitPermit): void;

  /**
   * Runs `operation` under the breaker. Errors for which `isFailure` (default: every error
   * except an abort by `signal`) returns false are passed through without counting.
   * @throws {@link CircuitOpenError} when the call is not admitted.
   */
  execute<T>(operation: () => Promise<T> | T, isFailure?: (error: unknown) => boolean): Promise<T>;

  /**
   * Brings the state up to date with the time: an `open` circuit whose break has elapsed at
   * `nowMs` (default: the breaker's clock) moves to `half-open` and emits `stateChanged` with
   * `origin` (default `local`); otherwise nothing happens. Calls do this by themselves
   * (`acquirePermission` refreshes first), so only code that reads `state` without making a
   * call — reports, state sync — needs it.
   * @example
   * ```ts
   * breaker.refresh();
   * report.state = breaker.state;
   * ```
   * @throws {@link InvalidConfigurationError} for an unknown origin.
   * @since 6.0.0
   */
  refresh(nowMs?: number, origin?: CircuitTransitionOrigin): void;
  /** Opens the circuit now, for one break duration (reason recorded; origin default `operator`). */
  trip(reason?: string, origin?: CircuitTransitionOrigin): void;
  /** Opens for a given duration (used to apply a remote node's open state, with origin `remote`; default `operator`). */
  tripFor(durationMs: number, reason?: string, origin?: CircuitTransitionOrigin): void;
  /** Operator hold: rejects everything until `reset()` (origin default `operator`). */
  isolate(reason?: string, origin?: CircuitTransitionOrigin): void;
  /** Closes the circuit and clears the window counts (origin default `operator`). */
  reset(reason?: string, origin?: CircuitTransitionOrigin): void;
  /** Changes options in place: state, window counts and in-flight probes are kept. @throws {@link InvalidConfigurationError} */
  reconfigure(options: Partial<CircuitBreakerOptions>): void;
  /** Milliseconds until the next probe may be admitted (0 when closed; `Infinity` when isolated). */
  retryAfterMs(): number;
  getStatistics(): CircuitBreakerStatistics;
  snapshot(): CircuitBreakerSnapshot;
  /** Restores a snapshot (emits `stateChanged` with `origin`, default `operator`, when the state differs). */
  restore(snapshot: CircuitBreakerSnapshot, origin?: CircuitTransitionOrigin): void;
  /** Cancels the break timer and removes listeners. */
  dispose(): void;
}

/** DI token for a circuit breaker factory or instance. @since 6.0.0 */
export const CircuitBreakerToken = createServiceToken<ICircuitBreaker>('datawarehouse.sdk.ICircuitBreaker');
