// Over ~350 lines on purpose: the call path is one state machine on one monomorphic object (admission, attempt, success,
// failure and retry scheduling call each other without an async frame or an extra hop per stage; splitting it across
// classes would put a megamorphic call on the common path). Admission helpers, error classification, outcome and the
// per-call events already live in files of their own.
import {
  RateLimitedError,
  ResilienceTimeoutError,
  SdkCompatibility,
  isBulkheadRejectedError,
  isCapacityExceededError,
  isCircuitOpenError,
  isResilienceTimeoutError,
  markPipelineRejection,
  silentLogger,
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
import type { AttemptSink } from './Attempt.js';
import { CallEvents } from './CallEvents.js';
import type { SpanLike } from './CallEvents.js';
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
export abstract class StrategyPipeline implements AttemptSink {
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

  constructor(
    readonly id: string,
    strategy: ResolvedStrategy,
    options: EffectiveOptions,
    clock: Clock,
    private readonly random: () => number,
    metricsWindowMs: number,
    /** The manager's per-call events (hooks, diagnostics channels); fixtures get their own. */
    readonly events: CallEvents = new CallEvents(silentLogger),
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
   * free bulkhead slot, the first breaker permission) is synchronous; only a call that must wait
   * for a slot takes the queued path (one async frame), so the common call has none. Never
   * throws synchronously.
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
          this.events,
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
            return rejectAsync(
              this.strategy,
              this.metrics,
              this.events,
              'bulkhead',
              markPipelineRejection(error),
              startedAt,
            );
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
        return rejectAsync(
          this.strategy,
          this.metrics,
          this.events,
          'circuitOpen',
          markPipelineRejection(granted),
          startedAt,
        );
      }
      permit = granted;
    }
    return this.start(operation, options, lease, startedAt, startedAt, permit);
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
      if (isBulkheadRejectedError(error))
        return reject(this.strategy, this.metrics, this.events, 'bulkhead', error, now);
      if (signal !== undefined && signal.aborted && error === signal.reason) {
        this.metrics.aborted++;
        throw error;
      }
      if (isResilienceTimeoutError(error)) return this.queueTimedOut(error, overallTimeoutMs, now);
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
      return this.queueTimedOut(
        new ResilienceTimeoutError(overallTimeoutMs, 'overall', this.id),
        overallTimeoutMs,
        admittedAt,
      );
    }
    // Time spent queued counts against the overall timeout, not against the first attempt.
    return this.start(operation, options, lease, startedAt, admittedAt, undefined);
  }

  /** The overall timeout passed while the call waited for a slot: a timeout, and a bulkhead rejection. */
  private queueTimedOut<T>(error: unknown, overallTimeoutMs: number, now: number): T {
    this.metrics.timeouts++;
    const events = this.events;
    let span: SpanLike | undefined;
    if (events.on || events.timeoutChannel.hasSubscribers) {
      span = events.activeSpan();
      events.timeout(this.id, 0, overallTimeoutMs, 'overall', span);
    }
    return reject(this.strategy, this.metrics, events, 'bulkhead', markPipelineRejection(error), now, span);
  }

  /**
   * Starts an admitted call: its call state (which holds the promise the caller gets) and its
   * first attempt. From here the call is driven by its attempts' outcomes, without an async
   * frame: the common call costs one promise for the caller and one reaction on the
   * operation's promise, whatever stages are on.
   */
  private start<T>(
    operation: ResilientOperation<T>,
    options: ExecuteOptions | undefined,
    lease: BulkheadLease | undefined,
    startedAt: number,
    admittedAt: number,
    firstPermit: number | undefined,
  ): Promise<T> {
    const strategyOptions = this.options;
    const call = new CallState(
      lease,
      operation,
      options,
      strategyOptions.retry,
      strategyOptions.timeout,
      startedAt,
      this,
    );
    this.inFlight++;
    if (this.events.spans !== undefined) call.span = this.events.activeSpan();
    this.runAttempt(call, 1, admittedAt, firstPermit);
    return call.promise as Promise<T>;
  }

  /**
   * One attempt: breaker permission (unless already granted), the operation, and its watch
   * (deadline, caller abort). Its outcome arrives in {@link attemptSucceeded} or
   * {@link attemptFailed}; an operation that returns a plain value or throws is judged at once.
   */
  private runAttempt(call: CallState, attemptNo: number, attemptStart: number, firstPermit: number | undefined): void {
    const signal = call.signal;
    if (signal !== undefined && signal.aborted) {
      // A listener run by the admission's permission (e.g. open -> half-open) aborted the caller:
      // the permit granted then, possibly a half-open probe, goes back.
      if (firstPermit !== undefined) this.breaker?.releasePermission(firstPermit);
      return this.endCall(call, signal.reason);
    }
    const breaker = this.breaker;
    let permit = 0;
    if (firstPermit !== undefined) {
      permit = firstPermit;
    } else if (breaker !== undefined) {
      try {
        permit = breaker.acquirePermission();
      } catch (error) {
        // The breaker's refusal (not the downstream's error) is the pipeline's own rejection.
        if (isCircuitOpenError(error)) markPipelineRejection(error);
        if (call.lastError === undefined) call.rejectedByCircuit = true;
        else setCause(error, call.lastError);
        return this.endCall(call, error);
      }
      // A stateChanged listener run by the permission may have aborted the caller.
      if (signal !== undefined && signal.aborted) {
        breaker.releasePermission(permit);
        return this.endCall(call, signal.reason);
      }
    }
    // Only calls that reach the downstream earn retry budget; rejected ones must not.
    if (attemptNo === 1 && this.budget !== undefined) this.budget.recordAttempt(attemptStart);

    const options = call.options;
    const context = options === undefined ? undefined : options.context;
    const attempt = new Attempt(attemptNo, this.id, context, call, this, breaker, permit, attemptStart);
    call.current = attempt;
    call.attempts = attemptNo;
    this.metrics.attempts++;
    let result: Promise<unknown>;
    try {
      const returned = call.operation(attempt);
      if (!isThenable(returned)) {
        attempt.finish();
        // The caller aborted while the operation ran synchronously: the value comes too late.
        if (attempt.abandonedBy !== undefined) return this.attemptFailed(attempt, attempt.abandonedBy);
        return this.attemptSucceeded(attempt, returned);
      }
      // A foreign thenable is adopted by a native promise (its `then` runs later, guarded, and
      // only its first report counts); reading `then` or `constructor` may throw here.
      result = returned instanceof Promise ? returned : Promise.resolve(returned);
    } catch (error) {
      attempt.finish();
      return this.attemptFailed(attempt, error);
    }
    if (attempt.abandonedBy === undefined) {
      const { attemptTimeoutMs, overallTimeoutMs } = call.timeout;
      const overallDeadline = call.overallDeadline;
      const attemptDeadline = attemptStart + attemptTimeoutMs;
      const deadline = attemptDeadline <= overallDeadline ? attemptDeadline : overallDeadline;
      if (deadline !== Infinity) {
        const attemptScope = attemptDeadline <= overallDeadline;
        attempt.deadline = deadline;
        attempt.timeoutMs = attemptScope ? attemptTimeoutMs : overallTimeoutMs;
        attempt.timeoutScope = attemptScope ? 'attempt' : 'overall';
        const deadlines = (this.deadlines ??= new DeadlineQueue(this.clock));
        attempt.queue = deadlines;
        deadlines.add(attempt);
      }
    }
    attempt.watch(result);
  }

  /** The attempt's operation resolved in time: record the success and end the call with `value`. @internal */
  attemptSucceeded(attempt: Attempt, value: unknown): void {
    const call = attempt.call;
    if (call.ended) return;
    try {
      const now = this.clock.now();
      const duration = now - attempt.startedAt;
      if (attempt.breaker !== undefined) attempt.breaker.recordSuccess(attempt.permit, duration, now);
      this.metrics.succeeded(duration, now);
      // Hooks never throw (CallEvents guards them), so a recorded success stays one.
      const events = this.events;
      if (events.on || events.successChannel.hasSubscribers) {
        events.success(this.id, attempt.attempt, duration, now - call.startedAt, call.span);
      }
    } catch (error) {
      // What a breaker's listener throws ends the attempt like the downstream's error would.
      return this.attemptFailed(attempt, error);
    }
    if (call.resolveWith(value)) this.callEnded();
  }

  /**
   * The attempt failed (the operation's error, a timeout, or the caller's abort): record it,
   * then end the call or schedule its retry (backoff, then a slot if its predecessor's abandoned
   * operation still holds the call's one). @internal
   */
  attemptFailed(attempt: Attempt, error: unknown): void {
    const call = attempt.call;
    if (call.ended) return;
    try {
      attempt.finish();
      const metrics = this.metrics;
      const signal = call.signal;
      const breaker = attempt.breaker;
      const permit = attempt.permit;
      const now = this.clock.now();
      const duration = now - attempt.startedAt;
      const attemptNo = attempt.attempt;
      if (attempt.runningAbandoned) call.holdUntilSettled(attempt);
      // Aborted by the caller: the watch ended with the reason, or the operation threw after
      // the caller aborted during its synchronous part.
      if (
        signal !== undefined &&
        signal.aborted &&
        (error === signal.reason || attempt.abandonedBy === signal.reason)
      ) {
        breaker?.releasePermission(permit);
        return this.endCall(call, signal.reason);
      }
      const timedOut = attempt.abandonedBy !== undefined && error === attempt.abandonedBy;
      const events = this.events;
      if (timedOut) {
        metrics.timeouts++;
        if (events.on || events.timeoutChannel.hasSubscribers) {
          events.timeout(this.id, attemptNo, attempt.timeoutMs, attempt.timeoutScope, call.span);
        }
      }
      metrics.recordLatency(duration, now);
      // Only rejections a resilience primitive raised itself (a nested pipeline's) pass
      // through uncounted; an error that merely carries such a code is the downstream's.
      if (passesThrough(this.strategy, error)) {
        breaker?.releasePermission(permit);
        call.passThrough = true;
        return this.endCall(call, error);
      }
      if (breaker !== undefined) {
        if (countsAsFailure(this.strategy, error)) breaker.recordFailure(permit, duration, now);
        else breaker.releasePermission(permit);
      }
      call.lastError = error;

      if (signal !== undefined && signal.aborted) return this.endCall(call, signal.reason);
      const retry = call.retry;
      if (
        retry === undefined ||
        attemptNo > retry.maxRetries ||
        (timedOut && attempt.timeoutScope === 'overall') ||
        !shouldRetry(this.strategy, error, attemptNo)
      ) {
        return this.endCall(call, error);
      }
      const budget = this.budget;
      if (budget !== undefined && !budget.tryConsumeRetry(now)) {
        metrics.retryBudgetExhausted++;
        return this.endCall(call, error);
      }
      const delay = computeRetryDelay(retry, attemptNo, call.previousDelay, this.random, error);
      call.previousDelay = delay;
      // No retry could finish before the overall deadline: fail now with the real error.
      if (now + delay >= call.overallDeadline) return this.endCall(call, error);
      call.current = undefined;
      call.failedAt = now;
      if (events.on || events.retryChannel.hasSubscribers)
        events.retry(this.id, attemptNo + 1, delay, error, call.span);
      if (delay > 0) {
        call.sleep(this.clock, delay).then(
          () => this.afterBackoff(call, attemptNo + 1, true),
          (reason: unknown) => this.endCall(call, reason),
        );
      } else {
        this.afterBackoff(call, attemptNo + 1, false);
      }
    } catch (e) {
      this.endCall(call, e);
    }
  }

  /** The backoff is over: take a slot if the call needs one, then make the retry. */
  private afterBackoff(call: CallState, attemptNo: number, slept: boolean): void {
    if (call.ended) return;
    if (!call.needsSlot) return this.retryNow(call, attemptNo, slept);
    const timeout = call.timeout;
    retakeSlot(
      this.clock,
      this.id,
      this.bulkhead,
      this.metrics,
      call,
      call.options,
      call.overallDeadline,
      timeout.overallTimeoutMs,
    ).then(
      (waited) => this.retryNow(call, attemptNo, slept || waited),
      (error: unknown) => this.endCall(call, error),
    );
  }

  private retryNow(call: CallState, attemptNo: number, waited: boolean): void {
    if (call.ended) return;
    try {
      this.metrics.retried(call.failedAt);
      this.runAttempt(call, attemptNo, waited ? this.clock.now() : call.failedAt, undefined);
    } catch (error) {
      this.endCall(call, error);
    }
  }

  /** Ends the call with `error` (see `endWithError`): the fallback's value, or the error. */
  private endCall(call: CallState, error: unknown): void {
    if (call.ended) return;
    let value: unknown;
    try {
      value = endWithError(this.strategy, this.metrics, this.events, error, call, call.signal, this.clock.now());
    } catch (e) {
      if (call.rejectWith(e)) this.callEnded();
      return;
    }
    if (call.resolveWith(value)) this.callEnded();
  }

  /** Bookkeeping of a call that ended (its slot is back, its promise settled). */
  private callEnded(): void {
    this.inFlight--;
    if (this.pendingBulkheadSwap) this.onBulkheadDrainable();
  }
}
