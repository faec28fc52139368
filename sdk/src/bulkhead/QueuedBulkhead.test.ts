import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { BulkheadLease, BulkheadOptions } from './IBulkheadIsolation.js';
import type { BulkheadWaiterQueue } from './QueuedBulkhead.js';
import { getSdkCompatibility } from '../compat/SdkCompatibility.js';
import { isBulkheadRejectedError, isInvalidConfigurationError } from '../errors/errors.js';
import { VirtualClock, flushMicrotasks } from '../time/VirtualClock.js';
import { BulkheadWaiter, QueuedBulkhead } from './QueuedBulkhead.js';

// A test-only order the shipped bulkheads do not have (newest first), to show that the queue
// alone decides who is admitted next and who is cut on a shrink. indexOf and splice are fine here.
class TaggedWaiter extends BulkheadWaiter {
  constructor(
    owner: QueuedBulkhead,
    signal: AbortSignal | undefined,
    readonly tag: number,
  ) {
    super(owner, signal);
  }
}

class Stack implements BulkheadWaiterQueue<TaggedWaiter> {
  readonly items: TaggedWaiter[] = [];
  get size(): number {
    return this.items.length;
  }
  push(waiter: TaggedWaiter): void {
    this.items.push(waiter);
  }
  dequeueNext(): TaggedWaiter | undefined {
    return this.items.pop();
  }
  dequeueLast(): TaggedWaiter | undefined {
    return this.items.shift();
  }
  remove(waiter: TaggedWaiter): boolean {
    const i = this.items.indexOf(waiter);
    if (i < 0) return false;
    this.items.splice(i, 1);
    return true;
  }
}

class StackBulkhead extends QueuedBulkhead {
  constructor(
    options: Partial<BulkheadOptions>,
    clock: VirtualClock,
    readonly stack = new Stack(),
  ) {
    super('stack', options, clock, stack, 8);
  }

  acquire(signal?: AbortSignal, tag = 0): Promise<BulkheadLease> {
    return this.settleAtOnce(signal) ?? this.enqueue(new TaggedWaiter(this, signal, tag));
  }
}

function setup(options: Partial<BulkheadOptions>) {
  const clock = new VirtualClock();
  const bulkhead = new StackBulkhead(options, clock);
  const admitted: number[] = [];
  const rejected = new Map<number, unknown>();
  const start = (tag: number, signal?: AbortSignal) =>
    bulkhead.acquire(signal, tag).then(
      () => {
        admitted.push(tag);
      },
      (e: unknown) => {
        rejected.set(tag, e);
      },
    );
  return { clock, bulkhead, admitted, rejected, start };
}

describe('QueuedBulkhead', () => {
  it('is decorated for SDK 6.0.0, as is BulkheadWaiter', () => {
    expect(getSdkCompatibility(QueuedBulkhead)?.sdkVersion).toBe('6.0.0');
    expect(getSdkCompatibility(BulkheadWaiter)?.sdkVersion).toBe('6.0.0');
  });

  it('validates the name against the length its subclass allows', () => {
    expect(() => new StackBulkhead({}, new VirtualClock())).not.toThrow();
    class LongName extends QueuedBulkhead {
      constructor() {
        super('x'.repeat(9), {}, new VirtualClock(), new Stack(), 8);
      }
      acquire(): Promise<BulkheadLease> {
        return Promise.reject(new Error('unused'));
      }
    }
    let error: unknown;
    try {
      new LongName();
    } catch (e) {
      error = e;
    }
    expect(isInvalidConfigurationError(error) && error.field).toBe('bulkhead.name');
  });

  it('admits in the order its queue gives and cuts with dequeueLast on a shrink', async () => {
    const { bulkhead, admitted, rejected, start } = setup({ maxConcurrency: 1, maxQueueSize: 4 });
    const first = bulkhead.tryAcquire()!;
    for (const tag of [1, 2, 3, 4]) void start(tag);
    expect(bulkhead.queued).toBe(4);

    bulkhead.reconfigure({ maxQueueSize: 2 }); // the stack's last to admit are the oldest: 1, 2
    await flushMicrotasks();
    expect([...rejected.keys()]).toEqual([1, 2]);
    expect([...rejected.values()].every((e) => isBulkheadRejectedError(e) && e.reason === 'shrunk')).toBe(true);

    first.release(); // the stack's next is the newest: 4
    await flushMicrotasks();
    expect(admitted).toEqual([4]);
    expect(bulkhead.getStatistics()).toMatchObject({
      running: 1,
      queued: 1,
      admitted: 2,
      rejectedShrunk: 2,
      peakQueued: 4,
    });
  });

  it('removes an aborted or timed-out waiter through the queue, clearing its listener and timer', async () => {
    const { clock, bulkhead, rejected, start } = setup({ maxConcurrency: 1, queueTimeoutMs: 100 });
    bulkhead.tryAcquire();
    const controller = new AbortController();
    void start(1, controller.signal);
    void start(2);
    expect(bulkhead.stack.items.map((w) => w.tag)).toEqual([1, 2]);
    expect(clock.pendingTimers).toBe(2);

    controller.abort(new Error('caller gone'));
    expect(bulkhead.stack.items.map((w) => w.tag)).toEqual([2]);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    expect(clock.pendingTimers).toBe(1);

    await clock.advanceAsync(100);
    expect(bulkhead.queued).toBe(0);
    expect(clock.pendingTimers).toBe(0);
    expect((rejected.get(1) as Error).message).toBe('caller gone');
    expect(isBulkheadRejectedError(rejected.get(2)) && (rejected.get(2) as { reason: string }).reason).toBe(
      'queue-timeout',
    );
    expect(bulkhead.getStatistics()).toMatchObject({ aborted: 1, rejectedQueueTimeout: 1 });
  });

  it('ignores an abort event from a waiter that is not in its queue', async () => {
    const { bulkhead, rejected, start } = setup({ maxConcurrency: 1 });
    bulkhead.tryAcquire();
    void start(1);
    const stranger = new TaggedWaiter(bulkhead, AbortSignal.abort(), 99);
    stranger.handleEvent();
    await flushMicrotasks();
    expect(bulkhead.queued).toBe(1);
    expect(rejected.size).toBe(0);
    expect(bulkhead.getStatistics().aborted).toBe(0);
  });
});
