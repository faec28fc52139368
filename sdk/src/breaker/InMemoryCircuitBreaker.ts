import { EventEmitter } from 'eventemitter3';
import type {
  CircuitBreakerEvents,
  CircuitBreakerOptions,
  CircuitBreakerSnapshot,
  CircuitBreakerStatistics,
  CircuitPermit,
  CircuitState,
  CircuitStateChange,
  ICircuitBreaker,
} from './ICircuitBreaker.js';
import { SdkCompatibility } from '../compat/SdkCompatibility.js';
import { validateDuration, validateString } from '../config/validate.js';
import { withoutStack } from '../errors/DataWarehouseError.js';
import { CircuitOpenError, InvalidConfigurationError, isAbortError } from '../errors/errors.js';
import { markPipelineRejection } from '../errors/pipelineRejection.js';
import type { Clock } from '../time/Clock.js';
import { systemClock } from '../time/Clock.js';
import { resolveCircuitBreakerOptions } from './CircuitBreakerOptions.js';
import { FailureWindow } from './FailureWindow.js';
import { ProbeSlots } from './ProbeSlots.js';
import { CIRCUIT_STATES, validateCircuitBreakerSnapshot } from './validateCircuitBreakerSnapshot.js';

export {
  CIRCUIT_BREAKER_MODES,
  CIRCUIT_BREAKER_OPTION_KEYS,
  DEFAULT_CIRCUIT_BREAKER_OPTIONS,
  MAX_BREAK_DURATION_MS,
  resolveCircuitBreakerOptions,
} from './CircuitBreakerOptions.js';
export { CIRCUIT_STATES, validateCircuitBreakerSnapshot } from './validateCircuitBreakerSnapshot.js';

// State codes index CIRCUIT_STATES; numbers keep the hot-path test a single comparison.
const CLOSED = 0;
const OPEN = 1;
const HALF_OPEN = 2;
const ISOLATED = 3;
type StateCode = typeof CLOSED | typeof OPEN | typeof HALF_OPEN | typeof ISOLATED;

const MODE_CONSECUTIVE = 0;
const MODE_COUNT = 1;
const MODE_RATE = 2;

const SUCCESS = 0;
const FAILURE = 1;
const RELEASE = 2;
type Outcome = typeof SUCCESS | typeof FAILURE | typeof RELEASE;

const notAnAbort = (error: unknown): boolean => !isAbortError(error);

/**
 * A circuit breaker kept in process memory; see {@link ICircuitBreaker} for the protocol and
 * {@link DEFAULT_CIRCUIT_BREAKER_OPTIONS} for the defaults.
 *
 * - **No timers.** `open → half-open` happens lazily when `state`, `acquirePermission`,
 *   `retryAfterMs`, `getStatistics` or `snapshot` is read after the break elapsed (the
 *   `stateChanged` event then carries the time of that read). Nothing can leak.
 * - **Permits** are ticket numbers, strictly increasing over the breaker's life (exact for
 *   2^53 calls). Every state change (and `reset`, `restore`, `trip`, `tripFor`) starts a new
 *   epoch at the next ticket, so a permit below the epoch start is *stale*: its outcome
 *   updates the total statistics only — it never enters the window, drives a transition or
 *   frees a probe slot.
 * - **Double outcomes.** A half-open probe is freed by its first outcome only: a second one
 *   finds no slot and is ignored entirely. Closed-state permits carry no per-call state (that
 *   is what keeps the hot path allocation-free), so recording one (or a stale permit) twice
 *   counts twice — a protocol violation the breaker cannot detect.
 * - **Probes.** At most `halfOpenMaxAttempts` at once; a failed probe re-opens for a full
 *   break (`probe-failed`), as does a *slow* successful probe (`probe-slow`, when slow-call
 *   detection is on); after `halfOpenSuccessThreshold` successes it closes.
 * - **Window.** Counts are cleared when the circuit closes (from half-open, `reset` or
 *   `restore`), kept while it opens (so statistics show what tripped it). Outcomes are only
 *   counted in the window while closed.
 * - **`trip`/`tripFor` while isolated** are no-ops: only `reset` lifts an operator hold.
 * - **Events** are emitted once the new state is fully in place, only when someone listens.
 *   A throwing `stateChanged` listener is caught and reported as `listenerError` (a throwing
 *   `listenerError` listener is swallowed); as eventemitter3 stops at the throwing listener,
 *   the listeners after it miss that one event. Listeners may call back into the breaker.
 * - **`dispose()`** removes the listeners and stops emitting events; the breaker otherwise
 *   keeps working, so permits still in flight can be settled safely.
 *
 * @example
 * ```ts
 * const breaker = new InMemoryCircuitBreaker('orders-db', { mode: 'rate', minimumThroughput: 20 });
 * const rows = await breaker.execute(() => db.query(sql));
 * ```
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class InMemoryCircuitBreaker implements ICircuitBreaker {
  /** Typed events: `stateChanged`, `listenerError`. */
  readonly events = new EventEmitter<CircuitBreakerEvents>();
  readonly name: string;

  private opts: Readonly<CircuitBreakerOptions>;
  private code: StateCode = CLOSED;
  private reasonText = 'created';
  private stateEnteredAt: number;
  private nextTicket = 1;
  private epochStart = 1;
  private openUntil = 0;
  /** Whether the current break is `breakDurationMs` long (re-anchored by `reconfigure`). */
  private breakFollowsOptions = false;
  private readonly window: FailureWindow;
  private readonly probes: ProbeSlots;
  private probeSuccesses = 0;
  private streak = 0;
  private streakLastAt = 0;
  private disposed = false;

  // Derived from the options by apply(); read on the hot path.
  private modeCode = MODE_CONSECUTIVE;
  private slowEnabled = false;
  private slowMs = Infinity;
  private checkOnSuccess = false;

  private totalCalls = 0;
  private successfulCalls = 0;
  private failedCalls = 0;
  private rejectedCalls = 0;
  private slowCalls = 0;
  private openedCount = 0;
  private lastFailureAt: number | undefined = undefined;
  private lastSuccessAt: number | undefined = undefined;

  /**
   * @param name - the circuit's name (usually the strategy id); non-empty, at most 256 characters.
   * @param options - partial options over {@link DEFAULT_CIRCUIT_BREAKER_OPTIONS}.
   * @param clock - time source. Default {@link systemClock}.
   * @throws {@link InvalidConfigurationError} for a bad name, option (`circuitBreaker.<field>`) or clock.
   */
  constructor(name: string, options: Partial<CircuitBreakerOptions> = {}, private readonly clock: Clock = systemClock) {
    this.name = validateString('name', name, 256);
    if (typeof clock !== 'object' || clock === null || typeof clock.now !== 'function') {
      throw new InvalidConfigurationError('clock', clock, 'a Clock');
    }
    this.opts = resolveCircuitBreakerOptions(options);
    this.window = new FailureWindow(this.opts.samplingWindowMs, this.opts.windowBuckets);
    this.probes = new ProbeSlots(this.opts.halfOpenMaxAttempts);
    this.stateEnteredAt = clock.now();
    this.apply(this.opts);
  }

  /** The current state; reading it may move an elapsed `open` to `half-open`. */
  get state(): CircuitState {
    if (this.code === OPEN) this.refresh(this.clock.now());
    return CIRCUIT_STATES[this.code]!;
  }

  /** The resolved, frozen options in force. */
  get options(): Readonly<CircuitBreakerOptions> {
    return this.opts;
  }

  /**
   * Asks to run one call.
   * @throws {@link CircuitOpenError} (without a stack) when open, isolated, or half-open with
   *   every probe slot taken.
   */
  acquirePermission(): CircuitPermit {
    const permit = this.tryAcquirePermission();
    if (typeof permit !== 'number') throw permit;
    return permit;
  }

  /**
   * Like {@link acquirePermission}, but returns the {@link CircuitOpenError} instead of
   * throwing it: a throw costs more than the whole rejection, which an open circuit must keep
   * cheap. `nowMs` is the caller's reading of the breaker's clock, if it has one.
   */
  tryAcquirePermission(nowMs?: number): CircuitPermit | CircuitOpenError {
    this.totalCalls++;
    if (this.code === CLOSED) return this.nextTicket++;
    return this.acquireWhenNotClosed(nowMs !== undefined && Number.isFinite(nowMs) ? nowMs : this.clock.now());
  }

  /**
   * Records a success of `permit` taking `durationMs` (>= 0; slow when >= `slowCallDurationMs`).
   * `nowMs`, the caller's own clock reading, saves the breaker one (the hot path reads the clock
   * once per outcome).
   * @throws {@link InvalidConfigurationError} for a permit never issued or a bad duration (nothing recorded).
   */
  recordSuccess(permit: CircuitPermit, durationMs: number, nowMs?: number): void {
    if (this.code === CLOSED && permit >= this.epochStart && permit < this.nextTicket && Number.isInteger(permit) && durationMs >= 0) {
      const now = nowMs !== undefined && Number.isFinite(nowMs) ? nowMs : this.clock.now();
      this.successfulCalls++;
      this.lastSuccessAt = now;
      const slow = this.slowEnabled && durationMs >= this.slowMs;
      if (slow) this.slowCalls++;
      this.window.record(now, false, slow);
      this.streak = 0;
      if (this.checkOnSuccess) this.evaluate(now);
      return;
    }
    this.settle(permit, durationMs, SUCCESS);
  }

  /**
   * Records a downstream failure of `permit` (`nowMs` as for {@link recordSuccess}).
   * @throws {@link InvalidConfigurationError} for a permit never issued or a bad duration (nothing recorded).
   */
  recordFailure(permit: CircuitPermit, durationMs: number, nowMs?: number): void {
    if (this.code === CLOSED && permit >= this.epochStart && permit < this.nextTicket && Number.isInteger(permit) && durationMs >= 0) {
      const now = nowMs !== undefined && Number.isFinite(nowMs) ? nowMs : this.clock.now();
      this.failedCalls++;
      this.lastFailureAt = now;
      this.window.record(now, true, false);
      this.streak = this.currentStreak(now) + 1;
      this.streakLastAt = now;
      this.evaluate(now);
      return;
    }
    this.settle(permit, durationMs, FAILURE);
  }

  /**
   * Gives `permit` back without an outcome (caller abort, ignored error); frees a probe slot.
   * @throws {@link InvalidConfigurationError} for a permit never issued.
   */
  releasePermission(permit: CircuitPermit): void {
    // Closed-state calls hold nothing that needs freeing.
    if (this.code === CLOSED && permit >= this.epochStart && permit < this.nextTicket && Number.isInteger(permit)) return;
    this.settle(permit, 0, RELEASE);
  }

  /**
   * Runs `operation` under the breaker. An error for which `isFailure` returns false
   * (default: anything but an `AbortError`) releases the permit instead of counting; if
   * `isFailure` itself throws, the error counts as a failure. The operation's error is rethrown.
   * @throws {@link CircuitOpenError} when not admitted; {@link InvalidConfigurationError} when
   *   `operation` or `isFailure` is not a function.
   */
  async execute<T>(operation: () => Promise<T> | T, isFailure: (error: unknown) => boolean = notAnAbort): Promise<T> {
    if (typeof operation !== 'function') throw new InvalidConfigurationError('operation', operation, 'a function');
    if (typeof isFailure !== 'function') throw new InvalidConfigurationError('isFailure', isFailure, 'a function');
    const permit = this.acquirePermission();
    const start = this.clock.now();
    let value: T;
    try {
      value = await operation();
    } catch (error) {
      const durationMs = Math.max(0, this.clock.now() - start);
      let counts: boolean;
      try {
        counts = Boolean(isFailure(error));
      } catch {
        counts = true; // a broken predicate must not leak the permit
      }
      if (counts) this.recordFailure(permit, durationMs);
      else this.releasePermission(permit);
      throw error;
    }
    this.recordSuccess(permit, Math.max(0, this.clock.now() - start));
    return value;
  }

  /**
   * Opens the circuit now for `breakDurationMs` (restarting the break when already open).
   * A no-op while isolated. Reason default `manual-trip`.
   * @throws {@link InvalidConfigurationError} for a non-string reason.
   */
  trip(reason = 'manual-trip'): void {
    validateString('reason', reason, 256);
    if (this.code === ISOLATED) return;
    this.enter(OPEN, reason, this.clock.now(), this.opts.breakDurationMs, true);
  }

  /**
   * Opens the circuit for exactly `durationMs` from now, replacing any current break (last
   * writer wins: this is how a remote node's open state is applied). A no-op while isolated.
   * `reconfigure` does not re-anchor such a break.
   * @throws {@link InvalidConfigurationError} for a duration that is not finite and >= 0, or a bad reason.
   */
  tripFor(durationMs: number, reason = 'manual-trip'): void {
    validateDuration('durationMs', durationMs, 0);
    validateString('reason', reason, 256);
    if (this.code === ISOLATED) return;
    this.enter(OPEN, reason, this.clock.now(), durationMs, false);
  }

  /**
   * Operator hold: rejects every call (retry-after `Infinity`) until `reset()`. Reason default `isolated`.
   * @throws {@link InvalidConfigurationError} for a bad reason.
   */
  isolate(reason = 'isolated'): void {
    validateString('reason', reason, 256);
    if (this.code === ISOLATED) return;
    this.enter(ISOLATED, reason, this.clock.now(), 0, false);
  }

  /**
   * Closes the circuit and clears the window counts and the streak; calls admitted before
   * become stale. Emits only when the state changes. Reason default `manual-reset`.
   * @throws {@link InvalidConfigurationError} for a bad reason.
   */
  reset(reason = 'manual-reset'): void {
    validateString('reason', reason, 256);
    this.enter(CLOSED, reason, this.clock.now(), 0, false);
  }

  /**
   * Applies a partial of the options in place: state, window counts, streak and probes in
   * flight are kept, and nothing transitions here (new thresholds apply from the next outcome).
   * - Window geometry: counts are re-bucketed by start time (see {@link FailureWindow.reconfigure}).
   * - `breakDurationMs` while open: a break not yet elapsed that came from the options is
   *   re-anchored to `openedAt + new duration` (it may become due at once, then the next read
   *   moves to half-open — never to closed); a `tripFor`/`restore` break keeps its end.
   * - `halfOpenMaxAttempts` lowered below the probes in flight: they finish, no new probe is
   *   admitted until fewer than the new limit run.
   * @throws {@link InvalidConfigurationError} naming `circuitBreaker.<field>`; nothing changes then.
   */
  reconfigure(options: Partial<CircuitBreakerOptions>): void {
    const next = resolveCircuitBreakerOptions(options, 'circuitBreaker', this.opts);
    const now = this.clock.now();
    this.window.reconfigure(next.samplingWindowMs, next.windowBuckets, now);
    this.probes.setLimit(next.halfOpenMaxAttempts);
    if (this.code === OPEN && this.breakFollowsOptions && now < this.openUntil) {
      this.openUntil = this.stateEnteredAt + next.breakDurationMs;
    }
    this.apply(next);
  }

  /** Ms until the next probe may be admitted: 0 when closed or half-open, the rest of the break when open, `Infinity` when isolated. */
  retryAfterMs(): number {
    const now = this.clock.now();
    this.refresh(now);
    return this.retryAfterAt(now);
  }

  /**
   * Statistics since creation or the last `restore`. `totalCalls` counts every
   * `acquirePermission`, admitted or rejected; `windowFailures` is the streak in `consecutive` mode.
   */
  getStatistics(): CircuitBreakerStatistics {
    const now = this.clock.now();
    this.refresh(now);
    this.window.advance(now);
    return {
      state: CIRCUIT_STATES[this.code]!,
      totalCalls: this.totalCalls,
      successfulCalls: this.successfulCalls,
      failedCalls: this.failedCalls,
      rejectedCalls: this.rejectedCalls,
      slowCalls: this.slowCalls,
      windowFailures: this.modeCode === MODE_CONSECUTIVE ? this.currentStreak(now) : this.window.failures,
      windowCalls: this.window.calls,
      halfOpenInFlight: this.probes.inFlight,
      lastFailureAt: this.lastFailureAt,
      lastSuccessAt: this.lastSuccessAt,
      stateEnteredAt: this.stateEnteredAt,
      timeInStateMs: now - this.stateEnteredAt,
      openedCount: this.openedCount,
    };
  }

  /** The serializable state; the remaining break is relative (ms from now). */
  snapshot(): CircuitBreakerSnapshot {
    const now = this.clock.now();
    this.refresh(now);
    return {
      state: CIRCUIT_STATES[this.code]!,
      remainingBreakMs: this.code === OPEN ? Math.max(0, this.openUntil - now) : 0,
      consecutiveFailures: this.currentStreak(now),
      reason: this.reasonText,
    };
  }

  /**
   * Restores a snapshot: the state (an `open` one for its remaining break from now), the
   * streak (expiring one window from now) and reason. Window counts and statistics restart,
   * permits in flight become stale. Emits `stateChanged` (reason `restored`) when the state differs.
   * @throws {@link InvalidConfigurationError} naming `snapshot.<field>`; nothing changes then.
   */
  restore(snapshot: CircuitBreakerSnapshot): void {
    const snap = validateCircuitBreakerSnapshot(snapshot);
    const now = this.clock.now();
    const code = CIRCUIT_STATES.indexOf(snap.state) as StateCode;
    this.totalCalls = this.successfulCalls = this.failedCalls = this.rejectedCalls = this.slowCalls = 0;
    this.lastFailureAt = this.lastSuccessAt = undefined;
    const breakMs = code === OPEN ? snap.remainingBreakMs : 0;
    const previous = this.switchTo(code, snap.reason, now, breakMs, false);
    this.openedCount = code === OPEN ? 1 : 0;
    this.window.clear();
    this.streak = snap.consecutiveFailures;
    this.streakLastAt = now;
    if (previous !== code) this.announce(previous, 'restored', now, breakMs);
  }

  /** Removes every listener and stops emitting events; the breaker itself keeps working. */
  dispose(): void {
    this.disposed = true;
    this.events.removeAllListeners();
  }

  private acquireWhenNotClosed(now: number): CircuitPermit | CircuitOpenError {
    this.refresh(now);
    // A stateChanged listener may have changed the state: read it again.
    if (this.code === CLOSED) return this.nextTicket++;
    if (this.code === HALF_OPEN && this.probes.admit(this.nextTicket)) return this.nextTicket++;
    this.rejectedCalls++;
    const state = CIRCUIT_STATES[this.code]!;
    const retryAfterMs = this.retryAfterAt(now);
    return markPipelineRejection(withoutStack(() => new CircuitOpenError(this.name, state, retryAfterMs)));
  }

  /** Every outcome that is not a current closed-state call: probes, stale permits, bad input. */
  private settle(permit: number, durationMs: number, outcome: Outcome): void {
    if (!Number.isInteger(permit) || permit < 1 || permit >= this.nextTicket) {
      throw new InvalidConfigurationError('permit', permit, 'a permit returned by acquirePermission()');
    }
    if (outcome !== RELEASE && !(durationMs >= 0)) {
      throw new InvalidConfigurationError('durationMs', durationMs, 'a duration in ms >= 0');
    }
    const now = this.clock.now();
    const slow = outcome === SUCCESS && this.slowEnabled && durationMs >= this.slowMs;
    if (permit >= this.epochStart && this.code === HALF_OPEN) {
      if (!this.probes.settle(permit)) return; // second outcome of a settled probe
      this.countTotals(outcome, now, slow);
      if (outcome === FAILURE) this.enter(OPEN, 'probe-failed', now, this.opts.breakDurationMs, true);
      else if (slow) this.enter(OPEN, 'probe-slow', now, this.opts.breakDurationMs, true);
      else if (outcome === SUCCESS && ++this.probeSuccesses >= this.opts.halfOpenSuccessThreshold) {
        this.enter(CLOSED, 'probe-succeeded', now, 0, false);
      }
      return;
    }
    // Stale (an earlier epoch). Current permits of other states never reach here: closed ones
    // take the fast path, and open/isolated issue none.
    this.countTotals(outcome, now, slow);
  }

  private countTotals(outcome: Outcome, now: number, slow: boolean): void {
    if (outcome === SUCCESS) {
      this.successfulCalls++;
      this.lastSuccessAt = now;
      if (slow) this.slowCalls++;
    } else if (outcome === FAILURE) {
      this.failedCalls++;
      this.lastFailureAt = now;
    }
  }

  /** Trips a closed circuit when the window (already advanced to `now`) says so. */
  private evaluate(now: number): void {
    const o = this.opts;
    const w = this.window;
    let reason: string | undefined;
    if (this.modeCode === MODE_CONSECUTIVE) {
      if (this.streak >= o.failureThreshold) reason = 'failure-threshold';
    } else if (this.modeCode === MODE_COUNT) {
      if (w.failures >= o.failureThreshold) reason = 'failure-threshold';
    } else if (w.calls >= o.minimumThroughput && w.failures / w.calls >= o.failureRateThreshold) {
      reason = 'failure-rate';
    }
    if (
      reason === undefined && this.slowEnabled &&
      w.calls >= o.minimumThroughput && w.slowCalls / w.calls >= o.slowCallRateThreshold
    ) {
      reason = 'slow-call-rate';
    }
    if (reason !== undefined) this.enter(OPEN, reason, now, o.breakDurationMs, true);
  }

  /** The streak, or 0 once its newest failure left the sampling window. */
  private currentStreak(now: number): number {
    return this.streak > 0 && now - this.streakLastAt >= this.opts.samplingWindowMs ? 0 : this.streak;
  }

  /** The lazy `open → half-open` transition. */
  private refresh(now: number): void {
    if (this.code === OPEN && now >= this.openUntil) this.enter(HALF_OPEN, 'break-elapsed', now, 0, false);
  }

  private retryAfterAt(now: number): number {
    if (this.code === OPEN) return Math.max(0, this.openUntil - now);
    return this.code === ISOLATED ? Infinity : 0;
  }

  private enter(code: StateCode, reason: string, now: number, breakMs: number, followsOptions: boolean): void {
    const previous = this.switchTo(code, reason, now, breakMs, followsOptions);
    if (previous !== code) this.announce(previous, reason, now, breakMs);
  }

  /** Puts the new state fully in place (no events); returns the previous state. */
  private switchTo(code: StateCode, reason: string, now: number, breakMs: number, followsOptions: boolean): StateCode {
    const previous = this.code;
    this.code = code;
    this.reasonText = reason;
    this.stateEnteredAt = now;
    this.epochStart = this.nextTicket; // everything admitted so far is stale from now on
    this.probes.clear();
    this.probeSuccesses = 0;
    if (code === OPEN) {
      this.openUntil = now + breakMs;
      this.breakFollowsOptions = followsOptions;
      if (previous !== OPEN) this.openedCount++;
    } else if (code === CLOSED) {
      this.window.clear();
      this.streak = 0;
    }
    return previous;
  }

  private announce(previous: StateCode, reason: string, now: number, breakMs: number): void {
    if (this.disposed || this.events.listenerCount('stateChanged') === 0) return;
    const newState = CIRCUIT_STATES[this.code]!;
    const change: CircuitStateChange = {
      name: this.name,
      previousState: CIRCUIT_STATES[previous]!,
      newState,
      reason,
      timestamp: now,
      ...(this.code === OPEN ? { breakDurationMs: breakMs } : {}),
    };
    try {
      this.events.emit('stateChanged', change);
    } catch (error) {
      // eventemitter3 stops at the throwing listener; the breaker is already consistent.
      try {
        this.events.emit('listenerError', error);
      } catch {
        // A throwing error listener is swallowed: nothing may break the breaker.
      }
    }
  }

  private apply(next: Readonly<CircuitBreakerOptions>): void {
    this.opts = next;
    this.modeCode = next.mode === 'consecutive' ? MODE_CONSECUTIVE : next.mode === 'count' ? MODE_COUNT : MODE_RATE;
    this.slowEnabled = next.slowCallDurationMs !== undefined;
    this.slowMs = next.slowCallDurationMs ?? Infinity;
    // Successes can only trip via the rate rules (more calls may reach minimumThroughput).
    this.checkOnSuccess = this.modeCode === MODE_RATE || this.slowEnabled;
  }
}
