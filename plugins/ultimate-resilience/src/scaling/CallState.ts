import type { BulkheadLease, Clock } from '@datawarehouse/sdk';
import type { Attempt, LateSettleListener } from './Attempt.js';

/**
 * The state of one call across its attempts: the bulkhead lease, the caller's signal, the
 * attempt in progress and the last downstream error. One small object per call; the abort
 * listener and the sleep canceller exist only when a signal or a retry delay needs them.
 *
 * The lease is released exactly once: when the call settles, unless an abandoned attempt's
 * operation (timed out, or aborted while ignoring its signal) is still running — then when the
 * last such operation settles, because the downstream is still doing that work.
 * @internal
 */
export class CallState implements LateSettleListener {
  current: Attempt | undefined = undefined;
  lastError: unknown = undefined;
  /** The first attempt was refused by the breaker (a rejection, not a failure). */
  rejectedByCircuit = false;
  private pendingAbandoned = 0;
  private finished = false;
  private cancelSleep: ((reason: unknown) => void) | undefined = undefined;
  private readonly onAbort: (() => void) | undefined;

  constructor(
    private readonly lease: BulkheadLease | undefined,
    readonly signal: AbortSignal | undefined,
  ) {
    if (signal !== undefined) {
      this.onAbort = () => {
        this.current?.abortByCaller(signal.reason);
        this.cancelSleep?.(signal.reason);
      };
      signal.addEventListener('abort', this.onAbort, { once: true });
    } else {
      this.onAbort = undefined;
    }
  }

  /** Keeps the lease until `attempt`'s abandoned operation settles. */
  holdUntilSettled(attempt: Attempt): void {
    this.pendingAbandoned++;
    attempt.whenOperationSettles(this);
  }

  onLateSettle(): void {
    if (--this.pendingAbandoned === 0 && this.finished) this.lease?.release();
  }

  /** Waits `delayMs` on `clock`; rejects with the caller's abort reason if it aborts first. */
  sleep(clock: Clock, delayMs: number): Promise<void> {
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

  /** The call settled: remove the abort listener, release the lease unless held. */
  finish(): void {
    this.finished = true;
    if (this.onAbort !== undefined) this.signal!.removeEventListener('abort', this.onAbort);
    if (this.pendingAbandoned === 0) this.lease?.release();
  }
}
