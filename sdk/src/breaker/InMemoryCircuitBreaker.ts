// Over ~300 lines on purpose: what is left is the state machine itself, whose hot-path fields (state code, epoch, tickets)
// must stay on this object. Trip rules, counters, snapshots, events and execute() are in their own files.
import { EventEmitter } from 'eventemitter3';
import type {
  CircuitBreakerEvents,
  CircuitBreakerOptions,
  CircuitBreakerSnapshot,
  CircuitBreakerStatistics,
  CircuitPermit,
  CircuitState,
  CircuitStateChange,
  CircuitTransitionOrigin,
  ICircuitBreaker,
} from './ICircuitBreaker.js';
import { SdkCompatibility } from '../compat/SdkCompatibility.js';
import { validateDuration, validateEnum, validateString } from '../config/validate.js';
import { withoutStack } from '../errors/DataWarehouseError.js';
import { CircuitOpenError, InvalidConfigurationError } from '../errors/errors.js';
import { markPipelineRejection } from '../errors/pipelineRejection.js';
import type { Clock } from '../time/Clock.js';
import { systemClock } from '../time/Clock.js';
import { CircuitCallCounters } from './CircuitCallCounters.js';
import { resolveCircuitBreakerOptions } from './CircuitBreakerOptions.js';
import { planRestore, snapshotOf } from './circuitSnapshot.js';
import { CLOSED, HALF_OPEN, ISOLATED, OPEN } from './circuitStateCodes.js';
import type { StateCode } from './circuitStateCodes.js';
import { CIRCUIT_TRANSITION_ORIGINS } from './circuitTransitionOrigins.js';
import { emitStateChange } from './emitStateChange.js';
import { executeUnderBreaker } from './executeUnderBreaker.js';
import { ProbeSlots } from './ProbeSlots.js';
import { createTripRule } from './createTripRule.js';
import type { TripRule } from './TripRule.js';
import { CIRCUIT_STATES } from './validateCircuitBreakerSnapshot.js';

export {
  CIRCUIT_BREAKER_MODES,
  CIRCUIT_BREAKER_OPTION_KEYS,
  DEFAULT_CIRCUIT_BREAKER_OPTIONS,
  MAX_BREAK_DURATION_MS,
  resolveCircuitBreakerOptions,
} from './CircuitBreakerOptions.js';
export { CIRCUIT_STATES, validateCircuitBreakerSnapshot } from './validateCircuitBreakerSnapshot.js';
export { CIRCUIT_TRANSITION_ORIGINS } from './circuitTransitionOrigins.js';

const SUCCESS = 0;
const FAILURE = 1;
const RELEASE = 2;
type Outcome = typeof SUCCESS | typeof FAILURE | typeof RELEASE;

const validOrigin = (origin: unknown): CircuitTransitionOrigin =>
  validateEnum('origin', origin, CIRCUIT_TRANSITION_ORIGINS);

/**
 * A circuit breaker kept in process memory: the state machine. See {@link ICircuitBreaker}
 * for the protocol and {@link DEFAULT_CIRCUIT_BREAKER_OPTIONS} for the defaults; the mode's
 * tripping rule (`TripRule`), the call counters and the snapshot helpers are units of their own.
 *
 * - **No timers.** `open → half-open` happens lazily when `refresh`, `acquirePermission`,
 *   `retryAfterMs`, `getStatistics` or `snapshot` is called after the break elapsed (the event
 *   carries the time of that call); `state` is a plain read. Nothing can leak.
 * - **Permits** are ticket numbers, strictly increasing (exact for 2^53 calls). Every state
 *   change (and `reset`, `restore`, `trip`, `tripFor`) starts a new epoch at the next ticket:
 *   the outcome of a permit from an earlier epoch (*stale*) only updates the totals — it never
 *   enters the window, drives a transition or frees a probe slot.
 * - **Double outcomes.** A half-open probe is freed by its first outcome only; a second one is
 *   ignored. Closed-state permits carry no per-call state (keeping the hot path allocation-free),
 *   so recording one twice counts twice — a protocol violation the breaker cannot detect.
 * - **Probes.** At most `halfOpenMaxAttempts` at once; a failed probe re-opens for a full break
 *   (`probe-failed`), as does a slow successful one (`probe-slow`); after
 *   `halfOpenSuccessThreshold` successes it closes.
 * - **Window.** Counts are cleared when the circuit closes, kept while it opens (statistics show
 *   what tripped it), and only fed while closed.
 * - **Operator hold.** `trip`/`tripFor` while isolated are no-ops: only `reset` lifts it.
 * - **Events** are emitted once the new state is fully in place, only when someone listens,
 *   with their `origin` (`local` for calls and elapsed breaks; `operator` by default for the
 *   operator methods, which take another, e.g. `remote`). Listeners may call back into the
 *   breaker; a throwing one is reported as `listenerError` (see `emitStateChange`).
 * - **`dispose()`** stops the events; the breaker keeps working, so permits in flight settle safely.
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
  /** The rule of the current mode, holding the window counts and streak; replaced when the mode changes. */
  private rule: TripRule;
  private readonly probes: ProbeSlots;
  private probeSuccesses = 0;
  private readonly stats = new CircuitCallCounters();
  private disposed = false;
  // Derived from the options; read on the hot path.
  private slowEnabled = false;
  private slowMs = Infinity;

  /**
   * @param name - the circuit's name (usually the strategy id); non-empty, at most 256 characters.
   * @param options - partial options over {@link DEFAULT_CIRCUIT_BREAKER_OPTIONS}.
   * @param clock - time source. Default {@link systemClock}.
   * @throws {@link InvalidConfigurationError} for a bad name, option (`circuitBreaker.<field>`) or clock.
   */
  constructor(
    name: string,
    options: Partial<CircuitBreakerOptions> = {},
    private readonly clock: Clock = systemClock,
  ) {
    this.name = validateString('name', name, 256);
    if (typeof clock !== 'object' || clock === null || typeof clock.now !== 'function') {
      throw new InvalidConfigurationError('clock', clock, 'a Clock');
    }
    this.opts = resolveCircuitBreakerOptions(options);
    this.rule = createTripRule(this.opts);
    this.probes = new ProbeSlots(this.opts.halfOpenMaxAttempts);
    this.stateEnteredAt = clock.now();
    this.applySlowCalls(this.opts);
  }

  /** The current state, as a plain read: never transitions nor emits (see {@link refresh}). */
  get state(): CircuitState {
    return CIRCUIT_STATES[this.code]!;
  }

  /** The resolved, frozen options in force. */
  get options(): Readonly<CircuitBreakerOptions> {
    return this.opts;
  }

  /**
   * Moves an `open` circuit whose break has elapsed at `nowMs` (default, or not finite: the
   * clock) to `half-open`, emitting with `origin` (default `local`); nothing otherwise.
   * @throws {@link InvalidConfigurationError} for an unknown origin.
   */
  refresh(nowMs?: number, origin: CircuitTransitionOrigin = 'local'): void {
    validOrigin(origin);
    if (this.code !== OPEN) return;
    this.refreshAt(nowMs !== undefined && Number.isFinite(nowMs) ? nowMs : this.clock.now(), origin);
  }

  /** Asks to run one call. @throws {@link CircuitOpenError} (stackless) when open, isolated, or every probe slot is taken. */
  acquirePermission(): CircuitPermit {
    const permit = this.tryAcquirePermission();
    if (typeof permit !== 'number') throw permit;
    return permit;
  }

  /** Like {@link acquirePermission}, returning the error instead (a throw costs more than the rejection); `nowMs`: the caller's clock reading. */
  tryAcquirePermission(nowMs?: number): CircuitPermit | CircuitOpenError {
    if (this.code === CLOSED) return this.nextTicket++;
    return this.acquireWhenNotClosed(nowMs !== undefined && Number.isFinite(nowMs) ? nowMs : this.clock.now());
  }

  /**
   * Records a success taking `durationMs` (>= 0; slow when >= `slowCallDurationMs`); `nowMs`, the
   * caller's clock reading, saves one. @throws {@link InvalidConfigurationError} for a permit never
   * issued or a bad duration (nothing recorded).
   */
  recordSuccess(permit: CircuitPermit, durationMs: number, nowMs?: number): void {
    if (
      this.code === CLOSED &&
      permit >= this.epochStart &&
      permit < this.nextTicket &&
      Number.isInteger(permit) &&
      durationMs >= 0
    ) {
      const now = nowMs !== undefined && Number.isFinite(nowMs) ? nowMs : this.clock.now();
      const slow = this.slowEnabled && durationMs >= this.slowMs;
      this.stats.success(now, slow);
      const rule = this.rule;
      rule.recordSuccess(now, slow);
      if (rule.checksOnSuccess) this.tripIfDue(rule, now);
      return;
    }
    this.settle(permit, durationMs, SUCCESS);
  }

  /** Records a downstream failure, as {@link recordSuccess} records a success. @throws {@link InvalidConfigurationError} as there. */
  recordFailure(permit: CircuitPermit, durationMs: number, nowMs?: number): void {
    if (
      this.code === CLOSED &&
      permit >= this.epochStart &&
      permit < this.nextTicket &&
      Number.isInteger(permit) &&
      durationMs >= 0
    ) {
      const now = nowMs !== undefined && Number.isFinite(nowMs) ? nowMs : this.clock.now();
      this.stats.failure(now);
      const rule = this.rule;
      rule.recordFailure(now);
      this.tripIfDue(rule, now);
      return;
    }
    this.settle(permit, durationMs, FAILURE);
  }

  /** Gives `permit` back without an outcome (frees a probe slot). @throws {@link InvalidConfigurationError} for a permit never issued. */
  releasePermission(permit: CircuitPermit): void {
    // Closed-state calls hold nothing that needs freeing.
    if (this.code === CLOSED && permit >= this.epochStart && permit < this.nextTicket && Number.isInteger(permit))
      return;
    this.settle(permit, 0, RELEASE);
  }

  /** Runs `operation` under the breaker (see `executeUnderBreaker`). @throws {@link CircuitOpenError} when not admitted. */
  execute<T>(operation: () => Promise<T> | T, isFailure?: (error: unknown) => boolean): Promise<T> {
    return executeUnderBreaker(this, this.clock, operation, isFailure);
  }

  /** Opens now for `breakDurationMs` (restarting a running break); a no-op while isolated. @throws {@link InvalidConfigurationError} for a bad reason or origin. */
  trip(reason = 'manual-trip', origin: CircuitTransitionOrigin = 'operator'): void {
    this.command(OPEN, reason, origin, this.opts.breakDurationMs, true);
  }

  /**
   * Opens for exactly `durationMs` from now, replacing any break (last writer wins: how a remote
   * open state is applied); a no-op while isolated; `reconfigure` does not re-anchor it.
   * @throws {@link InvalidConfigurationError} for a duration not finite and >= 0, a bad reason or origin.
   */
  tripFor(durationMs: number, reason = 'manual-trip', origin: CircuitTransitionOrigin = 'operator'): void {
    validateDuration('durationMs', durationMs, 0);
    this.command(OPEN, reason, origin, durationMs, false);
  }

  /** Operator hold: rejects every call (retry-after `Infinity`) until `reset()`. @throws {@link InvalidConfigurationError} for a bad reason or origin. */
  isolate(reason = 'isolated', origin: CircuitTransitionOrigin = 'operator'): void {
    this.command(ISOLATED, reason, origin, 0, false);
  }

  /**
   * Closes, clearing the counts and the streak; permits issued before become stale; emits only
   * when the state changes. @throws {@link InvalidConfigurationError} for a bad reason or origin.
   */
  reset(reason = 'manual-reset', origin: CircuitTransitionOrigin = 'operator'): void {
    this.command(CLOSED, reason, origin, 0, false);
  }

  /**
   * Applies a partial of the options in place: state, window counts, streak and probes in
   * flight are kept, and nothing transitions here (new thresholds apply from the next outcome).
   * - `mode`: the new mode's rule carries on with the same counts.
   * - Window geometry: counts are re-bucketed by start time (see `FailureWindow.reconfigure`).
   * - `breakDurationMs` while open: a break not yet elapsed that came from the options is
   *   re-anchored to `openedAt + new duration` (it may become due at once, then the next call
   *   or `refresh` moves to half-open — never to closed); a `tripFor`/`restore` break keeps its end.
   * - `halfOpenMaxAttempts` lowered below the probes in flight: they finish, no new probe is
   *   admitted until fewer than the new limit run.
   * @throws {@link InvalidConfigurationError} naming `circuitBreaker.<field>`; nothing changes then.
   */
  reconfigure(options: Partial<CircuitBreakerOptions>): void {
    const next = resolveCircuitBreakerOptions(options, 'circuitBreaker', this.opts);
    const now = this.clock.now();
    if (next.mode !== this.rule.mode) this.rule = createTripRule(next, this.rule);
    this.rule.reconfigure(next, now);
    this.probes.setLimit(next.halfOpenMaxAttempts);
    if (this.code === OPEN && this.breakFollowsOptions && now < this.openUntil) {
      this.openUntil = this.stateEnteredAt + next.breakDurationMs;
    }
    this.opts = next;
    this.applySlowCalls(next);
  }

  /** Ms until the next probe may be admitted: 0 when closed or half-open, the rest of the break when open, `Infinity` when isolated. */
  retryAfterMs(): number {
    const now = this.clock.now();
    this.refreshAt(now, 'local');
    return this.retryAfterAt(now);
  }

  /** Totals since creation or `restore` (`totalCalls`: every permission asked); `windowFailures` is the streak in `consecutive` mode. */
  getStatistics(): CircuitBreakerStatistics {
    const now = this.clock.now();
    this.refreshAt(now, 'local');
    this.rule.window.advance(now);
    return this.stats.report({
      state: CIRCUIT_STATES[this.code]!,
      nextTicket: this.nextTicket,
      windowFailures: this.rule.windowFailures(now),
      windowCalls: this.rule.window.calls,
      halfOpenInFlight: this.probes.inFlight,
      stateEnteredAt: this.stateEnteredAt,
      now,
    });
  }

  /** The serializable state; the remaining break is relative (ms from now). */
  snapshot(): CircuitBreakerSnapshot {
    const now = this.clock.now();
    this.refreshAt(now, 'local');
    return snapshotOf(this.code, this.openUntil, this.rule.streakAt(now), this.reasonText, now);
  }

  /**
   * Restores a snapshot: the state (an `open` one for its remaining break from now), the
   * streak (expiring one window from now) and reason. Window counts and statistics restart,
   * permits in flight become stale. Emits `stateChanged` (reason `restored`, `origin` default
   * `operator`) when the state differs.
   * @throws {@link InvalidConfigurationError} naming `snapshot.<field>`, or `origin`; nothing changes then.
   */
  restore(snapshot: CircuitBreakerSnapshot, origin: CircuitTransitionOrigin = 'operator'): void {
    const plan = planRestore(snapshot);
    validOrigin(origin);
    const now = this.clock.now();
    const previous = this.switchTo(plan.code, plan.reason, now, plan.breakMs, false);
    this.stats.restart(this.nextTicket, plan.code === OPEN ? 1 : 0);
    this.rule.reset();
    this.rule.setStreak(plan.streak, now);
    if (previous !== plan.code) this.announce(previous, 'restored', now, plan.breakMs, origin);
  }

  /** Removes every listener and stops emitting events; the breaker itself keeps working. */
  dispose(): void {
    this.disposed = true;
    this.events.removeAllListeners();
  }

  /** `trip`, `tripFor`, `isolate`, `reset`: validated; only `reset` acts while isolated. */
  private command(
    code: StateCode,
    reason: string,
    origin: CircuitTransitionOrigin,
    breakMs: number,
    followsOptions: boolean,
  ): void {
    validateString('reason', reason, 256);
    validOrigin(origin);
    if (this.code === ISOLATED && code !== CLOSED) return;
    this.enter(code, reason, this.clock.now(), breakMs, followsOptions, origin);
  }

  private acquireWhenNotClosed(now: number): CircuitPermit | CircuitOpenError {
    this.refreshAt(now, 'local');
    // A stateChanged listener may have changed the state: read it again.
    if (this.code === CLOSED) return this.nextTicket++;
    if (this.code === HALF_OPEN && this.probes.admit(this.nextTicket)) return this.nextTicket++;
    this.stats.rejectedCalls++;
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
      if (outcome === FAILURE) this.enter(OPEN, 'probe-failed', now, this.opts.breakDurationMs, true, 'local');
      else if (slow) this.enter(OPEN, 'probe-slow', now, this.opts.breakDurationMs, true, 'local');
      else if (outcome === SUCCESS && ++this.probeSuccesses >= this.opts.halfOpenSuccessThreshold) {
        this.enter(CLOSED, 'probe-succeeded', now, 0, false, 'local');
      }
      return;
    }
    // Stale (an earlier epoch). Current permits of other states never reach here: closed ones
    // take the fast path, and open/isolated issue none.
    this.countTotals(outcome, now, slow);
  }

  private countTotals(outcome: Outcome, now: number, slow: boolean): void {
    if (outcome === SUCCESS) this.stats.success(now, slow);
    else if (outcome === FAILURE) this.stats.failure(now);
  }

  /** Opens a closed circuit when its rule says so (the outcome at `now` is already recorded). */
  private tripIfDue(rule: TripRule, now: number): void {
    const reason = rule.shouldTrip(now);
    if (reason !== undefined) this.enter(OPEN, reason, now, this.opts.breakDurationMs, true, 'local');
  }

  /** The lazy `open → half-open` transition. */
  private refreshAt(now: number, origin: CircuitTransitionOrigin): void {
    if (this.code === OPEN && now >= this.openUntil) this.enter(HALF_OPEN, 'break-elapsed', now, 0, false, origin);
  }

  private retryAfterAt(now: number): number {
    if (this.code === OPEN) return Math.max(0, this.openUntil - now);
    return this.code === ISOLATED ? Infinity : 0;
  }

  private enter(
    code: StateCode,
    reason: string,
    now: number,
    breakMs: number,
    followsOptions: boolean,
    origin: CircuitTransitionOrigin,
  ): void {
    const previous = this.switchTo(code, reason, now, breakMs, followsOptions);
    if (previous !== code) this.announce(previous, reason, now, breakMs, origin);
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
      if (previous !== OPEN) this.stats.openedCount++;
    } else if (code === CLOSED) {
      this.rule.reset();
    }
    return previous;
  }

  private announce(
    previous: StateCode,
    reason: string,
    now: number,
    breakMs: number,
    origin: CircuitTransitionOrigin,
  ): void {
    if (this.disposed || this.events.listenerCount('stateChanged') === 0) return;
    const change: CircuitStateChange = {
      name: this.name,
      previousState: CIRCUIT_STATES[previous]!,
      newState: CIRCUIT_STATES[this.code]!,
      reason,
      timestamp: now,
      ...(this.code === OPEN ? { breakDurationMs: breakMs } : {}),
      origin,
    };
    emitStateChange(this.events, change);
  }

  private applySlowCalls(next: Readonly<CircuitBreakerOptions>): void {
    this.slowEnabled = next.slowCallDurationMs !== undefined;
    this.slowMs = next.slowCallDurationMs ?? Infinity;
  }
}
