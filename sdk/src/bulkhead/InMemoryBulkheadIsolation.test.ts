import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { BulkheadLease } from './IBulkheadIsolation.js';
import type { BulkheadRejectedError } from '../errors/errors.js';
import { getSdkCompatibility } from '../compat/SdkCompatibility.js';
import { isBulkheadRejectedError, isInvalidConfigurationError } from '../errors/errors.js';
import { VirtualClock, flushMicrotasks } from '../time/VirtualClock.js';
import {
  DEFAULT_BULKHEAD_OPTIONS,
  InMemoryBulkheadIsolation,
  resolveBulkheadOptions,
} from './InMemoryBulkheadIsolation.js';

type Outcome =
  { state: 'pending' } | { state: 'admitted'; lease: BulkheadLease } | { state: 'rejected'; error: unknown };

/** Tracks a promise's outcome without leaving a rejection unhandled. */
function track(p: Promise<BulkheadLease>): { readonly outcome: Outcome } {
  const t: { outcome: Outcome } = { outcome: { state: 'pending' } };
  p.then(
    (lease) => {
      t.outcome = { state: 'admitted', lease };
    },
    (error: unknown) => {
      t.outcome = { state: 'rejected', error };
    },
  );
  return t;
}

function rejectionOf(t: { readonly outcome: Outcome }): unknown {
  if (t.outcome.state !== 'rejected') throw new Error(`expected rejected, got ${t.outcome.state}`);
  return t.outcome.error;
}

function bulkheadReason(t: { readonly outcome: Outcome }): string {
  const e = rejectionOf(t);
  if (!isBulkheadRejectedError(e)) throw new Error(`expected a BulkheadRejectedError, got ${String(e)}`);
  return e.reason;
}

function make(options: Parameters<typeof resolveBulkheadOptions>[0] = {}) {
  const clock = new VirtualClock();
  const bulkhead = new InMemoryBulkheadIsolation('db', options as object, clock);
  return { clock, bulkhead };
}

function sleep(clock: VirtualClock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}

describe('InMemoryBulkheadIsolation', () => {
  it('is decorated for SDK 6.0.0 and re-exports its option helpers', () => {
    expect(getSdkCompatibility(InMemoryBulkheadIsolation)?.sdkVersion).toBe('6.0.0');
    expect(DEFAULT_BULKHEAD_OPTIONS.maxConcurrency).toBe(64);
    expect(typeof resolveBulkheadOptions).toBe('function');
  });

  it('uses the defaults when no options are given', () => {
    const b = new InMemoryBulkheadIsolation('db');
    expect(b.options).toEqual(DEFAULT_BULKHEAD_OPTIONS);
    expect(b.name).toBe('db');
  });

  it('rejects invalid constructor options and an empty name with InvalidConfigurationError', () => {
    const fieldOf = (fn: () => unknown): string | undefined => {
      try {
        fn();
      } catch (e) {
        return isInvalidConfigurationError(e) ? e.field : 'not-config-error';
      }
      return undefined;
    };
    expect(fieldOf(() => new InMemoryBulkheadIsolation('db', { maxConcurrency: 0 }))).toBe('bulkhead.maxConcurrency');
    expect(fieldOf(() => new InMemoryBulkheadIsolation('db', { maxQueueSize: -1 }))).toBe('bulkhead.maxQueueSize');
    expect(fieldOf(() => new InMemoryBulkheadIsolation('', {}))).toBe('bulkhead.name');
  });

  describe('tryAcquire', () => {
    it('grants up to maxConcurrency slots, then undefined, and a release frees one', () => {
      const { bulkhead } = make({ maxConcurrency: 2 });
      const a = bulkhead.tryAcquire();
      const b = bulkhead.tryAcquire();
      expect(a).toBeDefined();
      expect(b).toBeDefined();
      expect(bulkhead.tryAcquire()).toBeUndefined();
      expect(bulkhead.running).toBe(2);
      a!.release();
      expect(bulkhead.running).toBe(1);
      expect(bulkhead.tryAcquire()).toBeDefined();
    });

    it('never jumps the queue: returns undefined while anyone waits, even with a free slot pending hand-off', async () => {
      const { bulkhead } = make({ maxConcurrency: 1 });
      const first = bulkhead.tryAcquire()!;
      const waiter = track(bulkhead.acquire());
      expect(bulkhead.tryAcquire()).toBeUndefined();
      first.release(); // the slot goes to the waiter, not to a newcomer
      expect(bulkhead.tryAcquire()).toBeUndefined();
      await flushMicrotasks();
      expect(waiter.outcome.state).toBe('admitted');
      expect(bulkhead.running).toBe(1);
    });
  });

  describe('acquire', () => {
    it('resolves at once when a slot is free', async () => {
      const { bulkhead, clock } = make({ maxConcurrency: 1 });
      const t = track(bulkhead.acquire());
      await flushMicrotasks();
      expect(t.outcome.state).toBe('admitted');
      expect(bulkhead.queued).toBe(0);
      expect(clock.pendingTimers).toBe(0);
    });

    it('runs exactly 2 of 10 concurrent calls at a time with a bulkhead of 2', async () => {
      const { bulkhead, clock } = make({ maxConcurrency: 2 });
      let inFlight = 0;
      let maxInFlight = 0;
      const starts: number[] = [];
      const call = async (i: number): Promise<void> => {
        const lease = await bulkhead.acquire();
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        starts.push(i);
        expect(bulkhead.running).toBeLessThanOrEqual(2);
        try {
          await sleep(clock, 10);
        } finally {
          inFlight--;
          const waiting = bulkhead.queued;
          lease.release();
          // The freed slot is handed over on the spot whenever someone waits.
          if (waiting > 0) expect(bulkhead.running).toBe(2);
        }
      };
      const all = Promise.all(Array.from({ length: 10 }, (_, i) => call(i)));
      await flushMicrotasks();
      expect(bulkhead.running).toBe(2);
      expect(bulkhead.queued).toBe(8);
      await clock.runAllAsync();
      await all;
      expect(maxInFlight).toBe(2);
      expect(starts).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      // Five waves of two 10 ms calls: exactly two ran at every moment.
      expect(clock.now()).toBe(50);
      expect(bulkhead.getStatistics()).toMatchObject({
        running: 0,
        queued: 0,
        admitted: 10,
        peakRunning: 2,
        peakQueued: 8,
      });
    });

    it('admits waiters in FIFO order', async () => {
      const { bulkhead } = make({ maxConcurrency: 1 });
      const held = bulkhead.tryAcquire()!;
      const order: number[] = [];
      const ps = [0, 1, 2, 3].map((i) =>
        bulkhead.acquire().then((lease) => {
          order.push(i);
          return lease;
        }),
      );
      held.release();
      for (const p of ps) (await p).release();
      expect(order).toEqual([0, 1, 2, 3]);
      expect(bulkhead.running).toBe(0);
    });

    it('rejects with a stackless queue-full error once the queue holds maxQueueSize waiters', async () => {
      const { bulkhead } = make({ maxConcurrency: 1, maxQueueSize: 2 });
      bulkhead.tryAcquire();
      const w1 = track(bulkhead.acquire());
      const w2 = track(bulkhead.acquire());
      const w3 = track(bulkhead.acquire());
      await flushMicrotasks();
      expect(w1.outcome.state).toBe('pending');
      expect(w2.outcome.state).toBe('pending');
      expect(bulkheadReason(w3)).toBe('queue-full');
      const e = rejectionOf(w3) as BulkheadRejectedError;
      expect(e.stack ?? '').not.toMatch(/\n\s+at /);
      expect(e).toMatchObject({ bulkheadName: 'db', maxConcurrency: 1, maxQueueSize: 2, queued: 2 });
      expect(bulkhead.queued).toBe(2);
      expect(bulkhead.getStatistics().rejectedQueueFull).toBe(1);
    });

    it('rejects at once when maxQueueSize is 0', async () => {
      const { bulkhead, clock } = make({ maxConcurrency: 1, maxQueueSize: 0, queueTimeoutMs: 100 });
      bulkhead.tryAcquire();
      const t = track(bulkhead.acquire());
      await flushMicrotasks();
      expect(bulkheadReason(t)).toBe('queue-full');
      expect(bulkhead.queued).toBe(0);
      expect(clock.pendingTimers).toBe(0);
    });
  });

  describe('queue timeout', () => {
    it('rejects a waiter with queue-timeout after queueTimeoutMs and removes it from the queue at once', async () => {
      const { bulkhead, clock } = make({ maxConcurrency: 1, queueTimeoutMs: 100 });
      const held = bulkhead.tryAcquire()!;
      const ac = new AbortController();
      const t = track(bulkhead.acquire(ac.signal));
      expect(clock.pendingTimers).toBe(1);
      clock.advance(99);
      await flushMicrotasks();
      expect(t.outcome.state).toBe('pending');
      clock.advance(1);
      expect(bulkhead.queued).toBe(0);
      await flushMicrotasks();
      expect(bulkheadReason(t)).toBe('queue-timeout');
      expect(clock.pendingTimers).toBe(0);
      expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
      expect(bulkhead.getStatistics().rejectedQueueTimeout).toBe(1);
      // The timed-out waiter does not take the slot later.
      held.release();
      expect(bulkhead.running).toBe(0);
    });

    it('clears the timer and the abort listener of a waiter that is admitted', async () => {
      const { bulkhead, clock } = make({ maxConcurrency: 1, queueTimeoutMs: 100 });
      const held = bulkhead.tryAcquire()!;
      const ac = new AbortController();
      const t = track(bulkhead.acquire(ac.signal));
      expect(getEventListeners(ac.signal, 'abort')).toHaveLength(1);
      held.release();
      await flushMicrotasks();
      expect(t.outcome.state).toBe('admitted');
      expect(clock.pendingTimers).toBe(0);
      expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
      // An abort after admission does nothing to the lease holder.
      ac.abort();
      expect(bulkhead.running).toBe(1);
      expect(bulkhead.getStatistics().aborted).toBe(0);
    });
  });

  describe('abort', () => {
    it('rejects at once with the reason of an already-aborted signal, without queueing or listening', async () => {
      const { bulkhead } = make({ maxConcurrency: 1 });
      const ac = new AbortController();
      const reason = new Error('caller gave up');
      ac.abort(reason);
      const t = track(bulkhead.acquire(ac.signal));
      await flushMicrotasks();
      expect(rejectionOf(t)).toBe(reason);
      expect(bulkhead.running).toBe(0);
      expect(bulkhead.queued).toBe(0);
      expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
    });

    it('rejects a queued waiter with the signal reason, frees its place at once and clears its timer and listener', async () => {
      const { bulkhead, clock } = make({ maxConcurrency: 1, maxQueueSize: 1, queueTimeoutMs: 1000 });
      const held = bulkhead.tryAcquire()!;
      const ac = new AbortController();
      const t = track(bulkhead.acquire(ac.signal));
      expect(bulkhead.queued).toBe(1);
      ac.abort();
      expect(bulkhead.queued).toBe(0);
      expect(clock.pendingTimers).toBe(0);
      expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
      await flushMicrotasks();
      expect((rejectionOf(t) as Error).name).toBe('AbortError');
      // Its queue place is free again: the next caller queues instead of being rejected.
      const next = track(bulkhead.acquire());
      expect(bulkhead.queued).toBe(1);
      held.release();
      await flushMicrotasks();
      expect(next.outcome.state).toBe('admitted');
      expect(bulkhead.getStatistics().aborted).toBe(1);
    });

    it('removes a waiter from the middle of the queue and keeps the others in order', async () => {
      const { bulkhead } = make({ maxConcurrency: 1 });
      const held = bulkhead.tryAcquire()!;
      const acs = [0, 1, 2].map(() => new AbortController());
      const order: number[] = [];
      const ps = acs.map((ac, i) =>
        bulkhead.acquire(ac.signal).then(
          (l) => {
            order.push(i);
            return l;
          },
          () => undefined,
        ),
      );
      acs[1]!.abort();
      held.release();
      (await ps[0])!.release();
      (await ps[2])!.release();
      expect(await ps[1]).toBeUndefined();
      expect(order).toEqual([0, 2]);
      expect(bulkhead.running).toBe(0);
    });
  });

  describe('release', () => {
    it('is idempotent: a double release never frees two slots', () => {
      const { bulkhead } = make({ maxConcurrency: 2 });
      const a = bulkhead.tryAcquire()!;
      bulkhead.tryAcquire();
      a.release();
      a.release();
      expect(bulkhead.running).toBe(1);
      expect(bulkhead.tryAcquire()).toBeDefined();
      expect(bulkhead.tryAcquire()).toBeUndefined();
    });

    it('a double release does not admit a second waiter', async () => {
      const { bulkhead } = make({ maxConcurrency: 1 });
      const a = bulkhead.tryAcquire()!;
      const w1 = track(bulkhead.acquire());
      const w2 = track(bulkhead.acquire());
      a.release();
      a.release();
      await flushMicrotasks();
      expect(w1.outcome.state).toBe('admitted');
      expect(w2.outcome.state).toBe('pending');
      expect(bulkhead.running).toBe(1);
    });
  });

  describe('reconfigure', () => {
    it('growing maxConcurrency admits waiters at once, in order', async () => {
      const { bulkhead } = make({ maxConcurrency: 1 });
      bulkhead.tryAcquire();
      const ws = [0, 1, 2].map(() => track(bulkhead.acquire()));
      bulkhead.reconfigure({ maxConcurrency: 3 });
      expect(bulkhead.running).toBe(3);
      expect(bulkhead.queued).toBe(1);
      await flushMicrotasks();
      expect(ws.map((w) => w.outcome.state)).toEqual(['admitted', 'admitted', 'pending']);
    });

    it('shrinking lets running calls finish and admits no one until running is below the new limit', async () => {
      const { bulkhead } = make({ maxConcurrency: 4 });
      const held = [0, 1, 2, 3].map(() => bulkhead.tryAcquire()!);
      const w = track(bulkhead.acquire());
      bulkhead.reconfigure({ maxConcurrency: 2 });
      expect(bulkhead.running).toBe(4);
      held[0]!.release(); // 3 running > 2
      held[1]!.release(); // 2 running = 2
      await flushMicrotasks();
      expect(w.outcome.state).toBe('pending');
      expect(bulkhead.tryAcquire()).toBeUndefined();
      expect(bulkhead.running).toBe(2);
      held[2]!.release(); // 1 running < 2: the waiter gets the slot
      await flushMicrotasks();
      expect(w.outcome.state).toBe('admitted');
      expect(bulkhead.running).toBe(2);
      expect(bulkhead.getStatistics().maxConcurrency).toBe(2);
    });

    it('a smaller maxQueueSize rejects the newest waiters beyond it with shrunk', async () => {
      const { bulkhead, clock } = make({ maxConcurrency: 1, queueTimeoutMs: 500 });
      bulkhead.tryAcquire();
      const acs = [0, 1, 2, 3].map(() => new AbortController());
      const ws = acs.map((ac) => track(bulkhead.acquire(ac.signal)));
      expect(clock.pendingTimers).toBe(4);
      bulkhead.reconfigure({ maxQueueSize: 2 });
      expect(bulkhead.queued).toBe(2);
      expect(clock.pendingTimers).toBe(2);
      expect(getEventListeners(acs[2]!.signal, 'abort')).toHaveLength(0);
      expect(getEventListeners(acs[3]!.signal, 'abort')).toHaveLength(0);
      await flushMicrotasks();
      expect(ws[0]!.outcome.state).toBe('pending');
      expect(ws[1]!.outcome.state).toBe('pending');
      expect(bulkheadReason(ws[2]!)).toBe('shrunk');
      expect(bulkheadReason(ws[3]!)).toBe('shrunk');
      expect(bulkhead.getStatistics().rejectedShrunk).toBe(2);
    });

    it('when growing concurrency and shrinking the queue together, admits from the head before cutting', async () => {
      const { bulkhead } = make({ maxConcurrency: 1 });
      bulkhead.tryAcquire();
      const ws = [0, 1, 2, 3].map(() => track(bulkhead.acquire()));
      bulkhead.reconfigure({ maxConcurrency: 2, maxQueueSize: 1 });
      await flushMicrotasks();
      expect(ws.map((w) => w.outcome.state)).toEqual(['admitted', 'pending', 'rejected', 'rejected']);
    });

    it('a changed queueTimeoutMs applies to new waiters only', async () => {
      const { bulkhead, clock } = make({ maxConcurrency: 1, queueTimeoutMs: 100 });
      bulkhead.tryAcquire();
      const old = track(bulkhead.acquire());
      bulkhead.reconfigure({ queueTimeoutMs: 1000 });
      const fresh = track(bulkhead.acquire());
      await clock.advanceAsync(100);
      expect(bulkheadReason(old)).toBe('queue-timeout');
      expect(fresh.outcome.state).toBe('pending');
      await clock.advanceAsync(900);
      expect(bulkheadReason(fresh)).toBe('queue-timeout');
      expect(clock.pendingTimers).toBe(0);
    });

    it('applies nothing when validation fails', () => {
      const { bulkhead } = make({ maxConcurrency: 3, maxQueueSize: 7 });
      const before = bulkhead.options;
      expect(() => bulkhead.reconfigure({ maxConcurrency: 10, maxQueueSize: -1 })).toThrow(/bulkhead\.maxQueueSize/);
      expect(() => bulkhead.reconfigure({ maxConcurrency: 10, bogus: 1 } as object)).toThrow(/bulkhead\.bogus/);
      expect(bulkhead.options).toBe(before);
      expect(bulkhead.options).toEqual({ maxConcurrency: 3, maxQueueSize: 7, queueTimeoutMs: Infinity });
    });

    it('keeps unchanged fields and exposes frozen options', () => {
      const { bulkhead } = make({ maxConcurrency: 3, maxQueueSize: 7, queueTimeoutMs: 50 });
      bulkhead.reconfigure({ maxQueueSize: 9 });
      expect(bulkhead.options).toEqual({ maxConcurrency: 3, maxQueueSize: 9, queueTimeoutMs: 50 });
      expect(Object.isFrozen(bulkhead.options)).toBe(true);
    });
  });

  describe('getStatistics', () => {
    it('reports limits, current sizes, admissions, peaks and rejections by cause', async () => {
      const { bulkhead, clock } = make({ maxConcurrency: 2, maxQueueSize: 3, queueTimeoutMs: 10 });
      const a = bulkhead.tryAcquire()!;
      bulkhead.tryAcquire();
      const ac = new AbortController();
      const aborted = track(bulkhead.acquire(ac.signal));
      const second = track(bulkhead.acquire());
      const third = track(bulkhead.acquire());
      track(bulkhead.acquire()); // queue-full
      expect(bulkhead.getStatistics()).toEqual({
        maxConcurrency: 2,
        maxQueueSize: 3,
        running: 2,
        queued: 3,
        admitted: 2,
        rejectedQueueFull: 1,
        rejectedQueueTimeout: 0,
        rejectedShrunk: 0,
        aborted: 0,
        peakRunning: 2,
        peakQueued: 3,
      });
      ac.abort();
      a.release(); // the aborted waiter left, so the second is the head and gets the slot
      await flushMicrotasks();
      expect(second.outcome.state).toBe('admitted');
      await clock.advanceAsync(10);
      expect(bulkheadReason(third)).toBe('queue-timeout');
      expect(aborted.outcome.state).toBe('rejected');
      const s = bulkhead.getStatistics();
      expect(s).toEqual({
        maxConcurrency: 2,
        maxQueueSize: 3,
        running: 2,
        queued: 0,
        admitted: 3,
        rejectedQueueFull: 1,
        rejectedQueueTimeout: 1,
        rejectedShrunk: 0,
        aborted: 1,
        peakRunning: 2,
        peakQueued: 3,
      });
      expect(bulkhead.running).toBe(s.running);
      expect(bulkhead.queued).toBe(s.queued);
    });
  });

  describe('dispose', () => {
    it('rejects every waiter with disposed, clears their timers and listeners, and refuses new calls', async () => {
      const { bulkhead, clock } = make({ maxConcurrency: 1, queueTimeoutMs: 100 });
      const held = bulkhead.tryAcquire()!;
      const ac = new AbortController();
      const ws = [track(bulkhead.acquire(ac.signal)), track(bulkhead.acquire())];
      bulkhead.dispose();
      expect(bulkhead.queued).toBe(0);
      expect(clock.pendingTimers).toBe(0);
      expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
      await flushMicrotasks();
      expect(ws.map(bulkheadReason)).toEqual(['disposed', 'disposed']);
      const late = track(bulkhead.acquire());
      await flushMicrotasks();
      expect(bulkheadReason(late)).toBe('disposed');
      // Running leases can still be released; no slot is handed out afterwards.
      held.release();
      expect(bulkhead.running).toBe(0);
      expect(bulkhead.tryAcquire()).toBeUndefined();
      bulkhead.dispose(); // idempotent
    });
  });
});
