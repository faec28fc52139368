import { SdkCompatibility } from '@datawarehouse/sdk';
import type {
  BulkheadLease,
  Clock,
  ExecuteOptions,
  ResilientOperation,
  RetryPolicyOptions,
  TimeoutPolicyOptions,
} from '@datawarehouse/sdk';
import type { Attempt, LateSettleListener } from './Attempt.js';
import type { SpanLike } from './CallEvents.js';
import { unwatchSignal, watchSignal } from './SignalWatch.js';
import type { AbortWatcher } from './SignalWatch.js';

/** What a call tells its strategy about abandoned operations that are still running. @internal */
export interface AbandonedOwner {
  /** The gauge of abandoned operations still running. */
  readonly metrics: { abandonedRunning: number };
  /** An abandoned operation settled late and gave its slot back to the bulkhead. */
  onLateRelease(): void;
}

/** The two settling functions of a new promise, taken by {@link takeResolvers} without a closure per call. */
let takenResolve: (value: unknown) => void = () => undefined;
let takenReject: (reason: unknown) => void = () => undefined;
const takeResolvers = (resolve: (value: unknown) => void, reject: (reason: unknown) => void): void => {
  takenResolve = resolve;
  takenReject = reject;
};

/**
 * The state of one call across its attempts: the promise the caller holds, the operation and
 * its options, the options in force when the call started, the bulkhead lease, the caller's
 * signal, the attempt in progress and the last downstream error. One small object per call;
 * the sleep canceller exists only while a retry delay runs, and the caller's signal is watched
 * through one shared listener per signal.
 *
 * Slots follow the work in the downstream, not the call: an attempt abandoned while its
 * operation keeps running (timed out, or aborted, while ignoring its signal) takes the call's
 * lease with it and releases it only when that operation settles. A retry then needs a slot of
 * its own (see `needsSlot`), so retries can never run beside their abandoned predecessors
 * above the bulkhead's limit. If the abandoned operation settles before the retry starts, the
 * call takes its slot back instead. Every lease is released exactly once.
 * @internal
 */
@SdkCompatibility('6.0.0')
export class CallState implements LateSettleListener, AbortWatcher {
  current: Attempt | undefined = undefined;
  lastError: unknown = undefined;
  /** The first attempt was refused by the breaker (a rejection, not a failure). */
  rejectedByCircuit = false;
  /** The call ends with an error that passes through untouched (ignored, or a nested rejection). */
  passThrough = false;
  /** Waiting in the bulkhead for a slot for a retry: a slot given back now goes to the bulkhead. */
  waitingForSlot = false;
  /** Attempts made so far. */
  attempts = 0;
  /** The caller's active span when the call started, while tracing is on (see `CallEvents.trace`). */
  span: SpanLike | undefined = undefined;
  /** The delay before the previous retry (decorrelated jitter grows from it). */
  previousDelay = 0;
  /** `clock.now()` when the last failed attempt was judged (the retry counts from there). */
  failedAt = 0;
  /** The promise the caller holds. */
  readonly promise: Promise<unknown>;
  readonly signal: AbortSignal | undefined;
  /** `startedAt + timeout.overallTimeoutMs`: the overall deadline (time queued included). */
  readonly overallDeadline: number;
  private finished = false;
  private cancelSleep: ((reason: unknown) => void) | undefined = undefined;
  private readonly usesBulkhead: boolean;
  private readonly resolve: (value: unknown) => void;
  private readonly reject: (reason: unknown) => void;

  constructor(
    /** The slot the call's next attempt runs under; undefined without a bulkhead or while given away. */
    public lease: BulkheadLease | undefined,
    readonly operation: ResilientOperation<unknown>,
    readonly options: ExecuteOptions | undefined,
    /** The strategy's retry and timeout options when the call started: a reconfiguration applies to later calls. */
    readonly retry: Readonly<RetryPolicyOptions> | undefined,
    readonly timeout: Readonly<TimeoutPolicyOptions>,
    /** `clock.now()` when the call arrived (before any wait for a slot). */
    readonly startedAt: number,
    private readonly owner: AbandonedOwner,
  ) {
    this.usesBulkhead = lease !== undefined;
    this.overallDeadline = startedAt + timeout.overallTimeoutMs;
    const signal = options === undefined ? undefined : options.signal;
    this.signal = signal;
    this.promise = new Promise(takeResolvers);
    this.resolve = takenResolve;
    this.reject = takenReject;
    if (signal !== undefined && !signal.aborted) watchSignal(signal, this);
  }

  /** Whether the call has settled. */
  get ended(): boolean {
    return this.finished;
  }

  /** Whether the next attempt must first get a slot: its predecessor's operation still holds the call's. */
  get needsSlot(): boolean {
    return this.usesBulkhead && this.lease === undefined;
  }

  onCallerAbort(reason: unknown): void {
    this.current?.abortByCaller(reason);
    this.cancelSleep?.(reason);
  }

  /** `attempt` was abandoned while its operation runs on: it keeps the call's slot until it settles. */
  holdUntilSettled(attempt: Attempt): void {
    attempt.heldLease = this.lease;
    this.lease = undefined;
    this.owner.metrics.abandonedRunning++;
    attempt.whenOperationSettles(this);
  }

  onLateSettle(attempt: Attempt): void {
    this.owner.metrics.abandonedRunning--;
    const lease = attempt.heldLease;
    attempt.heldLease = undefined;
    if (lease === undefined) return;
    // Between attempts (e.g. during the backoff) the call takes the slot back for its retry.
    if (!this.finished && this.lease === undefined && !this.waitingForSlot) {
      this.lease = lease;
      return;
    }
    lease.release();
    this.owner.onLateRelease();
  }

  /** Waits `delayMs` on `clock`; rejects with the caller's abort reason if it aborts first (or already has). */
  sleep(clock: Clock, delayMs: number): Promise<void> {
    const signal = this.signal;
    if (signal !== undefined && signal.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const timer = clock.setTimeout(() => {
        this.cancelSleep = undefined;
        resolve();
      }, delayMs);
      this.cancelSleep = (reason) => {
        this.cancelSleep = undefined;
        clock.clearTimeout(timer);
        reject(reason);
      };
    });
  }

  /** Ends the call with `value` (a value or a promise to adopt); false if it had already ended. */
  resolveWith(value: unknown): boolean {
    if (this.finished) return false;
    this.finish();
    this.resolve(value);
    return true;
  }

  /** Ends the call with `error`; false if it had already ended. */
  rejectWith(error: unknown): boolean {
    if (this.finished) return false;
    this.finish();
    this.reject(error);
    return true;
  }

  /** The call settled: stop watching the signal, release the slot it holds (abandoned operations keep theirs). */
  private finish(): void {
    this.finished = true;
    if (this.signal !== undefined) unwatchSignal(this.signal, this);
    const lease = this.lease;
    this.lease = undefined;
    lease?.release();
  }
}
