import { SdkCompatibility } from '@datawarehouse/sdk';
import type { BulkheadLease, Clock } from '@datawarehouse/sdk';
import type { Attempt, LateSettleListener } from './Attempt.js';
import { unwatchSignal, watchSignal } from './SignalWatch.js';
import type { AbortWatcher } from './SignalWatch.js';

/**
 * The state of one call across its attempts: the bulkhead lease, the caller's signal, the
 * attempt in progress and the last downstream error. One small object per call; the sleep
 * canceller exists only while a retry delay runs, and the caller's signal is watched through
 * one shared listener per signal.
 *
 * The lease is released exactly once: when the call settles, unless an abandoned attempt's
 * operation (timed out, or aborted while ignoring its signal) is still running — then when the
 * last such operation settles, because the downstream is still doing that work.
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
  private pendingAbandoned = 0;
  private finished = false;
  private cancelSleep: ((reason: unknown) => void) | undefined = undefined;

  constructor(
    private readonly lease: BulkheadLease | undefined,
    readonly signal: AbortSignal | undefined,
  ) {
    if (signal !== undefined && !signal.aborted) watchSignal(signal, this);
  }

  onCallerAbort(reason: unknown): void {
    this.current?.abortByCaller(reason);
    this.cancelSleep?.(reason);
  }

  /** Keeps the lease until `attempt`'s abandoned operation settles. */
  holdUntilSettled(attempt: Attempt): void {
    this.pendingAbandoned++;
    attempt.whenOperationSettles(this);
  }

  onLateSettle(): void {
    if (--this.pendingAbandoned === 0 && this.finished) this.lease?.release();
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

  /** The call settled: stop watching the signal, release the lease unless held. */
  finish(): void {
    this.finished = true;
    if (this.signal !== undefined) unwatchSignal(this.signal, this);
    if (this.pendingAbandoned === 0) this.lease?.release();
  }
}
