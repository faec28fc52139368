import {
  InMemoryBulkheadIsolation,
  RateLimitedError,
  SdkCompatibility,
  ResilienceTimeoutError,
  isBulkheadRejectedError,
  isCapacityExceededError,
  isPipelineRejection,
  isResilienceTimeoutError,
  markPipelineRejection,
  resolveBulkheadOptions,
  resolveCircuitBreakerOptions,
  withoutStack,
} from '@datawarehouse/sdk';
import type {
  BulkheadLease, BulkheadStatistics, Clock, ExecuteOptions, IBulkheadIsolation, ICircuitBreaker, ResilientOperation,
} from '@datawarehouse/sdk';
import { PartitionedBulkhead } from '../bulkhead/PartitionedBulkhead.js';
import { PriorityBulkheadIsolation } from '../bulkhead/PriorityBulkheadIsolation.js';
import { createRateLimiter } from '../ratelimit/createRateLimiter.js';
import type { IRateLimiter } from '../ratelimit/IRateLimiter.js';
import { computeRetryDelay } from '../retry/Backoff.js';
import { RetryBudget } from '../retry/RetryBudget.js';
import { DeadlineQueue } from '../timeout/DeadlineQueue.js';
import type { ResolvedStrategy } from '../strategies/StrategyDefinition.js';
import { Attempt } from './Attempt.js';
import { CallState } from './CallState.js';
import { executeOptionsError } from './executeOptionsError.js';
import type { EffectiveOptions } from './effectiveOptions.js';
import { StrategyMetrics } from './StrategyMetrics.js';
import type { RejectionCause } from './StrategyMetrics.js';

/**
 * Values the adaptive layer sets on top of a strategy's effective options. `maxConcurrency`
 * is capped by the configured bulkhead limit; the breaker values replace the configured ones.
 * @since 6.0.0
 */
export interface AdaptiveOverlay {
  readonly failureThreshold?: number;
  readonly breakDurationMs?: number;
  readonly maxConcurrency?: number;
}

/** What a runtime needs from its manager. @internal */
export interface RuntimeDeps {
  readonly clock: Clock;
  readonly random: () => number;
  readonly metricsWindowMs: number;
  readonly createBreaker: (name: string, options: EffectiveOptions['circuitBreaker'] & object, clock: Clock) => ICircuitBreaker;
}

type Bulkhead =
  | { readonly kind: 'semaphore'; readonly impl: IBulkheadIsolation }
  | { readonly kind: 'priority'; readonly impl: PriorityBulkheadIsolation }
  | { readonly kind: 'partitioned'; readonly impl: PartitionedBulkhead };

/** Whether `error`'s `code` (or else its `name`) is in `set`. */
function inSet(set: ReadonlySet<string>, error: unknown): boolean {
  if (set.size === 0 || typeof error !== 'object' || error === null) return false;
  const { code, name } = error as { code?: unknown; name?: unknown };
  return (typeof code === 'string' && set.has(code)) || (typeof name === 'string' && set.has(name));
}

function setCause(error: unknown, cause: unknown): void {
  if (typeof error === 'object' && error !== null && !('cause' in error)) {
    Object.defineProperty(error, 'cause', { value: cause, configurable: true, writable: true });
  }
}

/**
 * Everything one strategy runs with — its breaker, bulkhead, rate limiter, retry budget,
 * deadline queue and metrics — and the pipeline itself:
 * rate limit → bulkhead → (per attempt: breaker permission → timeout → operation → record) → retry.
 * @internal
 */
@SdkCompatibility('6.0.0')
export class StrategyRuntime {
  strategy: ResolvedStrategy;
  options: EffectiveOptions;
  breaker: ICircuitBreaker | undefined;
  bulkhead: Bulkhead | undefined;
  limiter: IRateLimiter | undefined;
  budget: RetryBudget | undefined;
  readonly metrics: StrategyMetrics;
  /** Calls admitted and not yet settled. */
  inFlight = 0;
  /** A bulkhead change that waits for the current bulkhead to drain (see {@link apply}). */
  private pendingBulkheadSwap = false;
  /** What the adaptive layer currently applies (empty when adaptation is off). */
  adaptive: AdaptiveOverlay = {};
  private deadlines: DeadlineQueue | undefined;
  private readonly clock: Clock;
  private readonly expireAttempt = (attempt: Attempt): unknown =>
    withoutStack(() => new ResilienceTimeoutError(attempt.timeoutMs, attempt.timeoutScope, this.id));

  constructor(
    readonly id: string,
    strategy: ResolvedStrategy,
    options: EffectiveOptions,
    private readonly deps: RuntimeDeps,
  ) {
    this.clock = deps.clock;
    this.strategy = strategy;
    this.options = options;
    this.metrics = new StrategyMetrics(deps.metricsWindowMs);
    this.breaker = options.circuitBreaker === undefined ? undefined : deps.createBreaker(id, options.circuitBreaker, deps.clock);
    this.bulkhead = this.createBulkhead(options);
    this.limiter = strategy.rateLimit === undefined ? undefined : createRateLimiter(strategy.rateLimit);
    this.budget = this.createBudget(options);
  }

  /**
   * Applies a new definition and/or new effective options in place: breaker and bulkhead keep
   * their state (an open circuit stays open, running calls keep their slots, the new limit is
   * never exceeded). Only switching a section on/off or changing the bulkhead kind replaces it.
   */
  apply(strategy: ResolvedStrategy, options: EffectiveOptions): void {
    const previous = this.options;
    this.strategy = strategy;
    this.options = options;
    this.dropOverriddenAdaptation(previous, options);

    const breakerOptions = this.breakerOptions();
    if (breakerOptions === undefined) {
      this.breaker?.dispose();
      this.breaker = undefined;
    } else if (this.breaker === undefined) {
      this.breaker = this.deps.createBreaker(this.id, breakerOptions, this.clock);
    } else {
      this.breaker.reconfigure(breakerOptions);
    }

    const current = this.bulkhead;
    const wanted = options.bulkhead;
    if (current === undefined) {
      this.bulkhead = this.createBulkhead(options);
    } else if (wanted !== undefined && current.kind === wanted.kind) {
      this.pendingBulkheadSwap = false;
      current.impl.reconfigure(this.bulkheadOptions(wanted));
      if (current.kind === 'partitioned' && current.impl.maxPartitions !== wanted.maxPartitions) {
        current.impl.setMaxPartitions(wanted.maxPartitions);
      }
    } else {
      // Switched off or changed kind. A new bulkhead would start empty beside the calls still
      // holding the old one's slots (up to twice the limit) and disposing the old one would
      // reject its waiters; so the old one keeps serving, with the new limits, until it is idle.
      if (wanted !== undefined) current.impl.reconfigure(this.bulkheadOptions(wanted));
      this.pendingBulkheadSwap = true;
      this.swapBulkheadWhenIdle();
    }

    if (strategy.rateLimit === undefined) this.limiter = undefined;
    else if (this.limiter === undefined || this.limiter.kind !== strategy.rateLimit.kind) this.limiter = createRateLimiter(strategy.rateLimit);
    else this.limiter.reconfigure(strategy.rateLimit, this.clock.now());

    const r = options.retry;
    if (r?.budgetRatio === undefined) this.budget = undefined;
    else if (this.budget === undefined) this.budget = this.createBudget(options);
    else this.budget.reconfigure(r.budgetRatio, r.budgetMinRetriesPerSecond);
  }

  /**
   * Sets the adaptive layer's values and applies them in place (an open circuit stays open,
   * a shrink never lets more than the new limit run).
   * @throws {@link InvalidConfigurationError} when a value is invalid (nothing is applied then).
   */
  setAdaptiveOverlay(overlay: AdaptiveOverlay): void {
    const previous = this.adaptive;
    this.adaptive = Object.freeze({ ...overlay });
    let breakerOptions: EffectiveOptions['circuitBreaker'];
    let bulkheadOptions: ReturnType<StrategyRuntime['bulkheadOptions']> | undefined;
    try {
      // Validate both before touching either: a bad value must leave everything as it was.
      breakerOptions = this.breakerOptions();
      if (breakerOptions !== undefined) breakerOptions = resolveCircuitBreakerOptions(breakerOptions, 'circuitBreaker');
      if (this.options.bulkhead !== undefined) {
        bulkheadOptions = this.bulkheadOptions(this.options.bulkhead);
        resolveBulkheadOptions(bulkheadOptions, 'bulkhead');
      }
    } catch (error) {
      this.adaptive = previous;
      throw error;
    }
    if (breakerOptions !== undefined) this.breaker?.reconfigure(breakerOptions);
    if (bulkheadOptions !== undefined) this.bulkhead?.impl.reconfigure(bulkheadOptions);
  }

  /**
   * An explicit change of a value the adaptive layer steers (an operator's override, a new
   * definition) wins over the adapted value: adaptation continues from it at its next tick.
   */
  private dropOverriddenAdaptation(previous: EffectiveOptions, next: EffectiveOptions): void {
    const a = this.adaptive;
    if (a.failureThreshold === undefined && a.breakDurationMs === undefined && a.maxConcurrency === undefined) return;
    const kept: { -readonly [K in keyof AdaptiveOverlay]: AdaptiveOverlay[K] } = { ...a };
    if (previous.circuitBreaker?.failureThreshold !== next.circuitBreaker?.failureThreshold) delete kept.failureThreshold;
    if (previous.circuitBreaker?.breakDurationMs !== next.circuitBreaker?.breakDurationMs) delete kept.breakDurationMs;
    if (previous.bulkhead?.maxConcurrency !== next.bulkhead?.maxConcurrency) delete kept.maxConcurrency;
    this.adaptive = Object.freeze(kept);
  }

  /** The breaker options in force: effective options with the adaptive values on top. */
  breakerOptions(): EffectiveOptions['circuitBreaker'] {
    const base = this.options.circuitBreaker;
    const a = this.adaptive;
    if (base === undefined || (a.failureThreshold === undefined && a.breakDurationMs === undefined)) return base;
    return {
      ...base,
      ...(a.failureThreshold !== undefined && { failureThreshold: a.failureThreshold }),
      ...(a.breakDurationMs !== undefined && { breakDurationMs: a.breakDurationMs }),
    };
  }

  private bulkheadOptions(b: NonNullable<EffectiveOptions['bulkhead']>): { maxConcurrency: number; maxQueueSize: number; queueTimeoutMs: number } {
    const adaptive = this.adaptive.maxConcurrency;
    return {
      maxConcurrency: adaptive === undefined ? b.maxConcurrency : Math.min(adaptive, b.maxConcurrency),
      maxQueueSize: b.maxQueueSize,
      queueTimeoutMs: b.queueTimeoutMs,
    };
  }

  private swapBulkheadWhenIdle(): void {
    const current = this.bulkhead;
    if (current !== undefined) {
      const stats = current.impl.getStatistics();
      if (stats.running > 0 || stats.queued > 0) return;
      current.impl.dispose();
    }
    this.pendingBulkheadSwap = false;
    this.bulkhead = this.createBulkhead(this.options);
  }

  /** Bulkhead statistics (aggregated over partitions), or undefined without a bulkhead. */
  bulkheadStatistics(): BulkheadStatistics | undefined {
    return this.bulkhead?.impl.getStatistics();
  }

  /**
   * Runs one call through the pipeline. Admission (argument check, abort check, rate limit, a
   * free bulkhead slot) is synchronous; only a call that must wait for a slot takes the queued
   * path, so the common call costs one async frame. Never throws synchronously.
   */
  execute<T>(operation: ResilientOperation<T>, options: ExecuteOptions | undefined): Promise<T> {
    if (options !== undefined) {
      const invalid = executeOptionsError(options);
      if (invalid !== undefined) return rejectLater(markPipelineRejection(invalid));
    }
    const startedAt = this.clock.now();
    const signal = options === undefined ? undefined : options.signal;
    if (signal !== undefined && signal.aborted) {
      this.metrics.aborted++;
      return rejectLater(signal.reason);
    }
    if (this.limiter !== undefined) {
      const waitMs = this.limiter.tryAcquire(startedAt);
      if (waitMs > 0) {
        return this.rejectAsync('rateLimited', markPipelineRejection(withoutStack(() => new RateLimitedError(this.id, waitMs))), startedAt);
      }
    }
    const bulkhead = this.bulkhead;
    let lease: BulkheadLease | undefined;
    if (bulkhead !== undefined) {
      if (bulkhead.kind === 'semaphore') {
        lease = bulkhead.impl.tryAcquire();
      } else {
        try {
          lease = this.tryAcquireSlot(bulkhead, options);
        } catch (error) {
          // A partitioned bulkhead whose every partition is busy cannot take a new key.
          if (isCapacityExceededError(error)) return this.rejectAsync('bulkhead', markPipelineRejection(error), startedAt);
          return rejectLater(markPipelineRejection(error));
        }
      }
      if (lease === undefined) return this.runQueued(operation, options, bulkhead, startedAt);
    }
    // The first permission is asked here, synchronously, so an open circuit costs no async
    // frame: the rejection is the cheapest thing this pipeline does.
    let permit: number | undefined;
    const breaker = this.breaker;
    if (breaker !== undefined) {
      const granted = breaker.tryAcquirePermission(startedAt);
      if (typeof granted !== 'number') {
        lease?.release();
        return this.rejectAsync('circuitOpen', granted, startedAt);
      }
      permit = granted;
    }
    return this.run(operation, options, lease, startedAt, startedAt, permit);
  }

  /**
   * Waits for a bulkhead slot — bounded by the caller's signal and by the overall timeout,
   * which covers the time spent queued — then runs the call.
   */
  private async runQueued<T>(operation: ResilientOperation<T>, options: ExecuteOptions | undefined, bulkhead: Bulkhead, startedAt: number): Promise<T> {
    const clock = this.clock;
    const signal = options === undefined ? undefined : options.signal;
    const overallTimeoutMs = this.options.timeout.overallTimeoutMs;
    const overallDeadline = startedAt + overallTimeoutMs;
    let lease: BulkheadLease;
    try {
      lease = await this.waitForSlot(bulkhead, options, overallDeadline, overallTimeoutMs);
    } catch (error) {
      const now = clock.now();
      if (isBulkheadRejectedError(error)) return this.reject('bulkhead', error, now);
      if (signal !== undefined && signal.aborted && error === signal.reason) {
        this.metrics.aborted++;
        throw error;
      }
      if (isResilienceTimeoutError(error)) {
        this.metrics.timeouts++;
        return this.reject('bulkhead', markPipelineRejection(error), now);
      }
      throw error;
    }

    const admittedAt = clock.now();
    // The caller may abort, or the deadline pass, in the tick the slot was granted.
    if (signal !== undefined && signal.aborted) {
      lease.release();
      this.metrics.aborted++;
      throw signal.reason;
    }
    if (admittedAt >= overallDeadline) {
      lease.release();
      this.metrics.timeouts++;
      return this.reject('bulkhead', markPipelineRejection(new ResilienceTimeoutError(overallTimeoutMs, 'overall', this.id)), admittedAt);
    }
    // Time spent queued counts against the overall timeout, not against the first attempt.
    return this.run(operation, options, lease, startedAt, admittedAt, undefined);
  }

  /**
   * Waits in the bulkhead's queue for a slot, bounded by the caller's signal and by the overall
   * deadline (time queued counts against the overall timeout). Rejects with the bulkhead's
   * rejection, the caller's abort reason, or an overall {@link ResilienceTimeoutError}.
   */
  private async waitForSlot(bulkhead: Bulkhead, options: ExecuteOptions | undefined, overallDeadline: number, overallTimeoutMs: number): Promise<BulkheadLease> {
    const signal = options === undefined ? undefined : options.signal;
    if (overallTimeoutMs === Infinity) return this.acquireSlot(bulkhead, options, signal);
    const clock = this.clock;
    const controller = new AbortController();
    const timer = clock.setTimeout(
      () => controller.abort(new ResilienceTimeoutError(overallTimeoutMs, 'overall', this.id)),
      overallDeadline - clock.now(),
    );
    const onAbort = (): void => controller.abort(signal!.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await this.acquireSlot(bulkhead, options, controller.signal);
    } finally {
      clock.clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Gets a slot for a retry whose predecessor's abandoned operation still holds the call's one
   * (see {@link CallState}): at once if one is free, else by queueing like a new call. When none
   * can be had (queue full, queue or overall timeout) the retry is not made and the call fails
   * with its last downstream error; a caller's abort ends it with the abort reason. Returns
   * whether it had to wait.
   */
  private async retakeSlot(call: CallState, options: ExecuteOptions | undefined, overallDeadline: number, overallTimeoutMs: number): Promise<boolean> {
    const bulkhead = this.bulkhead;
    // Switched off meanwhile (the old bulkhead is retired once idle): nothing to take.
    if (bulkhead === undefined) return false;
    const signal = call.signal;
    let lease: BulkheadLease | undefined;
    try {
      lease = this.tryAcquireSlot(bulkhead, options);
      if (lease !== undefined) {
        call.lease = lease;
        return false;
      }
      call.waitingForSlot = true;
      lease = await this.waitForSlot(bulkhead, options, overallDeadline, overallTimeoutMs);
    } catch (error) {
      if (signal !== undefined && signal.aborted && error === signal.reason) throw error;
      this.metrics.retrySlotRefused++;
      throw call.lastError;
    } finally {
      call.waitingForSlot = false;
    }
    if (signal !== undefined && signal.aborted) {
      lease.release();
      throw signal.reason;
    }
    if (this.clock.now() >= overallDeadline) {
      lease.release();
      this.metrics.retrySlotRefused++;
      throw call.lastError;
    }
    call.lease = lease;
    return true;
  }

  /** The retry loop: breaker permission, timed attempt, outcome, backoff; releases the lease once. */
  private async run<T>(
    operation: ResilientOperation<T>,
    options: ExecuteOptions | undefined,
    lease: BulkheadLease | undefined,
    startedAt: number,
    admittedAt: number,
    firstPermit: number | undefined,
  ): Promise<T> {
    const clock = this.clock;
    const metrics = this.metrics;
    const signal = options === undefined ? undefined : options.signal;
    const call = new CallState(lease, signal, metrics);
    this.inFlight++;
    try {
      const retry = this.options.retry;
      const maxRetries = retry === undefined ? 0 : retry.maxRetries;
      const { attemptTimeoutMs, overallTimeoutMs } = this.options.timeout;
      const overallDeadline = startedAt + overallTimeoutMs;
      const budget = this.budget;
      let previousDelay = 0;
      let attemptStart = admittedAt;

      for (let attemptNo = 1; ; attemptNo++) {
        if (signal !== undefined && signal.aborted) throw signal.reason;
        const breaker = this.breaker;
        let permit = 0;
        if (attemptNo === 1 && firstPermit !== undefined) {
          permit = firstPermit;
        } else if (breaker !== undefined) {
          try {
            permit = breaker.acquirePermission();
          } catch (error) {
            if (call.lastError === undefined) call.rejectedByCircuit = true;
            else setCause(error, call.lastError);
            throw error;
          }
        }
        // Only calls that reach the downstream earn retry budget; rejected ones must not.
        if (attemptNo === 1 && budget !== undefined) budget.recordAttempt(attemptStart);

        const attempt = new Attempt(attemptNo, this.id, options === undefined ? undefined : options.context, signal);
        call.current = attempt;
        metrics.attempts++;
        try {
          const value = await this.runAttempt(operation, attempt, attemptStart, attemptTimeoutMs, overallDeadline, overallTimeoutMs, signal !== undefined);
          attempt.finish();
          const now = clock.now();
          const duration = now - attemptStart;
          if (breaker !== undefined) breaker.recordSuccess(permit, duration, now);
          metrics.succeeded(duration, now);
          return value;
        } catch (error) {
          attempt.finish();
          const now = clock.now();
          const duration = now - attemptStart;
          if (attempt.runningAbandoned) call.holdUntilSettled(attempt);
          // Aborted by the caller: the race rejected with the reason, or the operation threw
          // after the caller aborted during its synchronous part.
          if (signal !== undefined && signal.aborted && (error === signal.reason || attempt.abandonedBy === signal.reason)) {
            breaker?.releasePermission(permit);
            throw signal.reason;
          }
          const timedOut = attempt.abandonedBy !== undefined && error === attempt.abandonedBy;
          if (timedOut) metrics.timeouts++;
          metrics.latency.record(duration, now);
          // Only rejections a resilience primitive raised itself (a nested pipeline's) pass
          // through uncounted; an error that merely carries such a code is the downstream's.
          if (inSet(this.strategy.ignoredErrors, error) || isPipelineRejection(error)) {
            breaker?.releasePermission(permit);
            call.passThrough = true;
            throw error;
          }
          if (breaker !== undefined) {
            if (this.countsAsFailure(error)) breaker.recordFailure(permit, duration, now);
            else breaker.releasePermission(permit);
          }
          call.lastError = error;

          if (signal !== undefined && signal.aborted) throw signal.reason;
          if (attemptNo > maxRetries || (timedOut && attempt.timeoutScope === 'overall') || !this.shouldRetry(error, attemptNo)) {
            throw error;
          }
          if (budget !== undefined && !budget.tryConsumeRetry(now)) {
            metrics.retryBudgetExhausted++;
            throw error;
          }
          const delay = computeRetryDelay(retry!, attemptNo, previousDelay, this.deps.random);
          previousDelay = delay;
          // No retry could finish before the overall deadline: fail now with the real error.
          if (now + delay >= overallDeadline) throw error;
          call.current = undefined;
          if (delay > 0) await call.sleep(clock, delay);
          const waited = call.needsSlot && (await this.retakeSlot(call, options, overallDeadline, overallTimeoutMs));
          metrics.retried(now);
          attemptStart = delay > 0 || waited ? clock.now() : now;
        }
      }
    } catch (error) {
      return this.fail(error, call, signal);
    } finally {
      this.inFlight--;
      call.finish();
      if (this.pendingBulkheadSwap) this.swapBulkheadWhenIdle();
    }
  }

  /** Releases timers and bulkhead waiters. */
  dispose(): void {
    // Calls in flight keep their deadlines: the queue drains by itself (its timer is unref'd).
    if (this.inFlight === 0) this.deadlines?.dispose();
    this.bulkhead?.impl.dispose();
    this.breaker?.dispose();
  }

  private runAttempt<T>(
    operation: ResilientOperation<T>,
    attempt: Attempt,
    start: number,
    attemptTimeoutMs: number,
    overallDeadline: number,
    overallTimeoutMs: number,
    hasSignal: boolean,
  ): Promise<T> | T {
    const returned = operation(attempt);
    if (!isThenable(returned)) {
      // The caller aborted while the operation ran synchronously: the value comes too late.
      if (attempt.abandonedBy !== undefined) throw attempt.abandonedBy;
      return returned;
    }
    const result = returned instanceof Promise ? returned : Promise.resolve(returned);
    const attemptDeadline = start + attemptTimeoutMs;
    const deadline = attemptDeadline <= overallDeadline ? attemptDeadline : overallDeadline;
    if (deadline === Infinity) return hasSignal ? attempt.race(result, this.expireAttempt) : result;
    const attemptScope = attemptDeadline <= overallDeadline;
    attempt.deadline = deadline;
    attempt.timeoutMs = attemptScope ? attemptTimeoutMs : overallTimeoutMs;
    attempt.timeoutScope = attemptScope ? 'attempt' : 'overall';
    const deadlines = (this.deadlines ??= new DeadlineQueue(this.clock));
    attempt.queue = deadlines;
    deadlines.add(attempt);
    return attempt.race(result, this.expireAttempt);
  }

  private shouldRetry(error: unknown, attemptNo: number): boolean {
    if (inSet(this.strategy.nonRetryableErrors, error)) return false;
    const predicate = this.strategy.shouldRetry;
    if (predicate === undefined) return true;
    try {
      return predicate(error, attemptNo) === true;
    } catch {
      // A throwing predicate must not replace the downstream's error: do not retry.
      return false;
    }
  }

  private countsAsFailure(error: unknown): boolean {
    const predicate = this.strategy.isFailure;
    if (predicate === undefined) return true;
    try {
      return predicate(error) !== false;
    } catch {
      // A throwing predicate must not leave the permit (a half-open probe slot) unsettled.
      return true;
    }
  }

  /** Counts a rejection and answers it without throwing: the fallback's value, or a rejection. */
  private rejectAsync<T>(cause: RejectionCause, error: unknown, now: number): Promise<T> {
    this.metrics.reject(cause, now);
    const strategy = this.strategy;
    if (strategy.fallbackFn === undefined && strategy.fallback === undefined) return rejectLater(error);
    try {
      return Promise.resolve(this.fallbackOrThrow<T>(error));
    } catch (e) {
      return rejectLater(e);
    }
  }

  private reject<T>(cause: RejectionCause, error: unknown, now: number): T {
    this.metrics.reject(cause, now);
    return this.fallbackOrThrow(error);
  }

  private fail<T>(error: unknown, call: CallState, signal: AbortSignal | undefined): T {
    const metrics = this.metrics;
    const now = this.clock.now();
    if (signal !== undefined && signal.aborted && error === signal.reason) {
      metrics.aborted++;
      throw error;
    }
    if (call.rejectedByCircuit) return this.reject('circuitOpen', error, now);
    // Ignored errors are answers, and a rejection thrown by a nested pipeline is not this
    // downstream's failure: both pass through untouched, without fallback.
    if (call.passThrough) {
      metrics.passedThrough(now);
      throw error;
    }
    metrics.failed(now);
    return this.fallbackOrThrow(error);
  }

  private fallbackOrThrow<T>(error: unknown): T {
    const strategy = this.strategy;
    if (strategy.fallbackFn !== undefined) {
      this.metrics.fallbacks++;
      return strategy.fallbackFn(error) as T;
    }
    if (strategy.fallback !== undefined) {
      this.metrics.fallbacks++;
      return strategy.fallback.value as T;
    }
    throw error;
  }

  private tryAcquireSlot(bulkhead: Bulkhead, options: ExecuteOptions | undefined): BulkheadLease | undefined {
    if (bulkhead.kind === 'partitioned') return bulkhead.impl.get(partitionKey(options)).tryAcquire();
    return bulkhead.impl.tryAcquire();
  }

  private acquireSlot(bulkhead: Bulkhead, options: ExecuteOptions | undefined, signal: AbortSignal | undefined): Promise<BulkheadLease> {
    switch (bulkhead.kind) {
      case 'partitioned':
        return bulkhead.impl.get(partitionKey(options)).acquire(signal);
      case 'priority':
        return bulkhead.impl.acquire(signal, options?.priority ?? 0);
      default:
        return bulkhead.impl.acquire(signal);
    }
  }

  private createBulkhead(options: EffectiveOptions): Bulkhead | undefined {
    const b = options.bulkhead;
    if (b === undefined) return undefined;
    const base = this.bulkheadOptions(b);
    switch (b.kind) {
      case 'partitioned':
        return { kind: 'partitioned', impl: new PartitionedBulkhead(this.id, base, b.maxPartitions, this.clock) };
      case 'priority':
        return { kind: 'priority', impl: new PriorityBulkheadIsolation(this.id, base, this.clock) };
      default:
        return { kind: 'semaphore', impl: new InMemoryBulkheadIsolation(this.id, base, this.clock) };
    }
  }

  private createBudget(options: EffectiveOptions): RetryBudget | undefined {
    const r = options.retry;
    if (r?.budgetRatio === undefined) return undefined;
    return new RetryBudget(r.budgetRatio, r.budgetMinRetriesPerSecond);
  }
}

/**
 * A promise that rejects with `error` one microtask from now. Returned instead of
 * `Promise.reject(error)` by synchronous rejection paths: a promise that is already rejected
 * when returned has no handler yet, and Node's unhandled-rejection bookkeeping for it costs
 * ~1 µs — more than the whole pipeline. Rejecting after the caller's `await` attached its
 * handler avoids that.
 */
function rejectLater<T>(error: unknown): Promise<T> {
  // reject() inside a microtask rather than a throw inside then(): a throw costs ~200 ns more.
  return new Promise<T>((_, reject) => queueMicrotask(() => reject(error)));
}

function isThenable<T>(value: Promise<T> | T): value is Promise<T> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

function partitionKey(options: ExecuteOptions | undefined): string {
  if (options?.partitionKey !== undefined) return options.partitionKey;
  const fromContext = options?.context?.partitionKey;
  return typeof fromContext === 'string' ? fromContext : 'default';
}

