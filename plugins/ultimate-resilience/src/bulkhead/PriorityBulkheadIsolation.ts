import {
  BulkheadRejectedError,
  InvalidConfigurationError,
  SdkCompatibility,
  resolveBulkheadOptions,
  systemClock,
  validateString,
  withoutStack,
} from '@datawarehouse/sdk';
import type {
  BulkheadLease,
  BulkheadOptions,
  BulkheadRejectionReason,
  BulkheadStatistics,
  Clock,
  IBulkheadIsolation,
  TimerHandle,
} from '@datawarehouse/sdk';
import type { PriorityHeapNode } from './PriorityWaiterHeap.js';
import { PriorityWaiterHeap } from './PriorityWaiterHeap.js';

/** Longest bulkhead name accepted (room for `strategy/partition-key` names). @since 6.0.0 */
export const MAX_BULKHEAD_NAME_LENGTH = 1024;

// Entry points into the bulkhead's private state for its leases and waiters, bound in the
// class's static block, so that no public method lets a caller free a slot it does not hold.
let releaseSlot: (bulkhead: PriorityBulkheadIsolation) => void;
let abortWaiter: (bulkhead: PriorityBulkheadIsolation, waiter: Waiter) => void;

/** One held slot; one small object per admission and no closure. */
class Lease implements BulkheadLease {
  private released = false;

  constructor(private readonly owner: PriorityBulkheadIsolation) {}

  release(): void {
    // Idempotent: a second release must never free a slot someone else now holds.
    if (this.released) return;
    this.released = true;
    releaseSlot(this.owner);
  }
}

/** A queued call: a node of the indexed heap, so leaving the queue early is O(log n). */
class Waiter implements PriorityHeapNode {
  heapIndex = -1;
  timer: TimerHandle | undefined = undefined;
  resolve!: (lease: BulkheadLease) => void;
  reject!: (reason: unknown) => void;

  constructor(
    private readonly owner: PriorityBulkheadIsolation,
    readonly signal: AbortSignal | undefined,
    readonly priority: number,
    readonly seq: number,
  ) {}

  // The waiter is its own abort listener (an EventListenerObject): no closure per waiter.
  handleEvent(): void {
    abortWaiter(this.owner, this);
  }
}

/**
 * A bulkhead whose wait queue admits the highest `priority` first and, within a priority, the
 * oldest first. Otherwise it follows the rules of the SDK's `InMemoryBulkheadIsolation`:
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
export class PriorityBulkheadIsolation implements IBulkheadIsolation {
  static {
    releaseSlot = (bulkhead) => bulkhead.onRelease();
    abortWaiter = (bulkhead, waiter) => bulkhead.onAbort(waiter);
  }

  readonly name: string;
  private opts: Readonly<BulkheadOptions>;
  private limit: number;
  private active = 0;
  private readonly waiters = new PriorityWaiterHeap<Waiter>();
  private nextSeq = 0;
  private disposed = false;

  private admittedCount = 0;
  private rejectedQueueFull = 0;
  private rejectedQueueTimeout = 0;
  private rejectedShrunk = 0;
  private abortedCount = 0;
  private peakRunning = 0;
  private peakQueued = 0;

  /**
   * @param name - the bulkhead's name, carried by its rejections (1..1024 characters).
   * @param options - overrides of the SDK's `DEFAULT_BULKHEAD_OPTIONS`.
   * @param clock - source of the queue-timeout timers; default `systemClock`.
   * @throws {@link InvalidConfigurationError} for a bad name (`bulkhead.name`) or option
   *   (`bulkhead.<option>`).
   */
  constructor(name: string, options: Partial<BulkheadOptions> = {}, private readonly clock: Clock = systemClock) {
    this.name = validateString('bulkhead.name', name, MAX_BULKHEAD_NAME_LENGTH);
    this.opts = resolveBulkheadOptions(options, 'bulkhead');
    this.limit = this.opts.maxConcurrency;
  }

  /** The options in force (frozen). */
  get options(): Readonly<BulkheadOptions> {
    return this.opts;
  }

  /** Calls holding a slot now (may exceed `maxConcurrency` right after a shrink). */
  get running(): number {
    return this.active;
  }

  /** Calls waiting now (exact: aborted and timed-out waiters are removed at once). */
  get queued(): number {
    return this.waiters.size;
  }

  /**
   * A slot now, or `undefined` when none is free, when anyone is waiting (a newcomer never
   * overtakes the queue) or after `dispose()`. Never queues. O(1).
   */
  tryAcquire(): BulkheadLease | undefined {
    if (this.active >= this.limit || this.waiters.size !== 0 || this.disposed) return undefined;
    return this.admit();
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
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.disposed) return Promise.reject(this.rejection('disposed'));
    const lease = this.tryAcquire();
    if (lease !== undefined) return Promise.resolve(lease);
    if (this.waiters.size >= this.opts.maxQueueSize) {
      this.rejectedQueueFull++;
      return Promise.reject(this.rejection('queue-full'));
    }
    const waiter = new Waiter(this, signal, priority, this.nextSeq++);
    const promise = new Promise<BulkheadLease>((resolve, reject) => {
      waiter.resolve = resolve;
      waiter.reject = reject;
    });
    this.waiters.push(waiter);
    if (this.waiters.size > this.peakQueued) this.peakQueued = this.waiters.size;
    signal?.addEventListener('abort', waiter);
    const timeoutMs = this.opts.queueTimeoutMs;
    if (timeoutMs !== Infinity) waiter.timer = this.clock.setTimeout(() => this.onTimeout(waiter), timeoutMs);
    return promise;
  }

  /**
   * Validates `options` over the options in force, then applies them in place (nothing is
   * applied when validation fails). A lower `maxConcurrency` lets running calls finish and
   * admits no one until `running` is below it; a higher one admits waiters at once, best
   * first. A lower `maxQueueSize` rejects (`shrunk`) the waiters that would be admitted last.
   * A new `queueTimeoutMs` applies to calls queued from now on.
   * @throws {@link InvalidConfigurationError} naming the bad field (`bulkhead.<option>`).
   */
  reconfigure(options: Partial<BulkheadOptions>): void {
    const next = resolveBulkheadOptions(options, 'bulkhead', this.opts);
    this.opts = next;
    this.limit = next.maxConcurrency;
    // Admit first, so a larger limit takes the best waiters before the queue is cut.
    this.drain();
    while (this.waiters.size > next.maxQueueSize) {
      // O(n) per cut waiter; shrinking a queue is a rare, operator-driven event.
      const waiter = this.waiters.worst()!;
      this.waiters.remove(waiter);
      this.detach(waiter);
      this.rejectedShrunk++;
      waiter.reject(this.rejection('shrunk'));
    }
  }

  /** A snapshot of the counters, the current sizes and the limits. */
  getStatistics(): BulkheadStatistics {
    return {
      maxConcurrency: this.opts.maxConcurrency,
      maxQueueSize: this.opts.maxQueueSize,
      running: this.active,
      queued: this.waiters.size,
      admitted: this.admittedCount,
      rejectedQueueFull: this.rejectedQueueFull,
      rejectedQueueTimeout: this.rejectedQueueTimeout,
      rejectedShrunk: this.rejectedShrunk,
      aborted: this.abortedCount,
      peakRunning: this.peakRunning,
      peakQueued: this.peakQueued,
    };
  }

  /**
   * Rejects every waiter (`disposed`, best first) and refuses new calls; leases already held
   * can still be released. Idempotent.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (let waiter = this.waiters.pop(); waiter !== undefined; waiter = this.waiters.pop()) {
      this.detach(waiter);
      waiter.reject(this.rejection('disposed'));
    }
  }

  private admit(): Lease {
    const running = ++this.active;
    this.admittedCount++;
    if (running > this.peakRunning) this.peakRunning = running;
    return new Lease(this);
  }

  private onRelease(): void {
    this.active--;
    this.drain();
  }

  // Hands free slots to the best waiters. Every path that lowers `active` or raises `limit`
  // calls it, so a waiter never sits in the queue while a slot is free.
  private drain(): void {
    while (this.active < this.limit) {
      const waiter = this.waiters.pop();
      if (waiter === undefined) return;
      this.detach(waiter);
      waiter.resolve(this.admit());
    }
  }

  private onTimeout(waiter: Waiter): void {
    waiter.timer = undefined; // it has fired; nothing to clear
    if (!this.waiters.remove(waiter)) return;
    this.detach(waiter);
    this.rejectedQueueTimeout++;
    waiter.reject(this.rejection('queue-timeout'));
  }

  private onAbort(waiter: Waiter): void {
    if (!this.waiters.remove(waiter)) return;
    this.detach(waiter);
    this.abortedCount++;
    waiter.reject(waiter.signal!.reason);
  }

  // Called once per waiter as it is settled: whatever settled it, its timer and listener go.
  private detach(waiter: Waiter): void {
    if (waiter.timer !== undefined) {
      this.clock.clearTimeout(waiter.timer);
      waiter.timer = undefined;
    }
    waiter.signal?.removeEventListener('abort', waiter);
  }

  private rejection(reason: BulkheadRejectionReason): BulkheadRejectedError {
    const { maxConcurrency, maxQueueSize } = this.opts;
    const queued = this.waiters.size;
    return withoutStack(() => new BulkheadRejectedError(this.name, reason, maxConcurrency, maxQueueSize, queued));
  }
}
