import {
  BulkheadWaiter,
  InvalidConfigurationError,
  QueuedBulkhead,
  SdkCompatibility,
  systemClock,
} from '@datawarehouse/sdk';
import type { BulkheadLease, BulkheadOptions, Clock } from '@datawarehouse/sdk';
import type { PriorityHeapNode } from './PriorityWaiterHeap.js';
import { PriorityWaiterHeap } from './PriorityWaiterHeap.js';

/** Longest bulkhead name accepted (room for `strategy/partition-key` names). @since 6.0.0 */
export const MAX_BULKHEAD_NAME_LENGTH = 1024;

/** A queued call: a node of the indexed heap, so leaving the queue early is O(log n). */
class PriorityWaiter extends BulkheadWaiter implements PriorityHeapNode {
  heapIndex = -1;

  constructor(
    owner: QueuedBulkhead,
    signal: AbortSignal | undefined,
    readonly priority: number,
    readonly seq: number,
  ) {
    super(owner, signal);
  }
}

/**
 * A bulkhead whose wait queue admits the highest `priority` first and, within a priority, the
 * oldest first. Otherwise it follows the rules of the SDK's `InMemoryBulkheadIsolation` (the
 * mechanism of both is the SDK's `QueuedBulkhead`):
 *
 * - `maxConcurrency` slots; {@link PriorityBulkheadIsolation.tryAcquire} is the synchronous hot
 *   path and never overtakes a waiter.
 * - A bounded queue (`maxQueueSize`, 0 = reject at once): a call arriving at a full queue is
 *   rejected (`queue-full`) whatever its priority — queued calls are never displaced.
 * - A waiter leaves the queue at once, in O(log n) (an indexed heap, so `queued` is always
 *   exact), when it times out (`queueTimeoutMs`), when its signal aborts, or when a
 *   reconfiguration or `dispose()` rejects it; its timer and abort listener are removed the
 *   moment it is settled, whichever way.
 * - Live resize never lets more than the new limit start; a smaller queue rejects (`shrunk`)
 *   the waiters that would have been admitted last (lowest priority, newest). A changed
 *   `queueTimeoutMs` applies to calls queued afterwards.
 * - Rejections are stackless {@link BulkheadRejectedError}s.
 *
 * Defaults: `DEFAULT_BULKHEAD_OPTIONS` of the SDK (64 running, 1000 queued, no queue timeout).
 *
 * @example
 * ```ts
 * const bulkhead = new PriorityBulkheadIsolation('db', { maxConcurrency: 8 }, clock);
 * const lease = await bulkhead.acquire(signal, 10); // ahead of every waiter below 10
 * try { await query(); } finally { lease.release(); }
 * ```
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class PriorityBulkheadIsolation extends QueuedBulkhead {
  private nextSeq = 0;

  /**
   * @param name - the bulkhead's name, carried by its rejections (1..1024 characters).
   * @param options - overrides of the SDK's `DEFAULT_BULKHEAD_OPTIONS`.
   * @param clock - source of the queue-timeout timers; default `systemClock`.
   * @throws {@link InvalidConfigurationError} for a bad name (`bulkhead.name`) or option
   *   (`bulkhead.<option>`).
   */
  constructor(name: string, options: Partial<BulkheadOptions> = {}, clock: Clock = systemClock) {
    super(name, options, clock, new PriorityWaiterHeap<PriorityWaiter>(), MAX_BULKHEAD_NAME_LENGTH);
  }

  /**
   * A slot now, or after waiting in the queue behind every waiter of a higher `priority` and
   * every older waiter of the same priority. Rejects with the signal's reason when `signal`
   * is already aborted or aborts while waiting; with a stackless {@link BulkheadRejectedError}
   * when the queue is full (`queue-full`), the wait exceeds `queueTimeoutMs`
   * (`queue-timeout`), a reconfiguration cuts the queue (`shrunk`) or the bulkhead is
   * disposed (`disposed`); with {@link InvalidConfigurationError} (field `priority`) when
   * `priority` is not a finite number.
   * @param priority - higher is admitted first. Default 0.
   */
  acquire(signal?: AbortSignal, priority = 0): Promise<BulkheadLease> {
    if (typeof priority !== 'number' || !Number.isFinite(priority)) {
      return Promise.reject(new InvalidConfigurationError('priority', priority, 'a finite number'));
    }
    // The sequence number is taken only by a call that waits, as the heap's FIFO tie-break.
    return this.settleAtOnce(signal) ?? this.enqueue(new PriorityWaiter(this, signal, priority, this.nextSeq++));
  }
}
