import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  BulkheadRejectedError,
  InvalidConfigurationError,
  VirtualClock,
  flushMicrotasks,
  getSdkCompatibility,
  isBulkheadRejectedError,
} from '@datawarehouse/sdk';
import type { BulkheadLease } from '@datawarehouse/sdk';
import { PriorityBulkheadIsolation } from './PriorityBulkheadIsolation.js';

/** Starts an acquire and records how it settles, in settlement order. */
function track(
  promise: Promise<BulkheadLease>,
  id: number,
  log: { admitted: number[]; leases: Map<number, BulkheadLease>; errors: Map<number, unknown> },
): void {
  promise.then(
    (lease) => {
      log.admitted.push(id);
      log.leases.set(id, lease);
    },
    (e: unknown) => log.errors.set(id, e),
  );
}

function newLog() {
  return { admitted: [] as number[], leases: new Map<number, BulkheadLease>(), errors: new Map<number, unknown>() };
}

async function rejectionOf(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('PriorityBulkheadIsolation', () => {
  it('is decorated for SDK 6.0.0', () => {
    expect(getSdkCompatibility(PriorityBulkheadIsolation)?.sdkVersion).toBe('6.0.0');
  });

  it('admits up to maxConcurrency at once, then tryAcquire returns undefined', () => {
    const b = new PriorityBulkheadIsolation('db', { maxConcurrency: 2 }, new VirtualClock());
    const a = b.tryAcquire();
    const c = b.tryAcquire();
    expect(a).toBeDefined();
    expect(c).toBeDefined();
    expect(b.tryAcquire()).toBeUndefined();
    expect(b.running).toBe(2);
    a!.release();
    expect(b.tryAcquire()).toBeDefined();
  });

  it('admits waiters by highest priority first, FIFO within a priority', async () => {
    const b = new PriorityBulkheadIsolation('db', { maxConcurrency: 1 }, new VirtualClock());
    const first = b.tryAcquire()!;
    const log = newLog();
    const priorities = [0, 5, 5, 1, 0, -3, 5];
    priorities.forEach((p, id) => track(b.acquire(undefined, p), id, log));
    await flushMicrotasks();
    expect(b.queued).toBe(7);
    first.release();
    for (let i = 0; i < priorities.length; i++) {
      await flushMicrotasks();
      log.leases.get(log.admitted[i]!)!.release();
    }
    await flushMicrotasks();
    expect(log.admitted).toEqual([1, 2, 6, 3, 0, 4, 5]);
    expect(b.running).toBe(0);
  });

  it('never lets tryAcquire overtake a waiter', async () => {
    const b = new PriorityBulkheadIsolation('db', { maxConcurrency: 1 }, new VirtualClock());
    const held = b.tryAcquire()!;
    const log = newLog();
    track(b.acquire(), 1, log);
    held.release(); // the slot goes straight to the waiter
    expect(b.tryAcquire()).toBeUndefined();
    await flushMicrotasks();
    expect(log.admitted).toEqual([1]);
  });

  it('rejects at once with a stackless queue-full error when the queue is full, whatever the priority', async () => {
    const b = new PriorityBulkheadIsolation('db', { maxConcurrency: 1, maxQueueSize: 1 }, new VirtualClock());
    b.tryAcquire();
    void b.acquire(undefined, 0);
    const e = await rejectionOf(b.acquire(undefined, 100));
    expect(isBulkheadRejectedError(e)).toBe(true);
    expect(e).toBeInstanceOf(BulkheadRejectedError);
    expect((e as BulkheadRejectedError).reason).toBe('queue-full');
    expect((e as BulkheadRejectedError).queued).toBe(1);
    expect((e as Error).stack ?? '').not.toMatch(/\n\s+at /);
    const zero = new PriorityBulkheadIsolation('z', { maxConcurrency: 1, maxQueueSize: 0 }, new VirtualClock());
    zero.tryAcquire();
    expect(((await rejectionOf(zero.acquire())) as BulkheadRejectedError).reason).toBe('queue-full');
    expect(zero.getStatistics().rejectedQueueFull).toBe(1);
  });

  it('times a waiter out after queueTimeoutMs and removes its timer', async () => {
    const clock = new VirtualClock();
    const b = new PriorityBulkheadIsolation('db', { maxConcurrency: 1, queueTimeoutMs: 100 }, clock);
    b.tryAcquire();
    const log = newLog();
    track(b.acquire(undefined, 1), 1, log);
    track(b.acquire(undefined, 2), 2, log);
    expect(clock.pendingTimers).toBe(2);
    clock.advance(99);
    await flushMicrotasks();
    expect(log.errors.size).toBe(0);
    clock.advance(1);
    await flushMicrotasks();
    expect((log.errors.get(1) as BulkheadRejectedError).reason).toBe('queue-timeout');
    expect((log.errors.get(2) as BulkheadRejectedError).reason).toBe('queue-timeout');
    expect(b.queued).toBe(0);
    expect(clock.pendingTimers).toBe(0);
    expect(b.getStatistics().rejectedQueueTimeout).toBe(2);
  });

  it('clears the timer and the abort listener of a waiter that is admitted', async () => {
    const clock = new VirtualClock();
    const b = new PriorityBulkheadIsolation('db', { maxConcurrency: 1, queueTimeoutMs: 100 }, clock);
    const held = b.tryAcquire()!;
    const controller = new AbortController();
    const p = b.acquire(controller.signal, 3);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    held.release();
    const lease = await p;
    expect(clock.pendingTimers).toBe(0);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    controller.abort(); // too late to matter
    expect(b.running).toBe(1);
    lease.release();
  });

  it('removes an aborted waiter at once (exact queue count), rejecting with the signal reason', async () => {
    const clock = new VirtualClock();
    const b = new PriorityBulkheadIsolation('db', { maxConcurrency: 1, queueTimeoutMs: 1_000 }, clock);
    const held = b.tryAcquire()!;
    const log = newLog();
    const controllers = [new AbortController(), new AbortController(), new AbortController()];
    controllers.forEach((c, id) => track(b.acquire(c.signal, 5), id, log));
    expect(b.queued).toBe(3);
    const reason = new Error('caller gave up');
    controllers[0]!.abort(reason);
    expect(b.queued).toBe(2);
    await flushMicrotasks();
    expect(log.errors.get(0)).toBe(reason);
    expect(getEventListeners(controllers[0]!.signal, 'abort')).toHaveLength(0);
    expect(clock.pendingTimers).toBe(2);
    held.release();
    await flushMicrotasks();
    expect(log.admitted).toEqual([1]);
    expect(b.getStatistics()).toMatchObject({ aborted: 1, queued: 1, running: 1 });
  });

  it('rejects a pre-aborted signal without taking a slot', async () => {
    const b = new PriorityBulkheadIsolation('db', { maxConcurrency: 1 }, new VirtualClock());
    const controller = new AbortController();
    controller.abort(new Error('already'));
    expect(((await rejectionOf(b.acquire(controller.signal))) as Error).message).toBe('already');
    expect(b.running).toBe(0);
  });

  it('releases a lease only once', () => {
    const b = new PriorityBulkheadIsolation('db', { maxConcurrency: 2 }, new VirtualClock());
    const a = b.tryAcquire()!;
    b.tryAcquire();
    a.release();
    a.release();
    expect(b.running).toBe(1);
  });

  it('grows live, admitting the best waiters at once', async () => {
    const b = new PriorityBulkheadIsolation('db', { maxConcurrency: 1 }, new VirtualClock());
    b.tryAcquire();
    const log = newLog();
    [1, 9, 4].forEach((p, id) => track(b.acquire(undefined, p), id, log));
    b.reconfigure({ maxConcurrency: 3 });
    await flushMicrotasks();
    expect(log.admitted).toEqual([1, 2]);
    expect(b.running).toBe(3);
    expect(b.queued).toBe(1);
  });

  it('shrinks live: running calls finish, no one starts until running is below the new limit', async () => {
    const b = new PriorityBulkheadIsolation('db', { maxConcurrency: 3 }, new VirtualClock());
    const leases = [b.tryAcquire()!, b.tryAcquire()!, b.tryAcquire()!];
    const log = newLog();
    track(b.acquire(), 7, log);
    b.reconfigure({ maxConcurrency: 1 });
    expect(b.running).toBe(3);
    leases[0]!.release();
    leases[1]!.release();
    await flushMicrotasks();
    expect(log.admitted).toEqual([]);
    leases[2]!.release();
    await flushMicrotasks();
    expect(log.admitted).toEqual([7]);
    expect(b.running).toBe(1);
  });

  it('cuts a smaller queue from the waiters that would be admitted last (lowest priority, newest)', async () => {
    const clock = new VirtualClock();
    const b = new PriorityBulkheadIsolation('db', { maxConcurrency: 1, maxQueueSize: 10, queueTimeoutMs: 50 }, clock);
    b.tryAcquire();
    const log = newLog();
    [5, 0, 5, 0, 9].forEach((p, id) => track(b.acquire(undefined, p), id, log));
    b.reconfigure({ maxQueueSize: 2 });
    await flushMicrotasks();
    // Kept: 4 (priority 9) and 0 (oldest of priority 5). Cut worst first: 3, 1 (priority 0, newest first), then 2.
    expect([...log.errors.keys()]).toEqual([3, 1, 2]);
    for (const e of log.errors.values()) expect((e as BulkheadRejectedError).reason).toBe('shrunk');
    expect(b.queued).toBe(2);
    expect(clock.pendingTimers).toBe(2);
    expect(b.getStatistics().rejectedShrunk).toBe(3);
  });

  it('applies a new queueTimeoutMs to calls queued afterwards', async () => {
    const clock = new VirtualClock();
    const b = new PriorityBulkheadIsolation('db', { maxConcurrency: 1, queueTimeoutMs: 100 }, clock);
    b.tryAcquire();
    const log = newLog();
    track(b.acquire(), 1, log);
    b.reconfigure({ queueTimeoutMs: 10 });
    track(b.acquire(), 2, log);
    clock.advance(10);
    await flushMicrotasks();
    expect([...log.errors.keys()]).toEqual([2]);
    clock.advance(90);
    await flushMicrotasks();
    expect([...log.errors.keys()]).toEqual([2, 1]);
  });

  it('on dispose rejects every waiter, refuses new calls and still accepts releases', async () => {
    const clock = new VirtualClock();
    const b = new PriorityBulkheadIsolation('db', { maxConcurrency: 1, queueTimeoutMs: 100 }, clock);
    const held = b.tryAcquire()!;
    const controller = new AbortController();
    const log = newLog();
    track(b.acquire(controller.signal), 1, log);
    track(b.acquire(undefined, 3), 2, log);
    b.dispose();
    b.dispose();
    await flushMicrotasks();
    expect((log.errors.get(1) as BulkheadRejectedError).reason).toBe('disposed');
    expect((log.errors.get(2) as BulkheadRejectedError).reason).toBe('disposed');
    expect(clock.pendingTimers).toBe(0);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    expect(b.tryAcquire()).toBeUndefined();
    expect(((await rejectionOf(b.acquire())) as BulkheadRejectedError).reason).toBe('disposed');
    held.release();
    expect(b.running).toBe(0);
  });

  it('reports statistics', async () => {
    const b = new PriorityBulkheadIsolation('db', { maxConcurrency: 1, maxQueueSize: 1 }, new VirtualClock());
    const a = b.tryAcquire()!;
    void b.acquire();
    await rejectionOf(b.acquire());
    a.release();
    await flushMicrotasks();
    expect(b.getStatistics()).toEqual({
      maxConcurrency: 1,
      maxQueueSize: 1,
      running: 1,
      queued: 0,
      admitted: 2,
      rejectedQueueFull: 1,
      rejectedQueueTimeout: 0,
      rejectedShrunk: 0,
      aborted: 0,
      peakRunning: 1,
      peakQueued: 1,
    });
  });

  it('rejects a priority that is not a finite number, naming priority', async () => {
    const b = new PriorityBulkheadIsolation('db', {}, new VirtualClock());
    for (const p of [NaN, Infinity, '1' as unknown as number]) {
      const e = await rejectionOf(b.acquire(undefined, p));
      expect(e).toBeInstanceOf(InvalidConfigurationError);
      expect((e as InvalidConfigurationError).field).toBe('priority');
    }
    expect(b.running).toBe(0);
  });

  it('rejects bad options naming the field; a failed reconfigure changes nothing', () => {
    expect(() => new PriorityBulkheadIsolation('db', { maxConcurrency: 0 })).toThrow(
      expect.objectContaining({ field: 'bulkhead.maxConcurrency' }) as Error,
    );
    expect(() => new PriorityBulkheadIsolation('', {})).toThrow(
      expect.objectContaining({ field: 'bulkhead.name' }) as Error,
    );
    const b = new PriorityBulkheadIsolation('db', { maxConcurrency: 2 }, new VirtualClock());
    expect(() => b.reconfigure({ maxConcurrency: 5, maxQueueSize: -1 })).toThrow(
      expect.objectContaining({ field: 'bulkhead.maxQueueSize' }) as Error,
    );
    expect(() => b.reconfigure({ maxConcurency: 5 } as never)).toThrow(
      expect.objectContaining({ field: 'bulkhead.maxConcurency' }) as Error,
    );
    expect(b.options.maxConcurrency).toBe(2);
  });
});

// ---------------------------------------------------------------------------------------------
// Model-based property test: random interleavings against a simple reference model.

type Cmd =
  | { readonly t: 'acquire'; readonly prio: number; readonly signal: boolean }
  | { readonly t: 'try' }
  | { readonly t: 'release'; readonly pick: number; readonly twice: boolean }
  | { readonly t: 'abort'; readonly pick: number }
  | { readonly t: 'advance'; readonly ms: number }
  | {
      readonly t: 'reconfigure';
      readonly maxConcurrency?: number;
      readonly maxQueueSize?: number;
      readonly queueTimeoutMs?: number;
    };

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      t: fc.constant('acquire' as const),
      prio: fc.integer({ min: -2, max: 2 }),
      signal: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('try' as const) }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('release' as const), pick: fc.nat(), twice: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('abort' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 60 }) }) },
  {
    weight: 1,
    arbitrary: fc.record(
      {
        t: fc.constant('reconfigure' as const),
        maxConcurrency: fc.integer({ min: 1, max: 4 }),
        maxQueueSize: fc.integer({ min: 0, max: 5 }),
        queueTimeoutMs: fc.oneof(fc.constant(Infinity), fc.integer({ min: 5, max: 100 })),
      },
      { requiredKeys: ['t'] },
    ),
  },
);

interface ModelWaiter {
  readonly id: number;
  readonly prio: number;
  readonly seq: number;
  readonly deadline: number;
  readonly controller: AbortController | undefined;
}

describe('PriorityBulkheadIsolation (model-based property)', () => {
  it('matches the reference model under random interleavings: limits, order, no lost slot, no leak', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 5 }),
        fc.oneof(fc.constant(Infinity), fc.integer({ min: 5, max: 100 })),
        fc.array(cmd, { maxLength: 100 }),
        async (c0, q0, timeout0, cmds) => {
          const clock = new VirtualClock();
          const b = new PriorityBulkheadIsolation(
            'prop',
            { maxConcurrency: c0, maxQueueSize: q0, queueTimeoutMs: timeout0 },
            clock,
          );
          const log = newLog();
          const controllers: AbortController[] = [];
          // Model.
          let limit = c0;
          let maxQ = q0;
          let timeoutMs = timeout0;
          let running = 0;
          let queue: ModelWaiter[] = [];
          const held = new Set<number>();
          const expectedAdmitted: number[] = [];
          const expectedErrors = new Map<number, string>();
          let nextId = 0;
          let seq = 0;

          const better = (a: ModelWaiter, x: ModelWaiter) => a.prio > x.prio || (a.prio === x.prio && a.seq < x.seq);
          const takeBest = (): ModelWaiter => {
            let best = queue[0]!;
            for (const w of queue) if (better(w, best)) best = w;
            queue = queue.filter((w) => w !== best);
            return best;
          };
          const takeWorst = (): ModelWaiter => {
            let worst = queue[0]!;
            for (const w of queue) if (better(worst, w)) worst = w;
            queue = queue.filter((w) => w !== worst);
            return worst;
          };
          const drain = () => {
            while (running < limit && queue.length > 0) {
              const w = takeBest();
              running++;
              held.add(w.id);
              expectedAdmitted.push(w.id);
            }
          };

          for (const c of cmds) {
            const admittedBefore = b.getStatistics().admitted;
            if (c.t === 'acquire') {
              const id = nextId++;
              const controller = c.signal ? new AbortController() : undefined;
              if (controller) controllers.push(controller);
              track(b.acquire(controller?.signal, c.prio), id, log);
              if (running < limit && queue.length === 0) {
                running++;
                held.add(id);
                expectedAdmitted.push(id);
              } else if (queue.length >= maxQ) {
                expectedErrors.set(id, 'queue-full');
              } else {
                queue.push({ id, prio: c.prio, seq: seq++, deadline: clock.now() + timeoutMs, controller });
              }
            } else if (c.t === 'try') {
              const id = nextId++;
              const lease = b.tryAcquire();
              if (running < limit && queue.length === 0) {
                expect(lease).toBeDefined();
                running++;
                held.add(id);
                expectedAdmitted.push(id);
                log.admitted.push(id); // synchronous admission, recorded by hand
                log.leases.set(id, lease!);
              } else {
                expect(lease).toBeUndefined();
              }
            } else if (c.t === 'release') {
              if (held.size === 0) continue;
              const id = [...held][c.pick % held.size]!;
              const lease = log.leases.get(id)!;
              lease.release();
              if (c.twice) lease.release();
              held.delete(id);
              running--;
              drain();
            } else if (c.t === 'abort') {
              const abortable = queue.filter((w) => w.controller !== undefined);
              if (abortable.length === 0) continue;
              const w = abortable[c.pick % abortable.length]!;
              w.controller!.abort();
              queue = queue.filter((x) => x !== w);
              expectedErrors.set(w.id, 'abort');
            } else if (c.t === 'advance') {
              const until = clock.now() + c.ms;
              for (const w of queue) if (w.deadline <= until) expectedErrors.set(w.id, 'queue-timeout');
              queue = queue.filter((w) => w.deadline > until);
              clock.advance(c.ms);
            } else {
              const opts: Record<string, number> = {};
              if (c.maxConcurrency !== undefined) opts.maxConcurrency = limit = c.maxConcurrency;
              if (c.maxQueueSize !== undefined) opts.maxQueueSize = maxQ = c.maxQueueSize;
              if (c.queueTimeoutMs !== undefined) opts.queueTimeoutMs = timeoutMs = c.queueTimeoutMs;
              b.reconfigure(opts);
              drain();
              while (queue.length > maxQ) expectedErrors.set(takeWorst().id, 'shrunk');
            }
            await flushMicrotasks();

            // Same state and outcomes as the model, in the same admission order.
            expect(b.running).toBe(running);
            expect(b.queued).toBe(queue.length);
            expect(log.admitted).toEqual(expectedAdmitted);
            const actualErrors = new Map(
              [...log.errors].map(([id, e]) => [
                id,
                isBulkheadRejectedError(e) ? e.reason : (e as Error).name === 'AbortError' ? 'abort' : String(e),
              ]),
            );
            expect(actualErrors).toEqual(expectedErrors);
            // Invariants: nobody starts beyond the limit; the queue is bounded.
            if (b.getStatistics().admitted > admittedBefore) expect(b.running).toBeLessThanOrEqual(limit);
            expect(b.queued).toBeLessThanOrEqual(maxQ);
          }

          // Release everything (waiters get slots as they free up): no slot is lost.
          while (log.leases.size > 0) {
            for (const [id, lease] of [...log.leases]) {
              lease.release();
              log.leases.delete(id);
            }
            await flushMicrotasks();
          }
          expect(b.running).toBe(0);
          expect(b.queued).toBe(0);
          // No leaked timer or listener.
          expect(clock.pendingTimers).toBe(0);
          for (const c of controllers) expect(getEventListeners(c.signal, 'abort')).toHaveLength(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});
