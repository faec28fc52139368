import type { BulkheadLease, BulkheadOptions, BulkheadStatistics, IBulkheadIsolation } from './IBulkheadIsolation.js';
import type { BulkheadRejectionReason } from '../errors/errors.js';
import type { Clock, TimerHandle } from '../time/Clock.js';
import type { WaiterLinks } from './WaiterQueue.js';
import { SdkCompatibility } from '../compat/SdkCompatibility.js';
import { withoutStack } from '../errors/DataWarehouseError.js';
import { BulkheadRejectedError } from '../errors/errors.js';
import { validateString } from '../config/validate.js';
import { systemClock } from '../time/Clock.js';
import { resolveBulkheadOptions } from './BulkheadOptions.js';
import { WaiterQueue } from './WaiterQueue.js';

export { DEFAULT_BULKHEAD_OPTIONS, MAX_BULKHEAD_QUEUE_TIMEOUT_MS, resolveBulkheadOptions } from './BulkheadOptions.js';

// Entry points into the bulkhead's private state for its leases and waiters, bound in the
// class's static block. TypeScript has no "friend"; making these methods public would let any
// caller free a slot it does not hold.
let releaseSlot: (bulkhead: InMemoryBulkheadIsolation) => void;
let abortWaiter: (bulkhead: InMemoryBulkheadIsolation, waiter: Waiter) => void;

/** One held slot. A plain class instance, so the hot path allocates one small object and no closure. */
class Lease implements BulkheadLease {
  private released = false;

  constructor(private readonly owner: InMemoryBulkheadIsolation) {}

  release(): void {
    // Idempotent: a second release must never free a slot someone else now holds.
    if (this.released) return;
    this.released = true;
    releaseSlot(this.owner);
  }
}

/** A call waiting for a slot; a node of the intrusive queue, so leaving it is O(1). */
class Waiter implements WaiterLinks<Waiter> {
  prev: Waiter | undefined = undefined;
  next: Waiter | undefined = undefined;
  queue: WaiterQueue<Waiter> | undefined = undefined;
  timer: TimerHandle | undefined = undefined;
  resolve!: (lease: BulkheadLease) => void;
  reject!: (reason: unknown) => void;

  constructor(
    private readonly owner: InMemoryBulkheadIsolation,
    readonly signal: AbortSignal | undefined,
  ) {}

  // The waiter is its own abort listener (an EventListenerObject), so no closure per waiter.
  handleEvent(): void {
    abortWaiter(this.owner, this);
  }
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
 *   new limit start; a changed `queueTimeoutMs` applies to calls queued afterwards (waiters
 *   already queued keep the deadline they were given).
 *
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
export class InMemoryBulkheadIsolation implements IBulkheadIsolation {
  static {
    releaseSlot = (bulkhead) => bulkhead.onRelease();
    abortWaiter = (bulkhead, waiter) => bulkhead.onAbort(waiter);
  }

  readonly name: string;
  private opts: Readonly<BulkheadOptions>;
  // Copy of opts.maxConcurrency: read on every tryAcquire, kept one load away.
  private limit: number;
  private active = 0;
  private readonly waiters = new WaiterQueue<Waiter>();
  private disposed = false;

  private admittedCount = 0;
  private rejectedQueueFull = 0;
  private rejectedQueueTimeout = 0;
  private rejectedShrunk = 0;
  private abortedCount = 0;
  private peakRunning = 0;
  private peakQueued = 0;

  /**
   * @param name - the bulkhead's name (usually the strategy id), carried by its rejections.
   * @param options - overrides of {@link DEFAULT_BULKHEAD_OPTIONS}.
   * @param clock - source of the queue-timeout timers; default {@link systemClock}.
   * @throws {@link InvalidConfigurationError} for an empty name or an invalid option
   *   (field `bulkhead.<option>`).
   */
  constructor(name: string, options: Partial<BulkheadOptions> = {}, private readonly clock: Clock = systemClock) {
    this.name = validateString('bulkhead.name', name);
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

  /** Calls waiting now. */
  get queued(): number {
    return this.waiters.size;
  }

  /**
   * A slot now, or `undefined` when none is free, when anyone is already waiting (a newcomer
   * never overtakes the queue) or after `dispose()`. Never queues.
   */
  tryAcquire(): BulkheadLease | undefined {
    // The queue check is implied while drain() keeps "a waiter means no free slot"; it stays as
    // a cheap guard so that a newcomer can never overtake a waiter, whatever a future change does.
    if (this.active >= this.limit || this.waiters.size !== 0 || this.disposed) return undefined;
    return this.admit();
  }

  /**
   * A slot now, or after waiting in the FIFO queue. Rejects with the signal's reason when
   * `signal` is already aborted or aborts while waiting; with a stackless
   * {@link BulkheadRejectedError} when the queue is full (`queue-full`), the wait exceeds
   * `queueTimeoutMs` (`queue-timeout`), a reconfiguration cuts the queue (`shrunk`) or the
   * bulkhead is disposed (`disposed`).
   */
  acquire(signal?: AbortSignal): Promise<BulkheadLease> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.disposed) return Promise.reject(this.rejection('disposed'));
    const lease = this.tryAcquire();
    if (lease !== undefined) return Promise.resolve(lease);
    if (this.waiters.size >= this.opts.maxQueueSize) {
      this.rejectedQueueFull++;
      return Promise.reject(this.rejection('queue-full'));
    }
    const waiter = new Waiter(this, signal);
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
   * admits no one until `running` is below it; a higher one admits waiters at once. A lower
   * `maxQueueSize` rejects the newest waiters beyond it (`shrunk`). A new `queueTimeoutMs`
   * applies to calls queued from now on; waiters already queued keep their deadline.
   * @throws {@link InvalidConfigurationError} naming the bad field (`bulkhead.<option>`).
   */
  reconfigure(options: Partial<BulkheadOptions>): void {
    const next = resolveBulkheadOptions(options, 'bulkhead', this.opts);
    this.opts = next;
    this.limit = next.maxConcurrency;
    // Admit first, so a larger limit takes waiters from the head before the queue is cut.
    this.drain();
    while (this.waiters.size > next.maxQueueSize) {
      const waiter = this.waiters.pop()!;
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
   * Rejects every waiter (`disposed`) and refuses new calls; leases already held can still be
   * released. Idempotent.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (let waiter = this.waiters.shift(); waiter !== undefined; waiter = this.waiters.shift()) {
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

  // Hands free slots to the oldest waiters. Every path that lowers `active` or raises `limit`
  // calls it, so a waiter never sits in the queue while a slot is free.
  private drain(): void {
    while (this.active < this.limit) {
      const waiter = this.waiters.shift();
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
