import { createServiceToken } from '../di/ServiceToken.js';
/**
 * Options of a bulkhead. Every field is optional on input; the resolved form has all.
 * @since 6.0.0
 */
export interface BulkheadOptions {
  /** Calls allowed to run at once. Integer >= 1. Default 64 (`ScalingLimits.maxConcurrentOperations`). */
  readonly maxConcurrency: number;
  /** Calls allowed to wait (FIFO). Integer >= 0; 0 rejects at once when full. Default 1000. */
  readonly maxQueueSize: number;
  /** Longest time a call waits in the queue, ms > 0, or `Infinity` (default). */
  readonly queueTimeoutMs: number;
}

/** A slot held by one call. `release()` is idempotent. @since 6.0.0 */
export interface BulkheadLease {
  release(): void;
}

/** Statistics of a bulkhead. @since 6.0.0 */
export interface BulkheadStatistics {
  readonly maxConcurrency: number;
  readonly maxQueueSize: number;
  /** Calls running now. */
  readonly running: number;
  /** Calls waiting now. */
  readonly queued: number;
  /** Slots admitted since creation. */
  readonly admitted: number;
  /** Rejections by cause. */
  readonly rejectedQueueFull: number;
  readonly rejectedQueueTimeout: number;
  readonly rejectedShrunk: number;
  /** Waiters that left because their signal aborted. */
  readonly aborted: number;
  /** Highest `running` ever seen. */
  readonly peakRunning: number;
  /** Highest `queued` ever seen. */
  readonly peakQueued: number;
}

/**
 * Bounds the concurrency of calls into one downstream, with a bounded FIFO wait queue.
 * @since 6.0.0
 */
export interface IBulkheadIsolation {
  readonly name: string;
  readonly options: Readonly<BulkheadOptions>;
  readonly running: number;
  readonly queued: number;
  /** A slot now, or `undefined` when none is free (never queues). The hot path. */
  tryAcquire(): BulkheadLease | undefined;
  /**
   * A slot now, or after waiting in the queue. Rejects with {@link BulkheadRejectedError}
   * when the queue is full (or 0), the wait times out, or a shrink cuts the queue; rejects
   * with the signal's reason when `signal` aborts while waiting (the waiter leaves the queue
   * at once).
   */
  acquire(signal?: AbortSignal): Promise<BulkheadLease>;
  /**
   * Resizes in place. Shrinking lets running calls finish and admits no one until `running`
   * is below the new limit; growing admits waiters at once; a smaller queue rejects the
   * newest waiters beyond it. @throws {@link InvalidConfigurationError}
   */
  reconfigure(options: Partial<BulkheadOptions>): void;
  getStatistics(): BulkheadStatistics;
  /** Rejects every waiter (`disposed`) and refuses new calls. */
  dispose(): void;
}

/** DI token. @since 6.0.0 */
export const BulkheadIsolationToken = createServiceToken<IBulkheadIsolation>('datawarehouse.sdk.IBulkheadIsolation');
