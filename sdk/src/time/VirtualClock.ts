import { SdkCompatibility } from '../compat/SdkCompatibility.js';
import type { Clock, TimerHandle } from './Clock.js';

interface VirtualTimer extends TimerHandle {
  readonly id: number;
  readonly due: number;
  readonly callback: () => void;
  cancelled: boolean;
}

/**
 * A {@link Clock} whose time only moves when told to. Timers run in due order (ties in
 * creation order). Use {@link VirtualClock.advance} from synchronous code, and
 * {@link VirtualClock.advanceAsync} when timers resolve promises whose continuations should
 * run before the next timer fires.
 *
 * @example
 * ```ts
 * const clock = new VirtualClock();
 * const breaker = new InMemoryCircuitBreaker('db', { breakDurationMs: 1000 }, clock);
 * breaker.trip();
 * clock.advance(1000); // now half-open
 * ```
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class VirtualClock implements Clock {
  private current: number;
  private nextId = 1;
  // Kept sorted by (due, id); tests hold few timers, so insertion sort is fine.
  private timers: VirtualTimer[] = [];

  constructor(startMs = 0) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const delay = Number.isFinite(delayMs) && delayMs > 0 ? delayMs : 0;
    const timer: VirtualTimer = { id: this.nextId++, due: this.current + delay, callback, cancelled: false };
    let i = this.timers.length;
    while (i > 0 && this.timers[i - 1]!.due > timer.due) i--;
    this.timers.splice(i, 0, timer);
    return timer;
  }

  clearTimeout(handle: TimerHandle): void {
    const timer = handle as VirtualTimer;
    if (timer.cancelled) return;
    timer.cancelled = true;
    const i = this.timers.indexOf(timer);
    if (i >= 0) this.timers.splice(i, 1);
  }

  /** Number of timers scheduled and not yet run or cancelled. */
  get pendingTimers(): number {
    return this.timers.length;
  }

  /** Moves time forward by `ms`, running every timer that falls due, synchronously. */
  advance(ms: number): void {
    this.runUntil(this.current + ms);
  }

  /**
   * Moves time forward by `ms`; before and after each due timer, lets pending promise
   * continuations run, so async code reacting to one timer can schedule the next.
   */
  async advanceAsync(ms: number): Promise<void> {
    const target = this.current + ms;
    await flushMicrotasks();
    for (;;) {
      const next = this.timers[0];
      if (next === undefined || next.due > target) break;
      this.timers.shift();
      this.current = Math.max(this.current, next.due);
      next.cancelled = true;
      next.callback();
      await flushMicrotasks();
    }
    this.current = Math.max(this.current, target);
    await flushMicrotasks();
  }

  /** Runs timers until none is left (bounded, to catch timers that reschedule forever). */
  async runAllAsync(maxTimers = 10_000): Promise<void> {
    for (let n = 0; n < maxTimers; n++) {
      const next = this.timers[0];
      if (next === undefined) return;
      await this.advanceAsync(next.due - this.current);
    }
    throw new Error(`VirtualClock.runAllAsync: more than ${maxTimers} timers ran; a timer keeps rescheduling`);
  }

  private runUntil(target: number): void {
    for (;;) {
      const next = this.timers[0];
      if (next === undefined || next.due > target) break;
      this.timers.shift();
      this.current = Math.max(this.current, next.due);
      next.cancelled = true;
      next.callback();
    }
    this.current = Math.max(this.current, target);
  }
}

/** Lets queued promise continuations run (a few macrotask-free turns of the microtask queue). */
export async function flushMicrotasks(turns = 20): Promise<void> {
  for (let i = 0; i < turns; i++) await Promise.resolve();
}
