import type { BulkheadLease, BulkheadOptions } from './IBulkheadIsolation.js';
import type { Clock } from '../time/Clock.js';
import type { WaiterLinks } from './WaiterQueue.js';
import { SdkCompatibility } from '../compat/SdkCompatibility.js';
import { systemClock } from '../time/Clock.js';
import { BulkheadWaiter, QueuedBulkhead } from './QueuedBulkhead.js';
import { WaiterQueue } from './WaiterQueue.js';

export { DEFAULT_BULKHEAD_OPTIONS, MAX_BULKHEAD_QUEUE_TIMEOUT_MS, resolveBulkheadOptions } from './BulkheadOptions.js';

/** A call waiting for a slot; a node of the intrusive queue, so leaving it is O(1). */
class FifoWaiter extends BulkheadWaiter implements WaiterLinks<FifoWaiter> {
  prev: FifoWaiter | undefined = undefined;
  next: FifoWaiter | undefined = undefined;
  queue: WaiterQueue<FifoWaiter> | undefined = undefined;
}

/**
 * A bulkhead in process memory: `maxConcurrency` slots and a bounded FIFO queue of waiters.
 *
 * - {@link InMemoryBulkheadIsolation.tryAcquire} is the synchronous hot path; it never
 *   overtakes a waiter.
 * - A released slot goes straight to the oldest waiter when running stays within the limit.
 * - A waiter leaves the queue at once (O(1)) when it times out, when its signal aborts, or
 *   when a reconfiguration or `dispose()` rejects it; its timer and abort listener are removed
 *   the moment it is settled, whichever way.
 * - {@link InMemoryBulkheadIsolation.reconfigure} resizes live and never lets more than the
 *   new limit start; a smaller queue rejects (`shrunk`) the newest waiters beyond it; a changed
 *   `queueTimeoutMs` applies to calls queued afterwards (waiters already queued keep the
 *   deadline they were given).
 *
 * The mechanism is {@link QueuedBulkhead}'s; this class chooses the FIFO order.
 * Defaults: see {@link DEFAULT_BULKHEAD_OPTIONS}.
 *
 * @example
 * ```ts
 * const bulkhead = new InMemoryBulkheadIsolation('db', { maxConcurrency: 8, queueTimeoutMs: 500 });
 * const lease = bulkhead.tryAcquire() ?? await bulkhead.acquire(signal);
 * try { await query(); } finally { lease.release(); }
 * ```
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class InMemoryBulkheadIsolation extends QueuedBulkhead {
  /**
   * @param name - the bulkhead's name (usually the strategy id), carried by its rejections.
   * @param options - overrides of {@link DEFAULT_BULKHEAD_OPTIONS}.
   * @param clock - source of the queue-timeout timers; default {@link systemClock}.
   * @throws {@link InvalidConfigurationError} for an empty name or an invalid option
   *   (field `bulkhead.<option>`).
   */
  constructor(name: string, options: Partial<BulkheadOptions> = {}, clock: Clock = systemClock) {
    super(name, options, clock, new WaiterQueue<FifoWaiter>());
  }

  /**
   * A slot now, or after waiting in the FIFO queue. Rejects with the signal's reason when
   * `signal` is already aborted or aborts while waiting; with a stackless
   * {@link BulkheadRejectedError} when the queue is full (`queue-full`), the wait exceeds
   * `queueTimeoutMs` (`queue-timeout`), a reconfiguration cuts the queue (`shrunk`) or the
   * bulkhead is disposed (`disposed`).
   */
  acquire(signal?: AbortSignal): Promise<BulkheadLease> {
    return this.settleAtOnce(signal) ?? this.enqueue(new FifoWaiter(this, signal));
  }
}
