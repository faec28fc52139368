import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { VirtualClock, flushMicrotasks, isCapacityExceededError } from '@datawarehouse/sdk';
import type { BulkheadLease, IBulkheadIsolation } from '@datawarehouse/sdk';
import { errorOf } from '@datawarehouse/sdk/testing';
import { PartitionedBulkhead } from './PartitionedBulkhead.js';

const KEYS = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5'];

type Op =
  | { readonly t: 'try' | 'get' | 'direct'; readonly key: number }
  | { readonly t: 'wait'; readonly key: number; readonly abortable: boolean; readonly priority: number }
  | { readonly t: 'release'; readonly i: number; readonly twice: boolean }
  | { readonly t: 'abort'; readonly i: number }
  | { readonly t: 'advance'; readonly ms: number }
  | { readonly t: 'limit'; readonly max: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    arbitrary: fc.record({ t: fc.constantFrom('try' as const, 'get' as const, 'direct' as const), key: fc.nat(5) }),
    weight: 4,
  },
  {
    arbitrary: fc.record({
      t: fc.constant('wait' as const),
      key: fc.nat(5),
      abortable: fc.boolean(),
      priority: fc.nat(2),
    }),
    weight: 2,
  },
  { arbitrary: fc.record({ t: fc.constant('release' as const), i: fc.nat(20), twice: fc.boolean() }), weight: 4 },
  { arbitrary: fc.record({ t: fc.constant('abort' as const), i: fc.nat(20) }), weight: 1 },
  { arbitrary: fc.record({ t: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 60 }) }), weight: 1 },
  { arbitrary: fc.record({ t: fc.constant('limit' as const), max: fc.integer({ min: 1, max: 4 }) }), weight: 1 },
);

interface ModelPartition {
  /** Calls holding it through tryAcquire/acquire: leases held and waits not settled. */
  holders: number;
  /** Leases taken directly on the bulkhead `get` returned. */
  direct: number;
  lastUse: number;
}

/**
 * The reference: a partition is used when a call names it and when its last holder leaves;
 * a new key at the limit evicts idle partitions (no holder, no direct lease) by oldest use,
 * and is refused when the partitions are still at the limit afterwards.
 */
class Model {
  readonly parts = new Map<string, ModelPartition>();
  private seq = 0;

  constructor(public max: number) {}

  /** Names `key`; false when it is refused (CapacityExceededError). */
  name(key: string): boolean {
    let part = this.parts.get(key);
    if (part === undefined) {
      if (this.parts.size >= this.max) {
        this.evictIdle(this.parts.size - this.max + 1);
        if (this.parts.size >= this.max) return false;
      }
      part = { holders: 0, direct: 0, lastUse: 0 };
      this.parts.set(key, part);
    }
    part.lastUse = ++this.seq;
    return true;
  }

  evictIdle(n: number): void {
    const idle = [...this.parts]
      .filter(([, p]) => p.holders === 0 && p.direct === 0)
      .sort(([, a], [, b]) => a.lastUse - b.lastUse);
    for (const [key] of idle.slice(0, n)) this.parts.delete(key);
  }

  unhold(key: string): void {
    const part = this.parts.get(key)!;
    if (--part.holders === 0) part.lastUse = ++this.seq;
  }
}

interface Held {
  readonly key: string;
  readonly lease: BulkheadLease;
  readonly direct: boolean;
  readonly bulkhead: IBulkheadIsolation;
}

interface Waiting {
  readonly key: string;
  readonly controller: AbortController | undefined;
  readonly bulkhead: IBulkheadIsolation;
}

async function run(maxConcurrency: number, max: number, ops: readonly Op[]): Promise<void> {
  const clock = new VirtualClock();
  const p = new PartitionedBulkhead('api', { maxConcurrency, maxQueueSize: 2, queueTimeoutMs: 50 }, max, clock);
  const model = new Model(max);
  const held: Held[] = [];
  const waiting = new Set<Waiting>();
  let expectedRefusals = 0;
  let refusals = 0;

  const expectNamed = (key: string, call: () => unknown): boolean => {
    const admitted = model.name(key);
    const error = errorOf(call);
    if (admitted) expect(error).toBeUndefined();
    else expect(isCapacityExceededError(error)).toBe(true);
    return admitted;
  };

  for (const op of ops) {
    const before = p.partitionCount;
    switch (op.t) {
      case 'get':
        expectNamed(KEYS[op.key]!, () => p.get(KEYS[op.key]!));
        break;
      case 'try':
      case 'direct': {
        const key = KEYS[op.key]!;
        let lease: BulkheadLease | undefined;
        const direct = op.t === 'direct';
        if (
          !expectNamed(key, () => (lease = direct ? p.get(key).tryAcquire() : p.tryAcquire(key))) ||
          lease === undefined
        )
          break;
        const part = model.parts.get(key)!;
        if (direct) part.direct++;
        else part.holders++;
        held.push({ key, lease, direct, bulkhead: p.peek(key)! });
        break;
      }
      case 'wait': {
        const key = KEYS[op.key]!;
        const admitted = model.name(key);
        const controller = op.abortable ? new AbortController() : undefined;
        const promise = p.acquire(key, controller?.signal, op.priority);
        if (!admitted) {
          expectedRefusals++;
          promise.then(
            (lease) => held.push({ key, lease, direct: false, bulkhead: p.peek(key)! }), // fails the checks below
            (e: unknown) => {
              if (isCapacityExceededError(e)) refusals++;
            },
          );
          break;
        }
        model.parts.get(key)!.holders++;
        const entry: Waiting = { key, controller, bulkhead: p.peek(key)! };
        waiting.add(entry);
        promise.then(
          (lease) => {
            waiting.delete(entry);
            held.push({ key, lease, direct: false, bulkhead: entry.bulkhead });
          },
          () => {
            waiting.delete(entry);
            model.unhold(key);
          },
        );
        break;
      }
      case 'release': {
        if (held.length === 0) break;
        const [h] = held.splice(op.i % held.length, 1);
        h!.lease.release();
        if (op.twice) h!.lease.release();
        if (h!.direct) model.parts.get(h!.key)!.direct--;
        else model.unhold(h!.key);
        break;
      }
      case 'abort': {
        const list = [...waiting].filter((w) => w.controller !== undefined);
        if (list.length > 0) list[op.i % list.length]!.controller!.abort(new Error('aborted'));
        break;
      }
      case 'advance':
        clock.advance(op.ms);
        break;
      case 'limit':
        p.setMaxPartitions(op.max);
        model.max = op.max;
        if (model.parts.size > op.max) model.evictIdle(model.parts.size - op.max);
        break;
    }
    await flushMicrotasks();

    // Exactly the partitions the model holds: so the right one was evicted, or none.
    for (const key of KEYS) expect(p.peek(key) !== undefined).toBe(model.parts.has(key));
    expect(p.partitionCount).toBe(model.parts.size);
    // A partition is only added below the limit; a busy one is never replaced.
    if (p.partitionCount > before) expect(p.partitionCount).toBeLessThanOrEqual(model.max);
    for (const h of held) expect(p.peek(h.key)).toBe(h.bulkhead);
    for (const w of waiting) expect(p.peek(w.key)).toBe(w.bulkhead);
    expect(refusals).toBe(expectedRefusals);
    const stats = p.getStatistics();
    expect(stats.running).toBe(held.length);
    expect(stats.queued).toBe(waiting.size);
  }

  for (const h of held.splice(0)) {
    h.lease.release();
    h.lease.release();
  }
  clock.advance(1_000); // times out whatever still waits
  await flushMicrotasks();
  for (const h of held.splice(0)) h.lease.release();
  expect(p.getStatistics()).toMatchObject({ running: 0, queued: 0 });
  // Every partition is idle again, so every one can be evicted.
  const count = p.partitionCount;
  expect(p.evictIdle()).toBe(count);
}

describe('PartitionedBulkhead (property)', () => {
  it('evicts exactly the least recently used idle partition and refuses a new key only when none is idle', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2 }),
        fc.integer({ min: 1, max: 4 }),
        fc.array(opArb, { minLength: 10, maxLength: 80, size: 'max' }),
        run,
      ),
      { seed: 0x5eed, numRuns: 300 },
    );
  });
});
