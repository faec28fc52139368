import {
  CapacityExceededError,
  SdkCompatibility,
  resolveBulkheadOptions,
  systemClock,
  validateInteger,
  validateString,
} from '@datawarehouse/sdk';
import type { BulkheadOptions, BulkheadStatistics, Clock, IBulkheadIsolation } from '@datawarehouse/sdk';
import { PriorityBulkheadIsolation } from './PriorityBulkheadIsolation.js';

/** Longest partition key accepted. @since 6.0.0 */
export const MAX_PARTITION_KEY_LENGTH = 256;

/** Creates the bulkhead of one partition. @since 6.0.0 */
export type BulkheadFactory<B extends IBulkheadIsolation = IBulkheadIsolation> = (
  name: string,
  options: Readonly<BulkheadOptions>,
  clock: Clock,
) => B;

/**
 * Aggregate statistics of a {@link PartitionedBulkhead}. `maxConcurrency` / `maxQueueSize` are
 * the per-partition limits; `running` / `queued` sum the live partitions; the counters
 * (`admitted`, `rejected*`, `aborted`) also include partitions evicted since; the peaks are the
 * highest seen by any single partition.
 * @since 6.0.0
 */
export interface PartitionedBulkheadStatistics extends BulkheadStatistics {
  /** Partitions held now. */
  readonly partitions: number;
  readonly maxPartitions: number;
  /** Idle partitions evicted to make room since creation. */
  readonly evictedPartitions: number;
  /** Largest `running` of any single partition now (load is per partition, not summed). */
  readonly busiestRunning: number;
  /** Largest `queued` of any single partition now. */
  readonly busiestQueued: number;
}

const defaultFactory: BulkheadFactory<PriorityBulkheadIsolation> = (name, options, clock) =>
  new PriorityBulkheadIsolation(name, options, clock);

/**
 * One bulkhead per partition key (a tenant, a host, a user...), created on first use with
 * shared options, so that one noisy partition cannot take every slot.
 *
 * - Bounded: at most `maxPartitions` are held. When a new key arrives at the limit, the least
 *   recently used **idle** partition (running 0, queued 0) is evicted and disposed; when none is
 *   idle, {@link PartitionedBulkhead.get} throws {@link CapacityExceededError}. A disposed
 *   partition refuses new calls, so a stale reference can never run calls beside its
 *   replacement and break the per-partition limit: call `get(key)` right before acquiring.
 * - `reconfigure` validates once, then applies to every partition and to future ones.
 * - Partitions are named `${name}/${key}`; the default factory makes
 *   {@link PriorityBulkheadIsolation}s (which accept that length; the SDK's in-memory bulkhead
 *   limits names to 256 characters).
 * - Recency is kept by the `Map`'s insertion order (re-inserting on use): `get` is O(1);
 *   eviction scans from the least recently used entry until it finds an idle one.
 *
 * @example
 * ```ts
 * const tenants = new PartitionedBulkhead('api', { maxConcurrency: 4 }, 1000, clock);
 * const lease = await tenants.get(tenantId).acquire(signal);
 * ```
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class PartitionedBulkhead<B extends IBulkheadIsolation = PriorityBulkheadIsolation> {
  readonly name: string;
  private partitionLimit: number;
  private opts: Readonly<BulkheadOptions>;
  private readonly partitions = new Map<string, B>();
  private readonly factory: BulkheadFactory<B>;
  private lastKey: string | undefined = undefined;
  private disposed = false;
  private disposedStandIn: B | undefined = undefined;

  private evicted = 0;
  // Counters of evicted partitions, so the aggregate never goes backwards.
  private retiredAdmitted = 0;
  private retiredQueueFull = 0;
  private retiredQueueTimeout = 0;
  private retiredShrunk = 0;
  private retiredAborted = 0;
  private retiredPeakRunning = 0;
  private retiredPeakQueued = 0;

  /**
   * @param name - name of the whole (usually the strategy id), 1..256 characters.
   * @param options - bulkhead options every partition gets (SDK defaults for the rest).
   * @param maxPartitions - partitions held at most, integer 1..1 000 000. Default 1000.
   * @param clock - passed to each partition (queue timeouts). Default `systemClock`.
   * @param factory - makes a partition; default a {@link PriorityBulkheadIsolation}.
   * @throws {@link InvalidConfigurationError} naming `bulkhead.name`, `bulkhead.<option>` or
   *   `bulkhead.maxPartitions`.
   */
  constructor(
    name: string,
    options: Partial<BulkheadOptions> = {},
    maxPartitions = 1000,
    private readonly clock: Clock = systemClock,
    factory?: BulkheadFactory<B>,
  ) {
    this.name = validateString('bulkhead.name', name);
    this.opts = resolveBulkheadOptions(options, 'bulkhead');
    this.partitionLimit = validateInteger('bulkhead.maxPartitions', maxPartitions, 1, 1_000_000);
    this.factory = factory ?? (defaultFactory as unknown as BulkheadFactory<B>);
  }

  /** The options every partition has (frozen). */
  get options(): Readonly<BulkheadOptions> {
    return this.opts;
  }

  /** Partitions held at most. */
  get maxPartitions(): number {
    return this.partitionLimit;
  }

  /**
   * Changes how many partitions are held. Lowering it evicts idle partitions down to the new
   * limit; busy ones stay (no call is cut off) and no new key is admitted until enough are idle.
   * @throws {@link InvalidConfigurationError} naming `bulkhead.maxPartitions`.
   */
  setMaxPartitions(maxPartitions: number): void {
    this.partitionLimit = validateInteger('bulkhead.maxPartitions', maxPartitions, 1, 1_000_000);
    const excess = this.partitions.size - this.partitionLimit;
    if (excess > 0) this.evictIdle(excess);
  }

  /** Partitions held now. */
  get partitionCount(): number {
    return this.partitions.size;
  }

  /**
   * The bulkhead of partition `key`, created on first use; marks it most recently used.
   * After `dispose()`, a disposed bulkhead that refuses every call.
   * @throws {@link InvalidConfigurationError} (field `partitionKey`) when `key` is not a
   *   non-empty string of at most 256 characters; {@link CapacityExceededError} when
   *   `maxPartitions` are held and none is idle.
   */
  get(key: string): B {
    if (key === this.lastKey) {
      const hit = this.partitions.get(key);
      if (hit !== undefined) return hit;
    }
    validateString('partitionKey', key, MAX_PARTITION_KEY_LENGTH);
    if (this.disposed) return this.standIn();
    let bulkhead = this.partitions.get(key);
    if (bulkhead !== undefined) {
      // Re-insert: Map order is then least to most recently used.
      this.partitions.delete(key);
    } else {
      if (this.partitions.size >= this.partitionLimit && !this.evictIdle(this.partitions.size - this.partitionLimit + 1)) {
        throw new CapacityExceededError(`bulkhead partition of '${this.name}' (none is idle)`, this.partitionLimit);
      }
      bulkhead = this.factory(`${this.name}/${key}`, this.opts, this.clock);
    }
    this.partitions.set(key, bulkhead);
    this.lastKey = key;
    return bulkhead;
  }

  /** The bulkhead of `key` if it exists; does not create it nor change its recency. */
  peek(key: string): B | undefined {
    return this.partitions.get(key);
  }

  /**
   * Evicts (and disposes) up to `max` idle partitions, least recently used first; returns how
   * many were evicted. Use it to trim memory; `get` calls it itself when full.
   */
  evictIdle(max = Infinity): number {
    let n = 0;
    for (const [key, bulkhead] of this.partitions) {
      if (n >= max) break;
      if (bulkhead.running !== 0 || bulkhead.queued !== 0) continue;
      this.partitions.delete(key);
      if (key === this.lastKey) this.lastKey = undefined;
      this.retire(bulkhead);
      bulkhead.dispose();
      this.evicted++;
      n++;
    }
    return n;
  }

  /**
   * Validates `options` over the shared options, then applies them to every partition and to
   * those created later. Nothing changes when validation fails.
   * @throws {@link InvalidConfigurationError} naming the bad field (`bulkhead.<option>`).
   */
  reconfigure(options: Partial<BulkheadOptions>): void {
    const next = resolveBulkheadOptions(options, 'bulkhead', this.opts);
    this.opts = next;
    for (const bulkhead of this.partitions.values()) bulkhead.reconfigure(next);
  }

  /** Aggregate statistics (see {@link PartitionedBulkheadStatistics}). O(partitions). */
  getStatistics(): PartitionedBulkheadStatistics {
    let running = 0;
    let queued = 0;
    let admitted = this.retiredAdmitted;
    let rejectedQueueFull = this.retiredQueueFull;
    let rejectedQueueTimeout = this.retiredQueueTimeout;
    let rejectedShrunk = this.retiredShrunk;
    let aborted = this.retiredAborted;
    let peakRunning = this.retiredPeakRunning;
    let peakQueued = this.retiredPeakQueued;
    let busiestRunning = 0;
    let busiestQueued = 0;
    for (const bulkhead of this.partitions.values()) {
      const s = bulkhead.getStatistics();
      running += s.running;
      queued += s.queued;
      if (s.running > busiestRunning) busiestRunning = s.running;
      if (s.queued > busiestQueued) busiestQueued = s.queued;
      admitted += s.admitted;
      rejectedQueueFull += s.rejectedQueueFull;
      rejectedQueueTimeout += s.rejectedQueueTimeout;
      rejectedShrunk += s.rejectedShrunk;
      aborted += s.aborted;
      if (s.peakRunning > peakRunning) peakRunning = s.peakRunning;
      if (s.peakQueued > peakQueued) peakQueued = s.peakQueued;
    }
    return {
      maxConcurrency: this.opts.maxConcurrency,
      maxQueueSize: this.opts.maxQueueSize,
      running,
      queued,
      admitted,
      rejectedQueueFull,
      rejectedQueueTimeout,
      rejectedShrunk,
      aborted,
      peakRunning,
      peakQueued,
      partitions: this.partitions.size,
      maxPartitions: this.partitionLimit,
      evictedPartitions: this.evicted,
      busiestRunning,
      busiestQueued,
    };
  }

  /**
   * Disposes every partition (their waiters are rejected with `disposed`) and refuses new
   * calls: `get` then returns a disposed bulkhead. Held leases can still be released. Idempotent.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const bulkhead of this.partitions.values()) bulkhead.dispose();
    // Kept (not cleared) so statistics still show what was running when it was disposed.
    this.lastKey = undefined;
  }

  private standIn(): B {
    if (this.disposedStandIn === undefined) {
      this.disposedStandIn = this.factory(`${this.name}/(disposed)`, this.opts, this.clock);
      this.disposedStandIn.dispose();
    }
    return this.disposedStandIn;
  }

  private retire(bulkhead: B): void {
    const s = bulkhead.getStatistics();
    this.retiredAdmitted += s.admitted;
    this.retiredQueueFull += s.rejectedQueueFull;
    this.retiredQueueTimeout += s.rejectedQueueTimeout;
    this.retiredShrunk += s.rejectedShrunk;
    this.retiredAborted += s.aborted;
    if (s.peakRunning > this.retiredPeakRunning) this.retiredPeakRunning = s.peakRunning;
    if (s.peakQueued > this.retiredPeakQueued) this.retiredPeakQueued = s.peakQueued;
  }
}
