import { ResilienceTimeoutError, SdkCompatibility, withoutStack } from '@datawarehouse/sdk';
import type { BulkheadLease, ICircuitBreaker, OperationContext } from '@datawarehouse/sdk';
import type { DeadlineEntry, DeadlineQueue } from '../timeout/DeadlineQueue.js';
import type { CallState } from './CallState.js';

const promiseThen = Promise.prototype.then;

/** Receives the late settlement of an operation whose attempt was abandoned. @internal */
export interface LateSettleListener {
  onLateSettle(attempt: Attempt): void;
}

/** Where an attempt delivers its outcome: the strategy's pipeline. @internal */
export interface AttemptSink {
  /** The operation resolved in time with `value`. */
  attemptSucceeded(attempt: Attempt, value: unknown): void;
  /** The operation failed, or the attempt was abandoned (timeout, caller abort) with `error`. */
  attemptFailed(attempt: Attempt, error: unknown): void;
}

/**
 * One attempt of an operation: the context the operation receives, the breaker permit it runs
 * under, and the watch on its outcome. The attempt reacts to the operation's promise itself
 * (one `then`, no race promise): the first of "the operation settled", "the deadline passed"
 * and "the caller aborted" decides its outcome, which it hands to its {@link AttemptSink}; an
 * operation that settles after its attempt was abandoned is reported to the late-settle
 * listener instead (it holds the bulkhead slot until then).
 *
 * The `AbortSignal` is created only when the operation reads `signal`: most operations never
 * do, and an `AbortController` is the most expensive thing a pipeline can allocate.
 * @internal
 */
@SdkCompatibility('6.0.0')
export class Attempt implements OperationContext, DeadlineEntry {
  deadline = Infinity;
  /** True once the deadline queue no longer needs to watch this attempt (outcome decided). */
  settled = false;
  timeoutMs = Infinity;
  timeoutScope: 'attempt' | 'overall' = 'attempt';
  /** Set when the attempt stopped waiting for the operation (timeout or caller abort). */
  abandonedBy: unknown = undefined;
  queue: DeadlineQueue | undefined = undefined;
  /** The bulkhead slot an abandoned, still running operation keeps until it settles. */
  heldLease: BulkheadLease | undefined = undefined;
  private controller: AbortController | undefined = undefined;
  /** The operation returned a promise: it may run on after the attempt is abandoned. */
  private watching = false;
  /** The watched operation has settled (in time or late). */
  private operationSettled = false;
  private lateListener: LateSettleListener | undefined = undefined;

  constructor(
    readonly attempt: number,
    readonly strategyId: string,
    readonly context: Readonly<Record<string, unknown>> | undefined,
    /** The call this attempt belongs to. */
    readonly call: CallState,
    private readonly sink: AttemptSink,
    /** The breaker that granted `permit` (the strategy's breaker when the attempt started). */
    readonly breaker: ICircuitBreaker | undefined,
    readonly permit: number,
    /** `clock.now()` when the attempt started: its duration is measured from here. */
    readonly startedAt: number,
  ) {}

  get signal(): AbortSignal {
    let controller = this.controller;
    if (controller === undefined) {
      controller = this.controller = new AbortController();
      const callerSignal = this.call.signal;
      if (this.abandonedBy !== undefined) controller.abort(this.abandonedBy);
      else if (callerSignal !== undefined && callerSignal.aborted) controller.abort(callerSignal.reason);
    }
    return controller.signal;
  }

  /**
   * Watches the promise the operation returned: its settlement goes to the sink unless the
   * attempt is abandoned first. A caller abort during the operation's synchronous part
   * abandons the attempt now (its outcome is delivered one microtask later).
   */
  watch(operation: Promise<unknown>): void {
    this.watching = true;
    // The native `then`, not an override the promise may carry: its real state decides, once.
    try {
      promiseThen.call(
        operation,
        (value) => this.onOperationSettled(true, value),
        (error) => this.onOperationSettled(false, error),
      );
    } catch (error) {
      this.operationSettled = true;
      this.finish();
      queueMicrotask(() => this.sink.attemptFailed(this, error));
      return;
    }
    if (this.abandonedBy !== undefined) this.abandon(this.abandonedBy);
  }

  /** The outcome is decided: stop watching the deadline. */
  finish(): void {
    if (this.settled) return;
    this.settled = true;
    this.queue?.onSettled();
  }

  /** Deadline passed (called by the deadline queue). */
  expire(): void {
    if (this.settled) return;
    this.abandon(withoutStack(() => new ResilienceTimeoutError(this.timeoutMs, this.timeoutScope, this.strategyId)));
  }

  /**
   * The caller aborted. While the operation is still in its synchronous part nothing is watched
   * yet: the attempt is marked abandoned and its signal aborted at once, so the operation (and
   * anything it started) sees the abort; {@link watch} or the pipeline then ends the attempt
   * with the reason.
   */
  abortByCaller(reason: unknown): void {
    if (this.settled) return;
    if (!this.watching) {
      if (this.abandonedBy === undefined) this.abandonedBy = reason;
      this.controller?.abort(reason);
      return;
    }
    this.abandon(reason);
    this.queue?.onSettled();
  }

  /** Whether the operation is still running after the attempt was abandoned. */
  get runningAbandoned(): boolean {
    return this.abandonedBy !== undefined && this.watching && !this.operationSettled;
  }

  /** Calls `listener.onLateSettle(this)` once the abandoned operation settles. */
  whenOperationSettles(listener: LateSettleListener): void {
    this.lateListener = listener;
  }

  private onOperationSettled(ok: boolean, valueOrError: unknown): void {
    if (this.operationSettled) return;
    this.operationSettled = true;
    if (this.abandonedBy !== undefined) {
      const listener = this.lateListener;
      this.lateListener = undefined;
      listener?.onLateSettle(this);
      return;
    }
    this.finish();
    if (ok) this.sink.attemptSucceeded(this, valueOrError);
    else this.sink.attemptFailed(this, valueOrError);
  }

  private abandon(reason: unknown): void {
    this.abandonedBy = reason;
    this.settled = true;
    this.controller?.abort(reason);
    // Delivered a microtask later, like a rejected race: the deadline queue's timer or the
    // signal's listener that abandoned the attempt finishes before the pipeline goes on.
    queueMicrotask(() => this.sink.attemptFailed(this, reason));
  }
}
