import {
  CapacityExceededError,
  SdkCompatibility,
  resolveBulkheadOptions,
  systemClock,
  withoutStack,
} from '@datawarehouse/sdk';
import { validateInteger, validateString } from '@datawarehouse/sdk/internals';
import type { BulkheadLease, BulkheadOptions, Clock, IBulkheadIsolation } from '@datawarehouse/sdk';
import { IdlePartitionList, PartitionEntry } from './IdlePartitionList.js';
import { PartitionStatistics } from './PartitionStatistics.js';
import type { PartitionedBulkheadStatistics } from './PartitionStatistics.js';
import { PriorityBulkheadIsolation } from './PriorityBulkheadIsolation.js';

export type { PartitionedBulkheadStatistics } from './PartitionStatistics.js';

/** Longest partition key accepted. @since 6.0.0 */
export const MAX_PARTITION_KEY_LENGTH = 256;

/** Creates the bulkhead of one partition. @since 6.0.0 */
export type BulkheadFactory<B extends IBulkheadIsolation = IBulkheadIsolation> = (
  name: string,
  options: Readonly<BulkheadOptions>,
  clock: Clock,
) => B;

type SecondAcquireArg<B extends IBulkheadIsolation> = Exclude<Parameters<B['acquire']>[1], undefined>;

/**
 * The `priority` {@link PartitionedBulkhead.acquire} passes on: the numeric second parameter of
 * the partitions' `acquire` (`number` for {@link PriorityBulkheadIsolation}), else `never`.
 * @since 6.0.0
 */
export type PartitionPriority<B extends IBulkheadIsolation> = 2 extends Parameters<B['acquire']>['length']
  ? SecondAcquireArg<B> extends number
    ? SecondAcquireArg<B>
    : never
  : never;

const defaultFactory: BulkheadFactory<PriorityBulkheadIsolation> = (name, options, clock) =>
  new PriorityBulkheadIsolation(name, options, clock);

/**
 * One bulkhead per partition key (a tenant, a host, a user...), created on first use with
 * shared options, so that one noisy partition cannot take every slot.
 *
 * - Bounded: at most `maxPartitions` are held. When a new key arrives at the limit, the least
 *   recently used **idle** partition (running 0, queued 0) is evicted and disposed; when none is
 *   idle, the call naming the key throws {@link CapacityExceededError}. A disposed partition
 *   refuses new calls, so a stale reference can never run calls beside its replacement and
 *   break the per-partition limit: take slots with {@link PartitionedBulkhead.tryAcquire} /
 *   {@link PartitionedBulkhead.acquire}, or call `get(key)` right before acquiring.
 * - Recency: a partition is used when `get`, `tryAcquire` or `acquire` names it, and when the
 *   last call holding it through `tryAcquire` / `acquire` ends (its lease released, or its wait
 *   rejected or aborted) — that is when it becomes idle.
 * - Cost: O(1), eviction included (amortized). The partitions no call holds through `tryAcquire`
 *   / `acquire` are listed, least recently used first; eviction takes the first really idle one,
 *   skipping (in place) any kept busy by leases taken directly on `get(key)`'s bulkhead — only
 *   such direct use makes eviction walk past partitions.
 * - `reconfigure` validates once, then applies to every partition and to future ones.
 * - Partitions are named `${name}/${key}`; the default factory makes
 *   {@link PriorityBulkheadIsolation}s (which accept that length; the SDK's in-memory bulkhead
 *   limits names to 256 characters).
 *
 * @example
 * ```ts
 * const tenants = new PartitionedBulkhead('api', { maxConcurrency: 4 }, 1000, clock);
 * const lease = tenants.tryAcquire(tenantId) ?? (await tenants.acquire(tenantId, signal, priority));
 * try { await callDownstream(); } finally { lease.release(); }
 * ```
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class PartitionedBulkhead<B extends IBulkheadIsolation = PriorityBulkheadIsolation> {
  readonly name: string;
  private partitionLimit: number;
  private opts: Readonly<BulkheadOptions>;
  private readonly partitions = new Map<string, PartitionEntry<B>>();
  private readonly idle = new IdlePartitionList<B>();
  private readonly factory: BulkheadFactory<B>;
  private lastKey: string | undefined = undefined;
  private lastEntry: PartitionEntry<B> | undefined = undefined;
  private disposed = false;
  private disposedStandIn: B | undefined = undefined;
  private readonly stats = new PartitionStatistics();

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
   * After `dispose()`, a disposed bulkhead that refuses every call. Prefer `tryAcquire` /
   * `acquire` to taking leases on it directly (see the class notes on cost).
   * @throws {@link InvalidConfigurationError} (field `partitionKey`) when `key` is not a
   *   non-empty string of at most 256 characters; {@link CapacityExceededError} when
   *   `maxPartitions` are held and none is idle.
   */
  get(key: string): B {
    return this.enter(key)?.bulkhead ?? this.standIn();
  }

  /**
   * A slot of partition `key` now, or `undefined` when it has none free (or after `dispose()`);
   * never queues. Creates the partition on first use and marks it most recently used, as `get`.
   * The partition counts as busy until the lease is released (idempotent).
   * @throws {@link InvalidConfigurationError} (field `partitionKey`) for a bad key;
   *   {@link CapacityExceededError} when `key` is new, `maxPartitions` are held and none is idle.
   * @example
   * ```ts
   * const lease = tenants.tryAcquire(tenantId); // undefined: reject, or await tenants.acquire(...)
   * ```
   */
  tryAcquire(key: string): BulkheadLease | undefined {
    const entry = this.enter(key);
    if (entry === undefined) return undefined;
    const inner = entry.bulkhead.tryAcquire();
    if (inner === undefined) return undefined;
    entry.hold();
    return entry.lease(inner);
  }

  /**
   * A slot of partition `key` now or after waiting in its queue: the partition's own `acquire`
   * (`signal`, and `priority` when its `acquire` takes one), with the same rejections. Creates
   * the partition on first use and marks it most recently used, as `get`. The partition counts
   * as busy from this call until the lease is released (idempotent) or the wait is rejected.
   * Never throws: every error comes as a rejection — {@link InvalidConfigurationError} (field
   * `partitionKey`) for a bad key, {@link CapacityExceededError} when `key` is new,
   * `maxPartitions` are held and none is idle, `disposed` after `dispose()`.
   * @example
   * ```ts
   * const lease = await tenants.acquire(tenantId, AbortSignal.timeout(500), 10);
   * ```
   */
  acquire(key: string, signal?: AbortSignal, priority?: PartitionPriority<B>): Promise<BulkheadLease> {
    let entry: PartitionEntry<B> | undefined;
    try {
      entry = this.enter(key);
      if (entry === undefined) return this.standIn().acquire(signal);
    } catch (error) {
      return Promise.reject(error);
    }
    entry.hold();
    try {
      const bulkhead = entry.bulkhead as IBulkheadIsolation as PriorityCapable;
      return entry.track(priority === undefined ? bulkhead.acquire(signal) : bulkhead.acquire(signal, priority));
    } catch (error) {
      entry.unhold(); // a partition's acquire that throws instead of rejecting
      return Promise.reject(error);
    }
  }

  /** The bulkhead of `key` if it exists; does not create it nor change its recency. */
  peek(key: string): B | undefined {
    return this.partitions.get(key)?.bulkhead;
  }

  /**
   * Evicts (and disposes) up to `max` idle partitions, least recently used first; returns how
   * many were evicted. Use it to trim memory; a new key at the limit calls it itself.
   */
  evictIdle(max = Infinity): number {
    let n = 0;
    for (let entry = this.idle.head; entry !== undefined && n < max;) {
      const next = entry.next;
      const bulkhead = entry.bulkhead;
      // No call holds it through this class, but leases may have been taken on it directly.
      if (bulkhead.running === 0 && bulkhead.queued === 0) {
        this.evict(entry);
        n++;
      }
      entry = next;
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
    for (const entry of this.partitions.values()) entry.bulkhead.reconfigure(next);
  }

  /** Aggregate statistics (see {@link PartitionedBulkheadStatistics}). O(partitions). */
  getStatistics(): PartitionedBulkheadStatistics {
    return this.stats.aggregate(this.partitions.values(), this.partitions.size, this.partitionLimit, this.opts);
  }

  /**
   * Disposes every partition (their waiters are rejected with `disposed`) and refuses new
   * calls: `get` then returns a disposed bulkhead. Held leases can still be released. Idempotent.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    // Partitions are kept (not cleared) so statistics still show what was running.
    for (const entry of this.partitions.values()) entry.bulkhead.dispose();
    this.lastKey = undefined;
    this.lastEntry = undefined;
  }

  // The entry of `key`, made (evicting if full) on first use, marked most recently used; none after dispose().
  private enter(key: string): PartitionEntry<B> | undefined {
    if (key === this.lastKey) {
      const last = this.lastEntry!;
      this.idle.touch(last);
      return last;
    }
    validateString('partitionKey', key, MAX_PARTITION_KEY_LENGTH);
    if (this.disposed) return undefined;
    let entry = this.partitions.get(key);
    if (entry !== undefined) {
      this.idle.touch(entry);
    } else {
      if (this.partitions.size >= this.partitionLimit) {
        this.evictIdle(this.partitions.size - this.partitionLimit + 1);
        // After a lowered limit, evicting one idle partition may not be enough.
        if (this.partitions.size >= this.partitionLimit) throw this.capacityExceeded();
      }
      entry = new PartitionEntry(key, this.factory(`${this.name}/${key}`, this.opts, this.clock), this.idle);
      this.partitions.set(key, entry);
      this.idle.append(entry);
    }
    this.lastKey = key;
    this.lastEntry = entry;
    return entry;
  }

  private evict(entry: PartitionEntry<B>): void {
    this.idle.remove(entry);
    this.partitions.delete(entry.key);
    if (entry === this.lastEntry) this.lastKey = this.lastEntry = undefined;
    this.stats.retire(entry.bulkhead);
    entry.bulkhead.dispose();
  }

  // Stackless: a fast-fail rejection, met on every call while all partitions are busy.
  private capacityExceeded(): CapacityExceededError {
    const what = `bulkhead partition of '${this.name}' (none is idle)`;
    return withoutStack(() => new CapacityExceededError(what, this.partitionLimit));
  }

  private standIn(): B {
    if (this.disposedStandIn === undefined) {
      this.disposedStandIn = this.factory(`${this.name}/(disposed)`, this.opts, this.clock);
      this.disposedStandIn.dispose();
    }
    return this.disposedStandIn;
  }
}

/** How a partition whose `acquire` takes a priority is called. */
type PriorityCapable = { acquire(signal?: AbortSignal, priority?: number): Promise<BulkheadLease> };
