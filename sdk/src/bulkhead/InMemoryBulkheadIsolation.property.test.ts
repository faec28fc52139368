import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { BulkheadLease, BulkheadOptions } from './IBulkheadIsolation.js';
import { isBulkheadRejectedError, isInvalidConfigurationError } from '../errors/errors.js';
import { VirtualClock, flushMicrotasks } from '../time/VirtualClock.js';
import { InMemoryBulkheadIsolation } from './InMemoryBulkheadIsolation.js';

type Action =
  | { t: 'acquire'; withSignal: boolean }
  | { t: 'try' }
  | { t: 'release'; i: number }
  | { t: 'abort'; i: number }
  | { t: 'advance'; ms: number }
  | { t: 'reconfigure'; opts: Partial<BulkheadOptions> }
  | { t: 'reconfigureInvalid'; opts: Record<string, unknown> };

const timeoutArb = fc.constantFrom(Infinity, 10, 50, 100);
const optionsArb = fc.record(
  {
    maxConcurrency: fc.integer({ min: 1, max: 4 }),
    maxQueueSize: fc.integer({ min: 0, max: 4 }),
    queueTimeoutMs: timeoutArb,
  },
  { requiredKeys: [] },
);

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 5, arbitrary: fc.boolean().map((withSignal) => ({ t: 'acquire', withSignal }) as const) },
  { weight: 1, arbitrary: fc.constant({ t: 'try' } as const) },
  { weight: 4, arbitrary: fc.nat(40).map((i) => ({ t: 'release', i }) as const) },
  { weight: 2, arbitrary: fc.nat(40).map((i) => ({ t: 'abort', i }) as const) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 120 }).map((ms) => ({ t: 'advance', ms }) as const) },
  { weight: 2, arbitrary: optionsArb.map((opts) => ({ t: 'reconfigure', opts }) as const) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom<Record<string, unknown>>(
        { maxConcurrency: 0 },
        { maxQueueSize: -1 },
        { queueTimeoutMs: 0 },
        { maxConcurrency: 2, typo: 1 },
        { maxConcurrency: 3, maxQueueSize: 1.5 },
      )
      .map((opts) => ({ t: 'reconfigureInvalid', opts }) as const),
  },
);

interface Call {
  readonly id: number;
  readonly controller: AbortController | undefined;
  /** Classified synchronously right after `acquire()` returned. */
  readonly queued: boolean;
  readonly hasTimer: boolean;
  settled: boolean;
  error: unknown;
}

interface Held {
  readonly lease: BulkheadLease;
  released: boolean;
}

/** Drives one random interleaving and checks the invariants after every step. */
async function run(initial: Partial<BulkheadOptions>, actions: readonly Action[]): Promise<void> {
  const clock = new VirtualClock();
  const bulkhead = new InMemoryBulkheadIsolation('prop', initial, clock);
  const calls: Call[] = [];
  const held: Held[] = [];
  const queuedAdmissions: number[] = [];
  const controllers: AbortController[] = [];

  const acquire = (withSignal: boolean): void => {
    const controller = withSignal ? new AbortController() : undefined;
    if (controller) controllers.push(controller);
    const before = bulkhead.queued;
    const p = bulkhead.acquire(controller?.signal);
    const queued = bulkhead.queued > before;
    const call: Call = {
      id: calls.length,
      controller,
      queued,
      hasTimer: queued && bulkhead.options.queueTimeoutMs !== Infinity,
      settled: false,
      error: undefined,
    };
    calls.push(call);
    p.then(
      (lease) => {
        call.settled = true;
        held.push({ lease, released: false });
        if (call.queued) queuedAdmissions.push(call.id);
      },
      (error: unknown) => {
        call.settled = true;
        call.error = error;
      },
    );
  };

  const check = (runningBefore: number, admittedBefore: number): void => {
    const s = bulkhead.getStatistics();
    const limit = bulkhead.options.maxConcurrency;
    expect(s.running).toBeGreaterThanOrEqual(0);
    expect(s.queued).toBeGreaterThanOrEqual(0);
    expect(s.queued).toBeLessThanOrEqual(bulkhead.options.maxQueueSize);
    // No new admission while running >= maxConcurrency; calls admitted before a shrink may finish.
    if (s.admitted > admittedBefore) expect(s.running).toBeLessThanOrEqual(limit);
    expect(s.running).toBeLessThanOrEqual(Math.max(runningBefore, limit));
    // Work-conserving: nobody waits while a slot is free.
    if (s.queued > 0) expect(s.running).toBeGreaterThanOrEqual(limit);
    // No slot lost, no double free: running equals the leases handed out and not yet released.
    expect(s.running).toBe(held.filter((h) => !h.released).length);
    const pending = calls.filter((c) => !c.settled);
    expect(s.queued).toBe(pending.length);
    expect(pending.every((c) => c.queued)).toBe(true);
    // Every settled waiter's timer and listener are gone; pending ones hold exactly theirs.
    expect(clock.pendingTimers).toBe(pending.filter((c) => c.hasTimer).length);
    for (const c of calls) {
      if (c.controller) expect(getEventListeners(c.controller.signal, 'abort')).toHaveLength(c.settled ? 0 : 1);
    }
    // FIFO among queued waiters.
    for (let i = 1; i < queuedAdmissions.length; i++)
      expect(queuedAdmissions[i]!).toBeGreaterThan(queuedAdmissions[i - 1]!);
    // Each rejection has a cause this call could have.
    for (const c of calls) {
      if (!c.settled || c.error === undefined) continue;
      if (isBulkheadRejectedError(c.error)) {
        if (c.error.reason === 'queue-timeout') expect(c.hasTimer).toBe(true);
        else expect(['queue-full', 'shrunk']).toContain(c.error.reason);
        if (c.error.reason !== 'queue-full') expect(c.queued).toBe(true);
      } else {
        expect(c.controller?.signal.aborted).toBe(true);
        expect(c.error).toBe(c.controller!.signal.reason);
      }
    }
  };

  for (const a of actions) {
    const runningBefore = bulkhead.running;
    const admittedBefore = bulkhead.getStatistics().admitted;
    switch (a.t) {
      case 'acquire':
        acquire(a.withSignal);
        break;
      case 'try': {
        const free = bulkhead.running < bulkhead.options.maxConcurrency && bulkhead.queued === 0;
        const lease = bulkhead.tryAcquire();
        expect(lease !== undefined).toBe(free);
        if (lease) held.push({ lease, released: false });
        break;
      }
      case 'release': {
        if (held.length === 0) break;
        const h = held[a.i % held.length]!;
        const running = bulkhead.running;
        const admitted = bulkhead.getStatistics().admitted;
        h.lease.release();
        if (h.released) {
          // A double release changes nothing at all.
          expect(bulkhead.running).toBe(running);
          expect(bulkhead.getStatistics().admitted).toBe(admitted);
        }
        h.released = true;
        break;
      }
      case 'abort':
        if (controllers.length > 0) controllers[a.i % controllers.length]!.abort();
        break;
      case 'advance':
        clock.advance(a.ms);
        break;
      case 'reconfigure':
        bulkhead.reconfigure(a.opts);
        break;
      case 'reconfigureInvalid': {
        const before = bulkhead.options;
        const queued = bulkhead.queued;
        let error: unknown;
        try {
          bulkhead.reconfigure(a.opts as Partial<BulkheadOptions>);
        } catch (e) {
          error = e;
        }
        expect(isInvalidConfigurationError(error)).toBe(true);
        expect(bulkhead.options).toBe(before);
        expect(bulkhead.queued).toBe(queued);
        break;
      }
    }
    await flushMicrotasks();
    check(runningBefore, admittedBefore);
  }

  // Release everything and drain: each release hands its slot to a waiter until none is left.
  for (let round = 0; round < 1000; round++) {
    const open = held.filter((h) => !h.released);
    if (open.length === 0 && bulkhead.queued === 0) break;
    for (const h of open) {
      h.lease.release();
      h.released = true;
    }
    await flushMicrotasks();
    check(bulkhead.running, bulkhead.getStatistics().admitted);
  }
  expect(bulkhead.running).toBe(0);
  expect(bulkhead.queued).toBe(0);
  expect(clock.pendingTimers).toBe(0);
  for (const c of controllers) expect(getEventListeners(c.signal, 'abort')).toHaveLength(0);
  expect(calls.every((c) => c.settled)).toBe(true);
  const fresh = bulkhead.tryAcquire();
  expect(fresh).toBeDefined();
  fresh!.release();
  const viaQueue = await bulkhead.acquire();
  expect(bulkhead.running).toBe(1);
  viaQueue.release();
  expect(bulkhead.running).toBe(0);
}

describe('InMemoryBulkheadIsolation (properties)', () => {
  it('keeps its invariants under random acquire/release/abort/timeout/reconfigure interleavings', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          maxConcurrency: fc.integer({ min: 1, max: 4 }),
          maxQueueSize: fc.integer({ min: 0, max: 5 }),
          queueTimeoutMs: timeoutArb,
        }),
        fc.array(actionArb, { maxLength: 80 }),
        run,
      ),
      { numRuns: 300 },
    );
  });
});
