import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { VirtualClock } from '@datawarehouse/sdk';
import { DeadlineQueue } from './DeadlineQueue.js';
import type { DeadlineEntry } from './DeadlineQueue.js';

class Entry implements DeadlineEntry {
  settled = false;
  expiredAt: number | undefined;
  constructor(
    readonly deadline: number,
    private readonly clock: VirtualClock,
  ) {}
  expire(): void {
    this.expiredAt = this.clock.now();
    this.settled = true;
  }
}

describe('DeadlineQueue', () => {
  it('expires each unsettled entry exactly at its deadline with a single timer', () => {
    const clock = new VirtualClock();
    const queue = new DeadlineQueue(clock);
    const entries = [10, 20, 30].map((d) => new Entry(d, clock));
    entries.forEach((e) => queue.add(e));
    expect(clock.pendingTimers).toBe(1);
    clock.advance(100);
    expect(entries.map((e) => e.expiredAt)).toEqual([10, 20, 30]);
    expect(clock.pendingTimers).toBe(0);
    expect(queue.size).toBe(0);
  });

  it('never expires a settled entry and drops it early', () => {
    const clock = new VirtualClock();
    const queue = new DeadlineQueue(clock);
    const a = new Entry(10, clock);
    const b = new Entry(20, clock);
    queue.add(a);
    queue.add(b);
    a.settled = true;
    queue.onSettled();
    expect(queue.size).toBe(1);
    b.settled = true;
    queue.onSettled();
    expect(queue.size).toBe(0);
    // The timer is left armed (no clear/re-arm per call); it fires once, finds nothing, and stops.
    expect(clock.pendingTimers).toBe(1);
    clock.advance(100);
    expect(a.expiredAt).toBeUndefined();
    expect(b.expiredAt).toBeUndefined();
    expect(clock.pendingTimers).toBe(0);
  });

  it('arms one timer for a stream of in-order deadlines instead of one per entry', () => {
    const clock = new VirtualClock();
    const queue = new DeadlineQueue(clock);
    let armed = 0;
    const setTimeout = clock.setTimeout.bind(clock);
    clock.setTimeout = (cb, ms) => {
      armed++;
      return setTimeout(cb, ms);
    };
    for (let i = 0; i < 1000; i++) {
      const e = new Entry(clock.now() + 50, clock);
      queue.add(e);
      e.settled = true;
      queue.onSettled();
      clock.advance(0.01);
    }
    expect(armed).toBe(1);
    expect(queue.size).toBe(0);
  });

  it('clears its timer on dispose', () => {
    const clock = new VirtualClock();
    const queue = new DeadlineQueue(clock);
    const e = new Entry(10, clock);
    queue.add(e);
    queue.dispose();
    expect(clock.pendingTimers).toBe(0);
    clock.advance(20);
    expect(e.expiredAt).toBeUndefined();
  });

  it('handles out-of-order deadlines', () => {
    const clock = new VirtualClock();
    const queue = new DeadlineQueue(clock);
    const late = new Entry(100, clock);
    const early = new Entry(5, clock);
    queue.add(late);
    queue.add(early);
    clock.advance(5);
    expect(early.expiredAt).toBe(5);
    expect(late.expiredAt).toBeUndefined();
    clock.advance(95);
    expect(late.expiredAt).toBe(100);
  });

  it('keeps memory proportional to unsettled entries when a slow entry blocks the head', () => {
    const clock = new VirtualClock();
    const queue = new DeadlineQueue(clock);
    queue.add(new Entry(1_000_000, clock));
    for (let i = 0; i < 10_000; i++) {
      const e = new Entry(1_000_000 + i, clock);
      queue.add(e);
      e.settled = true;
      queue.onSettled();
    }
    expect(queue.size).toBeLessThan(100);
  });

  it('expires every entry at its own deadline for any schedule (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            at: fc.integer({ min: 0, max: 50 }),
            timeout: fc.integer({ min: 0, max: 100 }),
            settleAfter: fc.option(fc.integer({ min: 0, max: 150 })),
          }),
          { maxLength: 60 },
        ),
        (plan) => {
          const clock = new VirtualClock();
          const queue = new DeadlineQueue(clock);
          const sorted = [...plan].sort((x, y) => x.at - y.at);
          const entries: { entry: Entry; settleAt: number | undefined }[] = [];
          let t = 0;
          for (const p of sorted) {
            clock.advance(p.at - t);
            t = p.at;
            const entry = new Entry(clock.now() + p.timeout, clock);
            queue.add(entry);
            const settleAt = p.settleAfter === null ? undefined : clock.now() + p.settleAfter;
            entries.push({ entry, settleAt });
            if (settleAt !== undefined) {
              clock.setTimeout(() => {
                if (!entry.settled) {
                  entry.settled = true;
                  queue.onSettled();
                }
              }, p.settleAfter!);
            }
          }
          clock.advance(1000);
          for (const { entry, settleAt } of entries) {
            if (settleAt !== undefined && settleAt < entry.deadline) expect(entry.expiredAt).toBeUndefined();
            else if (settleAt === undefined || settleAt > entry.deadline) expect(entry.expiredAt).toBe(entry.deadline);
          }
          expect(clock.pendingTimers).toBe(0);
        },
      ),
    );
  });
});
