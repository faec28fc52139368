// Over ~300 lines on purpose: the call path stays one class on purpose: the common call must run on one monomorphic object with no
// extra hop per stage. Admission, error classification and outcome already live in their own files.
import {
  RateLimitedError,
  ResilienceTimeoutError,
  SdkCompatibility,
  isBulkheadRejectedError,
  isCapacityExceededError,
  isCircuitOpenError,
  isResilienceTimeoutError,
  markPipelineRejection,
  withoutStack,
} from '@datawarehouse/sdk';
import type { BulkheadLease, Clock, ExecuteOptions, ICircuitBreaker, ResilientOperation } from '@datawarehouse/sdk';
import { StrategyMetrics } from '../metrics/StrategyMetrics.js';
import type { IRateLimiter } from '../ratelimit/IRateLimiter.js';
import { computeRetryDelay } from '../retry/Backoff.js';
import type { RetryBudget } from '../retry/RetryBudget.js';
import type { EffectiveOptions } from '../strategies/effectiveOptions.js';
import type { ResolvedStrategy } from '../strategies/StrategyDefinition.js';
import { DeadlineQueue } from '../timeout/DeadlineQueue.js';
import { retakeSlot, tryAcquireSlot, waitForSlot } from './admission.js';
import type { Bulkhead } from './admission.js';
import { Attempt } from './Attempt.js';
import { CallState } from './CallState.js';
import { countsAsFailure, passesThrough, setCause, shouldRetry } from './classifyError.js';
import { executeOptionsError } from './executeOptionsError.js';
import { endWithError, reject, rejectAsync } from './outcome.js';
import { isThenable, rejectLater } from './promises.js';

/**
 * The call path of one strategy:
 * rate limit → bulkhead → (per attempt: breaker permission → timeout → operation → record) → retry
 * → fallback. It reads the strategy's parts (breaker, bulkhead, limiter, retry budget, metrics);
 * owning and reconfiguring them is the subclass's job ({@link StrategyRuntime}). One object per
 * strategy, so the hot path stays monomorphic and allocates one small call state per call.
 * @internal
 */
@SdkCompatibility('6.0.0')
export abstract class StrategyPipeline {
  strategy: ResolvedStrategy;
  options: EffectiveOptions;
  breaker: ICircuitBreaker | undefined = undefined;
  bulkhead: Bulkhead | undefined = undefined;
  limiter: IRateLimiter | undefined = undefined;
  budget: RetryBudget | undefined = undefined;
  readonly metrics: StrategyMetrics;
  /** Calls admitted and not yet settled. */
  inFlight = 0;
  /** Set while a bulkhead change waits for the current bulkhead to drain (see {@link onBulkheadDrainable}). */
  protected pendingBulkheadSwap = false;
  protected deadlines: DeadlineQueue | undefined = undefined;
  protected readonly clock: Clock;
  private readonly expireAttempt = (attempt: Attempt): unknown =>
    withoutStack(() => new ResilienceTimeoutError(attempt.timeoutMs, attempt.timeoutScope, this.id));

  constructor(
    readonly id: string,
    strategy: ResolvedStrategy,
    options: EffectiveOptions,
    clock: Clock,
    private readonly random: () => number,
    metricsWindowMs: number,
  ) {
    this.strategy = strategy;
    this.options = options;
    this.clock = clock;
    this.metrics = new StrategyMetrics(metricsWindowMs);
  }

  /** A call settled while {@link pendingBulkheadSwap} is set: the bulkhead may be idle now. */
  protected abstract onBulkheadDrainable(): void;

  /**
   * An abandoned operation settled after its call and gave its slot back: it may have been the
   * last holder of a bulkhead waiting to be swapped. @internal
   */
  onLateRelease(): void {
    if (this.pendingBulkheadSwap) this.onBulkheadDrainable();
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
        return rejectAsync(
          this.strategy,
          this.metrics,
          'rateLimited',
          markPipelineRejection(withoutStack(() => new RateLimitedError(this.id, waitMs))),
          startedAt,
        );
      }
    }
    const bulkhead = this.bulkhead;
    let lease: BulkheadLease | undefined;
    if (bulkhead !== undefined) {
      if (bulkhead.kind === 'semaphore') {
        lease = bulkhead.impl.tryAcquire();
      } else {
        try {
          lease = tryAcquireSlot(bulkhead, options);
        } catch (error) {
          // A partitioned bulkhead whose every partition is busy cannot take a new key.
          if (isCapacityExceededError(error))
            return rejectAsync(this.strategy, this.metrics, 'bulkhead', markPipelineRejection(error), startedAt);
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
        // Marked here too: a breaker other than the SDK's may not mark its refusals.
        return rejectAsync(this.strategy, this.metrics, 'circuitOpen', markPipelineRejection(granted), startedAt);
      }
      permit = granted;
    }
    return this.run(operation, options, lease, startedAt, startedAt, permit);
  }

  /**
   * Waits for a bulkhead slot — bounded by the caller's signal and by the overall timeout,
   * which covers the time spent queued — then runs the call.
   */
  private async runQueued<T>(
    operation: ResilientOperation<T>,
    options: ExecuteOptions | undefined,
    bulkhead: Bulkhead,
    startedAt: number,
  ): Promise<T> {
    const clock = this.clock;
    const signal = options === undefined ? undefined : options.signal;
    const overallTimeoutMs = this.options.timeout.overallTimeoutMs;
    const overallDeadline = startedAt + overallTimeoutMs;
    let lease: BulkheadLease;
    try {
      lease = await waitForSlot(this.clock, this.id, bulkhead, options, overallDeadline, overallTimeoutMs);
    } catch (error) {
      const now = clock.now();
      if (isBulkheadRejectedError(error)) return reject(this.strategy, this.metrics, 'bulkhead', error, now);
      if (signal !== undefined && signal.aborted && error === signal.reason) {
        this.metrics.aborted++;
        throw error;
      }
      if (isResilienceTimeoutError(error)) {
        this.metrics.timeouts++;
        return reject(this.strategy, this.metrics, 'bulkhead', markPipelineRejection(error), now);
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
      return reject(
        this.strategy,
        this.metrics,
        'bulkhead',
        markPipelineRejection(new ResilienceTimeoutError(overallTimeoutMs, 'overall', this.id)),
        admittedAt,
      );
    }
    // Time spent queued counts against the overall timeout, not against the first attempt.
    return this.run(operation, options, lease, startedAt, admittedAt, undefined);
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
    const call = new CallState(lease, signal, this);
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
            // The breaker's refusal (not the downstream's error) is the pipeline's own rejection.
            if (isCircuitOpenError(error)) markPipelineRejection(error);
            if (call.lastError === undefined) call.rejectedByCircuit = true;
            else setCause(error, call.lastError);
            throw error;
          }
          // A stateChanged listener run by the permission may have aborted the caller.
          if (signal !== undefined && signal.aborted) {
            breaker.releasePermission(permit);
            throw signal.reason;
          }
        }
        // Only calls that reach the downstream earn retry budget; rejected ones must not.
        if (attemptNo === 1 && budget !== undefined) budget.recordAttempt(attemptStart);

        const attempt = new Attempt(attemptNo, this.id, options === undefined ? undefined : options.context, signal);
        call.current = attempt;
        metrics.attempts++;
        try {
          const value = await this.runAttempt(
            operation,
            attempt,
            attemptStart,
            attemptTimeoutMs,
            overallDeadline,
            overallTimeoutMs,
            signal !== undefined,
          );
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
          if (
            signal !== undefined &&
            signal.aborted &&
            (error === signal.reason || attempt.abandonedBy === signal.reason)
          ) {
            breaker?.releasePermission(permit);
            throw signal.reason;
          }
          const timedOut = attempt.abandonedBy !== undefined && error === attempt.abandonedBy;
          if (timedOut) metrics.timeouts++;
          metrics.latency.record(duration, now);
          // Only rejections a resilience primitive raised itself (a nested pipeline's) pass
          // through uncounted; an error that merely carries such a code is the downstream's.
          if (passesThrough(this.strategy, error)) {
            breaker?.releasePermission(permit);
            call.passThrough = true;
            throw error;
          }
          if (breaker !== undefined) {
            if (countsAsFailure(this.strategy, error)) breaker.recordFailure(permit, duration, now);
            else breaker.releasePermission(permit);
          }
          call.lastError = error;

          if (signal !== undefined && signal.aborted) throw signal.reason;
          if (
            attemptNo > maxRetries ||
            (timedOut && attempt.timeoutScope === 'overall') ||
            !shouldRetry(this.strategy, error, attemptNo)
          ) {
            throw error;
          }
          if (budget !== undefined && !budget.tryConsumeRetry(now)) {
            metrics.retryBudgetExhausted++;
            throw error;
          }
          const delay = computeRetryDelay(retry!, attemptNo, previousDelay, this.random, error);
          previousDelay = delay;
          // No retry could finish before the overall deadline: fail now with the real error.
          if (now + delay >= overallDeadline) throw error;
          call.current = undefined;
          if (delay > 0) await call.sleep(clock, delay);
          const waited =
            call.needsSlot &&
            (await retakeSlot(
              this.clock,
              this.id,
              this.bulkhead,
              this.metrics,
              call,
              options,
              overallDeadline,
              overallTimeoutMs,
            ));
          metrics.retried(now);
          attemptStart = delay > 0 || waited ? clock.now() : now;
        }
      }
    } catch (error) {
      return endWithError(this.strategy, this.metrics, error, call, signal, clock.now());
    } finally {
      this.inFlight--;
      call.finish();
      if (this.pendingBulkheadSwap) this.onBulkheadDrainable();
    }
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
}
