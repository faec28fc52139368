import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  CapacityExceededError,
  VirtualClock,
  flushMicrotasks,
  getSdkCompatibility,
  isBulkheadRejectedError,
  isCapacityExceededError,
} from '@datawarehouse/sdk';
import type { BulkheadLease, BulkheadOptions, Clock, IBulkheadIsolation } from '@datawarehouse/sdk';
import { fieldOf } from '@datawarehouse/sdk/testing';
import { PartitionedBulkhead } from './PartitionedBulkhead.js';
import { PriorityBulkheadIsolation } from './PriorityBulkheadIsolation.js';

describe('PartitionedBulkhead', () => {
  it('is decorated for SDK 6.0.0', () => {
    expect(getSdkCompatibility(PartitionedBulkhead)?.sdkVersion).toBe('6.0.0');
  });

  it('creates one bulkhead per key on first use, with the shared options, named name/key', () => {
    const p = new PartitionedBulkhead('api', { maxConcurrency: 2, maxQueueSize: 3 }, 10, new VirtualClock());
    const a = p.get('tenant-a');
    expect(a).toBeInstanceOf(PriorityBulkheadIsolation);
    expect(p.get('tenant-a')).toBe(a);
    expect(a.name).toBe('api/tenant-a');
    expect(a.options).toEqual({ maxConcurrency: 2, maxQueueSize: 3, queueTimeoutMs: Infinity });
    expect(p.get('tenant-b')).not.toBe(a);
    expect(p.partitionCount).toBe(2);
    expect(p.peek('tenant-c')).toBeUndefined();
    expect(p.partitionCount).toBe(2);
  });

  it('isolates partitions: a saturated key does not block another', () => {
    const p = new PartitionedBulkhead('api', { maxConcurrency: 1, maxQueueSize: 0 }, 10, new VirtualClock());
    expect(p.get('noisy').tryAcquire()).toBeDefined();
    expect(p.get('noisy').tryAcquire()).toBeUndefined();
    expect(p.get('quiet').tryAcquire()).toBeDefined();
  });

  it('evicts the least recently used idle partition when full', () => {
    const p = new PartitionedBulkhead('api', { maxConcurrency: 1 }, 3, new VirtualClock());
    const a = p.get('a');
    const busy = p.get('b').tryAcquire()!; // b is busy
    p.get('c');
    p.get('a'); // a is now more recent than c
    const d = p.get('d'); // evicts c: the least recently used idle one (b is busy)
    expect(p.partitionCount).toBe(3);
    expect(p.peek('c')).toBeUndefined();
    expect(p.peek('a')).toBe(a);
    expect(p.peek('b')).toBeDefined();
    expect(p.peek('d')).toBe(d);
    expect(p.getStatistics().evictedPartitions).toBe(1);
    busy.release();
    p.get('e'); // evicts b: idle now, and the least recently used
    expect(p.peek('b')).toBeUndefined();
    expect(p.peek('a')).toBe(a);
  });

  it('makes a stale reference to an evicted partition refuse calls', async () => {
    const p = new PartitionedBulkhead('api', { maxConcurrency: 1 }, 1, new VirtualClock());
    const old = p.get('a');
    p.get('b'); // evicts a
    expect(old.tryAcquire()).toBeUndefined();
    await expect(old.acquire()).rejects.toSatisfy(
      (e: unknown) => isBulkheadRejectedError(e) && e.reason === 'disposed',
    );
    const fresh = p.get('a');
    expect(fresh).not.toBe(old);
    expect(fresh.tryAcquire()).toBeDefined();
  });

  it('throws CapacityExceededError when full and no partition is idle', async () => {
    const p = new PartitionedBulkhead('api', { maxConcurrency: 1 }, 2, new VirtualClock());
    const la = p.get('a').tryAcquire()!;
    p.get('b').tryAcquire();
    p.get('b')
      .acquire()
      .catch(() => undefined); // queued counts as busy too
    let err: unknown;
    try {
      p.get('c');
    } catch (e) {
      err = e;
    }
    expect(isCapacityExceededError(err)).toBe(true);
    expect(err).toBeInstanceOf(CapacityExceededError);
    expect((err as CapacityExceededError).limit).toBe(2);
    expect(p.partitionCount).toBe(2);
    la.release();
    await flushMicrotasks();
    expect(p.get('c')).toBeDefined(); // a is idle now and gets evicted
    expect(p.peek('a')).toBeUndefined();
  });

  it('never holds more than maxPartitions and never evicts a busy partition (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.record({ key: fc.integer({ min: 0, max: 9 }), hold: fc.boolean(), releaseOne: fc.boolean() }), {
          maxLength: 100,
        }),
        (max, steps) => {
          const p = new PartitionedBulkhead('api', { maxConcurrency: 5 }, max, new VirtualClock());
          const held: { key: string; bulkhead: IBulkheadIsolation; lease: BulkheadLease }[] = [];
          for (const s of steps) {
            const key = `k${s.key}`;
            let b: IBulkheadIsolation | undefined;
            try {
              b = p.get(key);
            } catch (e) {
              expect(isCapacityExceededError(e)).toBe(true);
              // Only when every partition is busy.
              const busyKeys = new Set(held.map((h) => h.key));
              expect(busyKeys.size).toBe(max);
            }
            if (b && s.hold) {
              const lease = b.tryAcquire();
              if (lease) held.push({ key, bulkhead: b, lease });
            }
            if (s.releaseOne && held.length > 0) held.shift()!.lease.release();
            expect(p.partitionCount).toBeLessThanOrEqual(max);
            // Every partition with a held lease is still the live one for its key.
            for (const h of held) expect(p.peek(h.key)).toBe(h.bulkhead);
          }
          const running = held.length;
          expect(p.getStatistics().running).toBe(running);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reconfigures every partition and future ones, validating first', () => {
    const p = new PartitionedBulkhead('api', { maxConcurrency: 1 }, 10, new VirtualClock());
    const a = p.get('a');
    p.reconfigure({ maxConcurrency: 3 });
    expect(a.options.maxConcurrency).toBe(3);
    expect(p.get('b').options.maxConcurrency).toBe(3);
    expect(p.options.maxConcurrency).toBe(3);
    expect(fieldOf(() => p.reconfigure({ maxQueueSize: -1 }))).toBe('bulkhead.maxQueueSize');
    expect(a.options.maxQueueSize).toBe(1000);
  });

  it('aggregates statistics, keeping the counters of evicted partitions', async () => {
    const p = new PartitionedBulkhead('api', { maxConcurrency: 1, maxQueueSize: 0 }, 2, new VirtualClock());
    const l = p.get('a').tryAcquire()!;
    await p
      .get('a')
      .acquire()
      .catch(() => undefined); // queue-full
    l.release();
    p.get('b').tryAcquire();
    p.get('c'); // evicts a
    expect(p.getStatistics()).toMatchObject({
      maxConcurrency: 1,
      maxQueueSize: 0,
      running: 1,
      queued: 0,
      admitted: 2,
      rejectedQueueFull: 1,
      peakRunning: 1,
      partitions: 2,
      maxPartitions: 2,
      evictedPartitions: 1,
    });
  });

  it('evicts idle partitions on demand', () => {
    const p = new PartitionedBulkhead('api', {}, 10, new VirtualClock());
    p.get('a');
    p.get('b').tryAcquire();
    p.get('c');
    expect(p.evictIdle()).toBe(2);
    expect(p.partitionCount).toBe(1);
    expect(p.peek('b')).toBeDefined();
  });

  it('validates keys: a non-empty string of at most 256 characters', () => {
    const p = new PartitionedBulkhead('api', {}, 10, new VirtualClock());
    expect(fieldOf(() => p.get(''))).toBe('partitionKey');
    expect(fieldOf(() => p.get('x'.repeat(257)))).toBe('partitionKey');
    expect(fieldOf(() => p.get(42 as unknown as string))).toBe('partitionKey');
    expect(p.get('x'.repeat(256)).name).toBe(`api/${'x'.repeat(256)}`);
  });

  it('rejects bad construction arguments naming the field', () => {
    expect(fieldOf(() => new PartitionedBulkhead('api', {}, 0))).toBe('bulkhead.maxPartitions');
    expect(fieldOf(() => new PartitionedBulkhead('api', { maxConcurrency: 0 }))).toBe('bulkhead.maxConcurrency');
    expect(fieldOf(() => new PartitionedBulkhead('', {}))).toBe('bulkhead.name');
  });

  it('uses the given factory and clock', () => {
    const made: [string, Readonly<BulkheadOptions>, Clock][] = [];
    const clock = new VirtualClock();
    const p = new PartitionedBulkhead<PriorityBulkheadIsolation>(
      'api',
      { maxConcurrency: 2 },
      10,
      clock,
      (name, options, c) => {
        made.push([name, options, c]);
        return new PriorityBulkheadIsolation(name, options, c);
      },
    );
    p.get('k');
    expect(made).toHaveLength(1);
    expect(made[0]![0]).toBe('api/k');
    expect(made[0]![1].maxConcurrency).toBe(2);
    expect(made[0]![2]).toBe(clock);
  });

  it('on dispose rejects queued calls in every partition and refuses new ones', async () => {
    const p = new PartitionedBulkhead('api', { maxConcurrency: 1 }, 10, new VirtualClock());
    const held = p.get('a').tryAcquire()!;
    const waiting = p.get('a').acquire();
    p.dispose();
    await expect(waiting).rejects.toSatisfy((e: unknown) => isBulkheadRejectedError(e) && e.reason === 'disposed');
    expect(p.get('a').tryAcquire()).toBeUndefined();
    expect(p.get('new').tryAcquire()).toBeUndefined();
    held.release();
    expect(p.getStatistics().running).toBe(0);
  });
});

describe('PartitionedBulkhead.setMaxPartitions', () => {
  it('evicts idle partitions when lowered, keeps busy ones, and admits new keys when raised', () => {
    const tenants = new PartitionedBulkhead('api', { maxConcurrency: 1, maxQueueSize: 0 }, 3);
    const busy = tenants.get('a').tryAcquire()!;
    tenants.get('b');
    tenants.get('c');
    tenants.setMaxPartitions(1);
    expect(tenants.partitionCount).toBe(1);
    expect(tenants.peek('a')).toBeDefined();
    expect(() => tenants.get('d')).toThrow(expect.objectContaining({ code: 'ERR_CAPACITY_EXCEEDED' }));
    tenants.setMaxPartitions(2);
    expect(tenants.get('d').tryAcquire()).toBeDefined();
    expect(tenants.getStatistics()).toMatchObject({ maxPartitions: 2, busiestRunning: 1, running: 2 });
    busy.release();
    expect(() => tenants.setMaxPartitions(0)).toThrow(expect.objectContaining({ field: 'bulkhead.maxPartitions' }));
  });
});
