import { SdkCompatibility } from '@datawarehouse/sdk';
import type { BulkheadLease, OperationContext } from '@datawarehouse/sdk';
import type { DeadlineEntry, DeadlineQueue } from '../timeout/DeadlineQueue.js';

/** Receives the late settlement of an operation whose attempt was abandoned. @internal */
export interface LateSettleListener {
  onLateSettle(attempt: Attempt): void;
}

/**
 * One attempt of an operation: the context the operation receives, and — when the attempt
 * has a deadline or the caller a signal — the race between the operation and its abandonment.
 * The `AbortSignal` is created only when the operation reads `signal`: most operations never
 * do, and an `AbortController` is the most expensive thing a pipeline can allocate.
 * @internal
 */
@SdkCompatibility('6.0.0')
export class Attempt implements OperationContext, DeadlineEntry {
  deadline = Infinity;
  /** True once the deadline queue no longer needs to watch this attempt. */
  settled = false;
  timeoutMs = Infinity;
  timeoutScope: 'attempt' | 'overall' = 'attempt';
  /** Set when the attempt stopped waiting for the operation (timeout or caller abort). */
  abandonedBy: unknown = undefined;
  queue: DeadlineQueue | undefined = undefined;
  /** The bulkhead slot an abandoned, still running operation keeps until it settles. */
  heldLease: BulkheadLease | undefined = undefined;
  private controller: AbortController | undefined = undefined;
  private rejectRace: ((reason: unknown) => void) | undefined = undefined;
  private operation: Promise<unknown> | undefined = undefined;
  private makeTimeoutError: ((attempt: Attempt) => unknown) | undefined = undefined;

  constructor(
    readonly attempt: number,
    readonly strategyId: string,
    readonly context: Readonly<Record<string, unknown>> | undefined,
    private readonly callerSignal: AbortSignal | undefined,
  ) {}

  get signal(): AbortSignal {
    let controller = this.controller;
    if (controller === undefined) {
      controller = this.controller = new AbortController();
      if (this.abandonedBy !== undefined) controller.abort(this.abandonedBy);
      else if (this.callerSignal?.aborted) controller.abort(this.callerSignal.reason);
    }
    return controller.signal;
  }

  /**
   * Resolves like `operation`, unless the attempt is abandoned first (deadline or caller abort):
   * then it rejects at once with the reason. Costs one promise and no closure besides its executor.
   */
  race<T>(operation: Promise<T>, makeTimeoutError: (attempt: Attempt) => unknown): Promise<T> {
    this.operation = operation;
    this.makeTimeoutError = makeTimeoutError;
    const raced = new Promise<T>((resolve, reject) => {
      this.rejectRace = reject;
      operation.then(resolve, reject);
    });
    // The caller may have aborted while the operation was being called (synchronously).
    if (this.callerSignal !== undefined && this.callerSignal.aborted) this.abortByCaller(this.callerSignal.reason);
    return raced;
  }

  /** The operation settled in time: stop watching the deadline. */
  finish(): void {
    if (this.settled) return;
    this.settled = true;
    this.queue?.onSettled();
  }

  /** Deadline passed (called by the deadline queue). */
  expire(): void {
    if (this.settled) return;
    this.abandon(this.makeTimeoutError!(this));
  }

  /**
   * The caller aborted. While the operation is still in its synchronous part there is no race
   * to reject yet: the attempt is marked abandoned and its signal aborted at once, so the
   * operation (and anything it started) sees the abort; {@link race} or the pipeline then ends
   * the attempt with the reason.
   */
  abortByCaller(reason: unknown): void {
    if (this.settled) return;
    if (this.rejectRace === undefined) {
      if (this.abandonedBy === undefined) this.abandonedBy = reason;
      this.controller?.abort(reason);
      return;
    }
    this.abandon(reason);
    this.queue?.onSettled();
  }

  /** Whether the operation is still running after the attempt was abandoned. */
  get runningAbandoned(): boolean {
    return this.abandonedBy !== undefined && this.operation !== undefined;
  }

  /** Calls `listener.onLateSettle(this)` once the abandoned operation settles. */
  whenOperationSettles(listener: LateSettleListener): void {
    const done = (): void => listener.onLateSettle(this);
    this.operation!.then(done, done);
  }

  private abandon(reason: unknown): void {
    this.abandonedBy = reason;
    this.settled = true;
    this.controller?.abort(reason);
    this.rejectRace!(reason);
  }
}
