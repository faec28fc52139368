import { describe, expect, it } from 'vitest';
import {
  InMemoryBulkheadIsolation,
  VirtualClock,
  flushMicrotasks,
  isBulkheadRejectedError,
  isCapacityExceededError,
} from '@datawarehouse/sdk';
import type { BulkheadLease, BulkheadOptions, BulkheadStatistics, Clock } from '@datawarehouse/sdk';
import { errorOf, fieldOf } from '@datawarehouse/sdk/testing';
import { PartitionedBulkhead } from './PartitionedBulkhead.js';
import type { BulkheadFactory } from './PartitionedBulkhead.js';
import { PriorityBulkheadIsolation } from './PriorityBulkheadIsolation.js';

/** A partition that counts how often its load (`running`, `queued`, statistics) is read. */
class CountingBulkhead extends PriorityBulkheadIsolation {
  constructor(
    name: string,
    options: Readonly<BulkheadOptions>,
    clock: Clock,
    private readonly counter: { reads: number },
  ) {
    super(name, options, clock);
  }

  override get running(): number {
    this.counter.reads++;
    return super.running;
  }

  override get queued(): number {
    this.counter.reads++;
    return super.queued;
  }

  override getStatistics(): BulkheadStatistics {
    this.counter.reads++;
    return super.getStatistics();
  }
}

function counting(counter: { reads: number }): BulkheadFactory<CountingBulkhead> {
  return (name, options, clock) => new CountingBulkhead(name, options, clock, counter);
}

/** `n` partitions, each holding one lease taken through `tryAcquire`, `k0` first. */
function busyPartitions(
  n: number,
  counter: { reads: number },
): { p: PartitionedBulkhead<CountingBulkhead>; leases: BulkheadLease[] } {
  const p = new PartitionedBulkhead('api', { maxConcurrency: 1 }, n, new VirtualClock(), counting(counter));
  const leases = Array.from({ length: n }, (_, i) => p.tryAcquire(`k${i}`)!);
  return { p, leases };
}

describe('PartitionedBulkhead.tryAcquire / acquire', () => {
  it('reads the load of O(1) partitions, not O(N), when a new key arrives with N busy partitions', () => {
    const readsFor = (n: number): { full: number; oneIdle: number } => {
      const counter = { reads: 0 };
      const { p, leases } = busyPartitions(n, counter);
      counter.reads = 0;
      expect(isCapacityExceededError(errorOf(() => p.tryAcquire('new-1')))).toBe(true);
      const full = counter.reads;
      leases[n - 1]!.release(); // the most recently used partition is now the only idle one
      counter.reads = 0;
      expect(p.tryAcquire('new-2')).toBeDefined();
      expect(p.peek(`k${n - 1}`)).toBeUndefined();
      return { full, oneIdle: counter.reads };
    };
    const small = readsFor(10);
    const large = readsFor(5_000);
    expect(small.full).toBe(0);
    expect(large).toEqual(small);
    // The evicted partition's running and queued, and its statistics (kept in the aggregate).
    expect(large.oneIdle).toBeLessThanOrEqual(3);
  });

  it('evicts the least recently used idle partition, where the end of its last call counts as a use', () => {
    const p = new PartitionedBulkhead('api', { maxConcurrency: 1 }, 3, new VirtualClock());
    const la = p.tryAcquire('a')!;
    const lb = p.tryAcquire('b')!;
    p.tryAcquire('c')!.release(); // idle, least recently used first: c
    la.release(); // c, a
    p.get('c'); // a, c
    lb.release(); // a, c, b
    p.tryAcquire('d')!.release(); // evicts a; then c, b, d
    expect([p.peek('a'), p.peek('b'), p.peek('c')].map((b) => b !== undefined)).toEqual([false, true, true]);
    p.get('e'); // evicts c (named after b, but b became idle later)
    expect(p.peek('c')).toBeUndefined();
    expect(p.peek('b')).toBeDefined();
    p.get('f'); // evicts b
    expect(p.peek('b')).toBeUndefined();
    expect(p.getStatistics()).toMatchObject({ partitions: 3, evictedPartitions: 3, running: 0 });
  });

  it('throws (tryAcquire) or rejects (acquire) with CapacityExceededError when no partition is idle, waiters included', async () => {
    const p = new PartitionedBulkhead('api', { maxConcurrency: 1 }, 2, new VirtualClock());
    const la = p.tryAcquire('a')!;
    const lb = p.tryAcquire('b')!;
    const waiting = p.acquire('b'); // queued on b
    lb.release(); // b goes to the waiter: still busy
    const thrown = errorOf(() => p.tryAcquire('c'));
    expect(isCapacityExceededError(thrown) && thrown.limit === 2).toBe(true);
    const rejected = p.acquire('c');
    await expect(rejected).rejects.toSatisfy(isCapacityExceededError);
    expect(p.partitionCount).toBe(2);
    la.release();
    expect(p.tryAcquire('c')).toBeDefined(); // a is idle now and gets evicted
    expect(p.peek('a')).toBeUndefined();
    (await waiting).release();
  });

  it('rejects a bad key from acquire and throws it from tryAcquire, naming partitionKey', async () => {
    const p = new PartitionedBulkhead('api', {}, 10, new VirtualClock());
    expect(fieldOf(() => p.tryAcquire(''))).toBe('partitionKey');
    await expect(p.acquire('x'.repeat(257))).rejects.toMatchObject({ field: 'partitionKey' });
  });

  it('counts a lease released twice once: the partition is idle only when its last lease is released', () => {
    const p = new PartitionedBulkhead('api', { maxConcurrency: 2 }, 2, new VirtualClock());
    const first = p.tryAcquire('a')!;
    const second = p.tryAcquire('a')!;
    p.tryAcquire('b')!.release(); // idle: b
    first.release();
    first.release(); // counted twice, a would turn idle here, before b is named again
    expect(p.peek('a')!.running).toBe(1);
    p.get('b'); // idle: b
    second.release(); // idle: b, a
    p.get('c'); // evicts b, the least recently used idle one
    expect(p.peek('b')).toBeUndefined();
    expect(p.peek('a')).toBeDefined();
    second.release();
    expect(p.getStatistics().running).toBe(0);
  });

  it('returns a partition to idle when its queued acquire is aborted, times out or is refused', async () => {
    const clock = new VirtualClock();
    const p = new PartitionedBulkhead('api', { maxConcurrency: 1, maxQueueSize: 1, queueTimeoutMs: 100 }, 3, clock);
    const la = p.tryAcquire('a')!;
    const lb = p.tryAcquire('b')!;
    const lc = p.tryAcquire('c')!;
    const controller = new AbortController();
    const aborted = p.acquire('a', controller.signal);
    const timedOut = p.acquire('b');
    controller.abort(new Error('caller gave up'));
    await expect(aborted).rejects.toThrow('caller gave up');
    clock.advance(100);
    await expect(timedOut).rejects.toSatisfy(
      (e: unknown) => isBulkheadRejectedError(e) && e.reason === 'queue-timeout',
    );
    const queueFull = p.acquire('c');
    const refused = p.acquire('c'); // the queue of c is full
    await expect(refused).rejects.toSatisfy((e: unknown) => isBulkheadRejectedError(e) && e.reason === 'queue-full');
    expect(isCapacityExceededError(errorOf(() => p.get('d')))).toBe(true);

    la.release();
    lb.release();
    lc.release(); // c's slot goes to its remaining waiter: c stays busy
    const lc2 = await queueFull;
    expect(p.get('d')).toBeDefined(); // evicts a: idle since its lease was released
    expect(p.peek('a')).toBeUndefined();
    expect(p.get('e')).toBeDefined(); // then b
    expect(p.peek('b')).toBeUndefined();
    expect(p.peek('c')).toBeDefined(); // busy with the waiter it admitted
    lc2.release();
    expect(p.evictIdle()).toBe(3); // d, e and c: the refused call no longer holds c
    expect(p.partitionCount).toBe(0);
  });

  it('passes the priority on to partitions whose acquire takes one', async () => {
    const p = new PartitionedBulkhead('api', { maxConcurrency: 1 }, 10, new VirtualClock());
    const held = p.tryAcquire('a')!;
    const order: string[] = [];
    const low = p.acquire('a', undefined, 1).then((l) => (order.push('low'), l));
    const high = p.acquire('a', undefined, 9).then((l) => (order.push('high'), l));
    await expect(p.acquire('a', undefined, NaN)).rejects.toMatchObject({ field: 'priority' });
    held.release();
    (await high).release();
    (await low).release();
    expect(order).toEqual(['high', 'low']);

    const plain = new PartitionedBulkhead<InMemoryBulkheadIsolation>(
      'api',
      {},
      10,
      new VirtualClock(),
      (name, options, clock) => new InMemoryBulkheadIsolation(name, options, clock),
    );
    // @ts-expect-error the SDK's bulkhead takes no priority
    void plain.acquire('a', undefined, 3).then((l) => l.release());
    (await plain.acquire('a')).release();
  });

  it('after dispose, rejects queued calls, refuses new ones and still counts releases', async () => {
    const p = new PartitionedBulkhead('api', { maxConcurrency: 1 }, 1, new VirtualClock());
    const held = p.tryAcquire('a')!;
    const waiting = p.acquire('a');
    p.dispose();
    await expect(waiting).rejects.toSatisfy((e: unknown) => isBulkheadRejectedError(e) && e.reason === 'disposed');
    expect(p.tryAcquire('a')).toBeUndefined();
    expect(p.tryAcquire('b')).toBeUndefined();
    await expect(p.acquire('b')).rejects.toSatisfy(
      (e: unknown) => isBulkheadRejectedError(e) && e.reason === 'disposed',
    );
    held.release();
    await flushMicrotasks();
    expect(p.getStatistics()).toMatchObject({ running: 0, queued: 0, partitions: 1 });
  });

  it('lowering maxPartitions admits no new key until enough partitions are idle', () => {
    const p = new PartitionedBulkhead('api', { maxConcurrency: 1 }, 3, new VirtualClock());
    const leases = ['a', 'b', 'c'].map((k) => p.tryAcquire(k)!);
    p.setMaxPartitions(2);
    leases[0]!.release();
    expect(isCapacityExceededError(errorOf(() => p.get('d')))).toBe(true); // a evicted: 2 busy remain
    expect(p.partitionCount).toBe(2);
    leases[1]!.release();
    expect(p.get('d')).toBeDefined();
    expect(p.partitionCount).toBe(2);
    leases[2]!.release();
  });
});
