import type { OperationContext } from '@datawarehouse/sdk';
import type { DeadlineEntry, DeadlineQueue } from '../timeout/DeadlineQueue.js';

/**
 * One attempt of an operation: the context the operation receives, and the deadline entry
 * its timeout is tracked by. The `AbortSignal` is created only when the operation reads
 * `signal` — most operations never do, and an `AbortController` is the single most expensive
 * thing a resilience pipeline can allocate.
 * @internal
 */
export class Attempt implements OperationContext, DeadlineEntry {
  deadline = Infinity;
  settled = false;
  /** The timeout of this attempt (ms) and whether it comes from the per-attempt or overall limit. */
  timeoutMs = Infinity;
  timeoutScope: 'attempt' | 'overall' = 'attempt';
  /** The deadline queue watching this attempt, told when the operation settles in time. */
  queue: DeadlineQueue | undefined = undefined;
  /** Set when the attempt stopped waiting for the operation (timeout or caller abort). */
  abandonedBy: unknown = undefined;
  /** True once the operation's own promise settled (it may outlive an abandoned attempt). */
  operationDone = false;
  /** Called when the operation settles after the attempt was abandoned. */
  onLateSettle: (() => void) | undefined = undefined;
  private controller: AbortController | undefined;
  private rejectRace: ((reason: unknown) => void) | undefined;
  private onExpire: ((attempt: Attempt) => unknown) | undefined;

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
   * Waits for `result`, unless the attempt is abandoned first (deadline or caller abort), in
   * which case the returned promise rejects with the abandonment reason at once.
   * `onExpire` builds the timeout error when the deadline passes.
   */
  race<T>(result: Promise<T>, onExpire: (attempt: Attempt) => unknown): Promise<T> {
    this.onExpire = onExpire;
    return new Promise<T>((resolve, reject) => {
      this.rejectRace = reject;
      result.then(
        (value) => {
          this.operationSettled();
          resolve(value);
        },
        (error: unknown) => {
          this.operationSettled();
          reject(error);
        },
      );
    });
  }

  private operationSettled(): void {
    this.operationDone = true;
    if (this.abandonedBy === undefined) {
      this.settled = true;
      this.queue?.onSettled();
    } else {
      this.onLateSettle?.();
    }
  }

  /** Deadline passed (called by the deadline queue). */
  expire(): void {
    if (this.settled || this.abandonedBy !== undefined) return;
    this.abandon(this.onExpire?.(this));
  }

  /** The caller aborted. */
  abortByCaller(reason: unknown): void {
    if (this.settled || this.abandonedBy !== undefined) return;
    this.abandon(reason);
  }

  private abandon(reason: unknown): void {
    this.abandonedBy = reason;
    this.settled = true;
    this.controller?.abort(reason);
    this.rejectRace?.(reason);
  }
}
