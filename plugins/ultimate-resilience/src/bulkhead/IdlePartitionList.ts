import type { BulkheadLease, IBulkheadIsolation } from '@datawarehouse/sdk';

/**
 * One partition of a `PartitionedBulkhead`: its bulkhead, how many calls hold it through the
 * partitioned `tryAcquire` / `acquire` (a lease held or a call still waiting), and its links in
 * the {@link IdlePartitionList}, which it is in exactly while `holders` is 0 and it is not evicted.
 * @internal
 */
export class PartitionEntry<B extends IBulkheadIsolation> {
  holders = 0;
  prev: PartitionEntry<B> | undefined = undefined;
  next: PartitionEntry<B> | undefined = undefined;
  // Settlement handlers of a waiting acquire, made once per partition (on its first wait), so
  // that a call that waits allocates no closure of its own.
  private onGranted: ((lease: BulkheadLease) => BulkheadLease) | undefined = undefined;
  private onRefused: ((reason: unknown) => never) | undefined = undefined;

  constructor(
    readonly key: string,
    readonly bulkhead: B,
    private readonly idle: IdlePartitionList<B>,
  ) {}

  /** One more call holds the partition; it leaves the idle list if it was idle. */
  hold(): void {
    if (this.holders++ === 0) this.idle.remove(this);
  }

  /** A call no longer holds it; the last one out makes it the most recently used idle one. */
  unhold(): void {
    if (--this.holders === 0) this.idle.append(this);
  }

  /** Wraps a lease of this partition's bulkhead so that its release is counted once. */
  lease(inner: BulkheadLease): BulkheadLease {
    return new PartitionLease(this, inner);
  }

  /** `waiting` (the bulkhead's acquire, already counted by `hold`) with its outcome counted. */
  track(waiting: Promise<BulkheadLease>): Promise<BulkheadLease> {
    if (this.onGranted === undefined) {
      this.onGranted = (inner) => new PartitionLease(this, inner);
      this.onRefused = (reason) => {
        this.unhold();
        throw reason;
      };
    }
    return waiting.then(this.onGranted, this.onRefused);
  }
}

/** A lease taken through the partitioned API; `inner` is cleared by the first release. */
class PartitionLease<B extends IBulkheadIsolation> implements BulkheadLease {
  constructor(
    private readonly entry: PartitionEntry<B>,
    private inner: BulkheadLease | undefined,
  ) {}

  release(): void {
    const inner = this.inner;
    // Idempotent: a second release must not count the partition's holder out twice.
    if (inner === undefined) return;
    this.inner = undefined;
    inner.release();
    this.entry.unhold();
  }
}

/**
 * The partitions no call holds through the partitioned API, least recently used first: an
 * intrusive doubly linked list (the links live in the entries), so every operation is O(1) and
 * allocates nothing.
 * @internal
 */
export class IdlePartitionList<B extends IBulkheadIsolation> {
  /** The least recently used entry. */
  head: PartitionEntry<B> | undefined = undefined;
  private tail: PartitionEntry<B> | undefined = undefined;

  /** Adds `entry`, which is in no list, as the most recently used. */
  append(entry: PartitionEntry<B>): void {
    entry.prev = this.tail;
    entry.next = undefined;
    if (this.tail === undefined) this.head = entry;
    else this.tail.next = entry;
    this.tail = entry;
  }

  /** Unlinks `entry`, which is in this list. */
  remove(entry: PartitionEntry<B>): void {
    const { prev, next } = entry;
    if (prev === undefined) this.head = next;
    else prev.next = next;
    if (next === undefined) this.tail = prev;
    else next.prev = prev;
    entry.prev = undefined;
    entry.next = undefined;
  }

  /** Marks `entry` most recently used if it is in the list (no holders); otherwise nothing. */
  touch(entry: PartitionEntry<B>): void {
    if (entry.holders !== 0 || entry === this.tail) return;
    this.remove(entry);
    this.append(entry);
  }
}
