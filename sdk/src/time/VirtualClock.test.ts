import { describe, expect, it } from 'vitest';
import { VirtualClock } from './VirtualClock.js';
import { systemClock } from './Clock.js';

describe('VirtualClock', () => {
  it('runs timers in due order, ties in creation order, only when advanced', () => {
    const clock = new VirtualClock(100);
    const seen: string[] = [];
    clock.setTimeout(() => seen.push('b@20'), 20);
    clock.setTimeout(() => seen.push('a@10'), 10);
    clock.setTimeout(() => seen.push('c@20'), 20);
    expect(seen).toEqual([]);
    clock.advance(15);
    expect(seen).toEqual(['a@10']);
    expect(clock.now()).toBe(115);
    clock.advance(5);
    expect(seen).toEqual(['a@10', 'b@20', 'c@20']);
    expect(clock.pendingTimers).toBe(0);
  });

  it('cancels timers, idempotently', () => {
    const clock = new VirtualClock();
    let ran = false;
    const t = clock.setTimeout(() => (ran = true), 5);
    clock.clearTimeout(t);
    clock.clearTimeout(t);
    clock.advance(10);
    expect(ran).toBe(false);
  });

  it('advanceAsync lets promise continuations schedule the next timer', async () => {
    const clock = new VirtualClock();
    const sleep = (ms: number) => new Promise<void>((r) => clock.setTimeout(r, ms));
    const times: number[] = [];
    const loop = (async () => {
      for (let i = 0; i < 3; i++) {
        await sleep(10);
        times.push(clock.now());
      }
    })();
    await clock.advanceAsync(30);
    await loop;
    expect(times).toEqual([10, 20, 30]);
  });

  it('runAllAsync detects a timer that reschedules forever', async () => {
    const clock = new VirtualClock();
    const again = (): void => void clock.setTimeout(again, 1);
    again();
    await expect(clock.runAllAsync(50)).rejects.toThrow(/keeps rescheduling/);
  });
});

describe('systemClock', () => {
  it('is monotonic and its timers do not keep the process alive', () => {
    const a = systemClock.now();
    const b = systemClock.now();
    expect(b).toBeGreaterThanOrEqual(a);
    const t = systemClock.setTimeout(() => undefined, 10_000) as unknown as NodeJS.Timeout;
    expect(t.hasRef()).toBe(false);
    systemClock.clearTimeout(t as never);
  });
});
