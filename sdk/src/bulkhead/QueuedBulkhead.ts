import type { BulkheadLease, BulkheadOptions, BulkheadStatistics, IBulkheadIsolation } from './IBulkheadIsolation.js';
import type { BulkheadRejectionReason } from '../errors/errors.js';
import type { Clock, TimerHandle } from '../time/Clock.js';
import { SdkCompatibility } from '../compat/SdkCompatibility.js';
import { withoutStack } from '../errors/DataWarehouseError.js';
import { BulkheadRejectedError } from '../errors/errors.js';
import { markPipelineRejection } from '../errors/pipelineRejection.js';
import { validateString } from '../config/validate.js';
import { resolveBulkheadOptions } from './BulkheadOptions.js';

/**
 * The wait queue of a {@link QueuedBulkhead}; its order is the bulkhead's admission order.
 * Implementations keep their links in the waiter itself, so that `remove` needs no lookup.
 * @since 6.0.0
 */
export interface BulkheadWaiterQueue<W> {
  /** Waiters in the queue. */
  readonly size: number;
  /** Adds `waiter`, which is in no queue. */
  push(waiter: W): void;
  /** Removes and returns the waiter to admit next, or `undefined` when empty. */
  dequeueNext(): W | undefined;
  /** Removes and returns the waiter that would be admitted last (cut first when the queue shrinks). */
  dequeueLast(): W | undefined;
  /** Removes `waiter` if it is in this queue; false (and nothing changes) otherwise. */
  remove(waiter: W): boolean;
}

// Entry points into the bulkhead's private state for its leases and waiters, bound in the
// class's static block. TypeScript has no "friend"; a public or protected method would let any
// caller (or subclass) free a slot it does not hold.
let releaseSlot: (bulkhead: QueuedBulkhead) => void;
let abortWaiter: (bulkhead: QueuedBulkhead, waiter: BulkheadWaiter) => void;

/** One held slot. A plain class instance, so the hot path allocates one small object and no closure. */
class Lease implements BulkheadLease {
  private released = false;

  constructor(private readonly owner: QueuedBulkhead) {}

  release(): void {
    // Idempotent: a second release must never free a slot someone else now holds.
    if (this.released) return;
    this.released = true;
    releaseSlot(this.owner);
  }
}

/**
 * A call waiting in a {@link QueuedBulkhead}. A subclass adds the links its
 * {@link BulkheadWaiterQueue} keeps in the node; the other fields belong to the bulkhead.
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export abstract class BulkheadWaiter {
  /** @internal The queue-timeout timer, while one runs. */
  timer: TimerHandle | undefined = undefined;
  /** @internal Settles the call with a slot. */
  resolve!: (lease: BulkheadLease) => void;
  /** @internal Settles the call with an error. */
  reject!: (reason: unknown) => void;

  /**
   * @param owner - the bulkhead the call waits in.
   * @param signal - the caller's signal, listened to while the call waits.
   */
  constructor(
    private readonly owner: QueuedBulkhead,
    readonly signal: AbortSignal | undefined,
  ) {}

  /** The abort listener: the waiter is an EventListenerObject, so no closure per waiter. */
  handleEvent(): void {
    abortWaiter(this.owner, this);
  }
}

/**
 * The mechanism shared by the bulkheads: `maxConcurrency` slots and a bounded wait queue whose
 * order a subclass chooses by the {@link BulkheadWaiterQueue} it passes in.
 *
 * - {@link QueuedBulkhead.tryAcquire} is the synchronous hot path: O(1), one small lease
 *   object, and it never overtakes a waiter.
 * - A released slot goes straight to the next waiter when running stays within the limit.
 * - A waiter leaves the queue at once when it times out, when its signal aborts, or when a
 *   reconfiguration or `dispose()` rejects it; its timer and abort listener are removed the
 *   moment it is settled, whichever way.
 * - {@link QueuedBulkhead.reconfigure} resizes live and never lets more than the new limit
 *   start; a changed `queueTimeoutMs` applies to calls queued afterwards.
 * - Rejections are stackless {@link BulkheadRejectedError}s.
 *
 * A subclass implements `acquire` as `this.settleAtOnce(signal) ?? this.enqueue(new MyWaiter(this, signal))`.
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export abstract class QueuedBulkhead implements IBulkheadIsolation {
  static {
    releaseSlot = (bulkhead) => bulkhead.onRelease();
    abortWaiter = (bulkhead, waiter) => bulkhead.onAbort(waiter);
  }

  readonly name: string;
  private opts: Readonly<BulkheadOptions>;
  // Copy of opts.maxConcurrency: read on every tryAcquire, kept one load away.
  private limit: number;
  private active = 0;
  private disposed = false;

  private admittedCount = 0;
  private rejectedQueueFull = 0;
  private rejectedQueueTimeout = 0;
  private rejectedShrunk = 0;
  private abortedCount = 0;
  private peakRunning = 0;
  private peakQueued = 0;

  /**
   * @param name - the bulkhead's name, carried by its rejections.
   * @param options - overrides of {@link DEFAULT_BULKHEAD_OPTIONS}.
   * @param clock - source of the queue-timeout timers.
   * @param waiters - the empty wait queue, holding only the waiters this subclass makes.
   * @param maxNameLength - longest name accepted; default that of `validateString` (256).
   * @throws {@link InvalidConfigurationError} for a bad name (`bulkhead.name`) or option
   *   (`bulkhead.<option>`).
   */
  protected constructor(
    name: string,
    options: Partial<BulkheadOptions>,
    private readonly clock: Clock,
    private readonly waiters: BulkheadWaiterQueue<BulkheadWaiter>,
    maxNameLength?: number,
  ) {
    this.name = validateString('bulkhead.name', name, maxNameLength);
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

  /** Calls waiting now (exact: a waiter that times out or aborts leaves the queue at once). */
  get queued(): number {
    return this.waiters.size;
  }

  /**
   * A slot now, or `undefined` when none is free, when anyone is already waiting (a newcomer
   * never overtakes the queue) or after `dispose()`. Never queues. O(1).
   */
  tryAcquire(): BulkheadLease | undefined {
    // The queue check is implied while drain() keeps "a waiter means no free slot"; it stays as
    // a cheap guard so that a newcomer can never overtake a waiter, whatever a future change does.
    if (this.active >= this.limit || this.waiters.size !== 0 || this.disposed) return undefined;
    return this.admit();
  }

  /** A slot now, or after waiting in the queue; the subclass documents its order and rejections. */
  abstract acquire(signal?: AbortSignal): Promise<BulkheadLease>;

  /**
   * Validates `options` over the options in force, then applies them in place (nothing is
   * applied when validation fails). A lower `maxConcurrency` lets running calls finish and
   * admits no one until `running` is below it; a higher one admits waiters at once, next
   * first. A lower `maxQueueSize` rejects (`shrunk`) the waiters that would be admitted last.
   * A new `queueTimeoutMs` applies to calls queued from now on; waiters already queued keep
   * their deadline.
   * @throws {@link InvalidConfigurationError} naming the bad field (`bulkhead.<option>`).
   */
  reconfigure(options: Partial<BulkheadOptions>): void {
    const next = resolveBulkheadOptions(options, 'bulkhead', this.opts);
    this.opts = next;
    this.limit = next.maxConcurrency;
    // Admit first, so a larger limit takes the next waiters before the queue is cut.
    this.drain();
    while (this.waiters.size > next.maxQueueSize) {
      const waiter = this.waiters.dequeueLast()!;
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
   * Rejects every waiter (`disposed`, in admission order) and refuses new calls; leases
   * already held can still be released. Idempotent.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (let waiter = this.waiters.dequeueNext(); waiter !== undefined; waiter = this.waiters.dequeueNext()) {
      this.detach(waiter);
      waiter.reject(this.rejection('disposed'));
    }
  }

  /**
   * The outcome of an `acquire` that need not wait: the signal's reason when it is already
   * aborted, `disposed` after `dispose()`, a slot when one is free and no one waits,
   * `queue-full` when the queue is full; `undefined` when the call must wait.
   */
  protected settleAtOnce(signal: AbortSignal | undefined): Promise<BulkheadLease> | undefined {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.disposed) return Promise.reject(this.rejection('disposed'));
    const lease = this.tryAcquire();
    if (lease !== undefined) return Promise.resolve(lease);
    if (this.waiters.size >= this.opts.maxQueueSize) {
      this.rejectedQueueFull++;
      return Promise.reject(this.rejection('queue-full'));
    }
    return undefined;
  }

  /**
   * Queues `waiter`, made by the subclass for this call right after {@link settleAtOnce}
   * returned `undefined`, with its abort listener and its `queueTimeoutMs` timer.
   */
  protected enqueue(waiter: BulkheadWaiter): Promise<BulkheadLease> {
    const promise = new Promise<BulkheadLease>((resolve, reject) => {
      waiter.resolve = resolve;
      waiter.reject = reject;
    });
    this.waiters.push(waiter);
    if (this.waiters.size > this.peakQueued) this.peakQueued = this.waiters.size;
    waiter.signal?.addEventListener('abort', waiter);
    const timeoutMs = this.opts.queueTimeoutMs;
    if (timeoutMs !== Infinity) waiter.timer = this.clock.setTimeout(() => this.onTimeout(waiter), timeoutMs);
    return promise;
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

  // Hands free slots to the next waiters. Every path that lowers `active` or raises `limit`
  // calls it, so a waiter never sits in the queue while a slot is free.
  private drain(): void {
    while (this.active < this.limit) {
      const waiter = this.waiters.dequeueNext();
      if (waiter === undefined) return;
      this.detach(waiter);
      waiter.resolve(this.admit());
    }
  }

  private onTimeout(waiter: BulkheadWaiter): void {
    waiter.timer = undefined; // it has fired; nothing to clear
    if (!this.waiters.remove(waiter)) return;
    this.detach(waiter);
    this.rejectedQueueTimeout++;
    waiter.reject(this.rejection('queue-timeout'));
  }

  private onAbort(waiter: BulkheadWaiter): void {
    if (!this.waiters.remove(waiter)) return;
    this.detach(waiter);
    this.abortedCount++;
    waiter.reject(waiter.signal!.reason);
  }

  // Called once per waiter as it is settled: whatever settled it, its timer and listener go.
  private detach(waiter: BulkheadWaiter): void {
    if (waiter.timer !== undefined) {
      this.clock.clearTimeout(waiter.timer);
      waiter.timer = undefined;
    }
    waiter.signal?.removeEventListener('abort', waiter);
  }

  private rejection(reason: BulkheadRejectionReason): BulkheadRejectedError {
    const { maxConcurrency, maxQueueSize } = this.opts;
    const queued = this.waiters.size;
    return markPipelineRejection(
      withoutStack(() => new BulkheadRejectedError(this.name, reason, maxConcurrency, maxQueueSize, queued)),
    );
  }
}
