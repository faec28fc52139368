import { SdkCompatibility } from '@datawarehouse/sdk';
import type { Clock, TimerHandle } from '@datawarehouse/sdk';

/** Something with a deadline that a {@link DeadlineQueue} expires. @since 6.0.0 */
export interface DeadlineEntry {
  /** `clock.now()` at which the entry expires. */
  readonly deadline: number;
  /** True once the entry no longer needs expiring (its work settled). */
  readonly settled: boolean;
  /** Called once, by the queue's timer, when the deadline passes before the entry settled. */
  expire(): void;
}

const INITIAL_CAPACITY = 16;

/**
 * Expires many deadlines with one timer. A strategy's attempt timeout is constant, so its
 * deadlines arrive in order: adding is an append to a ring buffer, and the timer is armed for
 * the earliest deadline and re-armed only when it fires — instead of a `setTimeout` +
 * `clearTimeout` pair per call (~600 ns).
 *
 * Settled entries are dropped from the head as they settle, and compacted away when they pile
 * up behind a slow one, so memory stays proportional to the calls in flight. An out-of-order
 * deadline (after a reconfiguration, or from an overall timeout) is inserted in place.
 *
 * Timer lifetime: when the last entry settles the timer is left armed (clearing and re-arming
 * it on every call is what this class exists to avoid); it is `unref`'d by the system clock,
 * fires once more at most one timeout period later, finds nothing, and is not re-armed.
 * `dispose()` clears it at once.
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class DeadlineQueue {
  private buffer: (DeadlineEntry | undefined)[] = new Array<DeadlineEntry | undefined>(INITIAL_CAPACITY);
  private mask = INITIAL_CAPACITY - 1;
  private head = 0;
  private count = 0;
  private settledInside = 0;
  private timer: TimerHandle | undefined = undefined;
  private armedFor = Infinity;

  constructor(private readonly clock: Clock) {}

  /** Entries held (settled ones not yet dropped included). */
  get size(): number {
    return this.count;
  }

  /** Whether a timer is currently armed. */
  get armed(): boolean {
    return this.timer !== undefined;
  }

  /** Starts watching `entry`. */
  add(entry: DeadlineEntry): void {
    const last = this.count === 0 ? undefined : this.at(this.count - 1);
    if (last === undefined || last.deadline <= entry.deadline) {
      if (this.count === this.buffer.length) this.rebuild(this.buffer.length * 2);
      this.buffer[(this.head + this.count) & this.mask] = entry;
      this.count++;
    } else {
      this.insertSorted(entry);
    }
    if (entry.deadline < this.armedFor) this.arm(entry.deadline);
  }

  /** Tells the queue an entry settled, so it can drop it early. */
  onSettled(): void {
    this.settledInside++;
    const buffer = this.buffer;
    while (this.count > 0) {
      const entry = buffer[this.head]!;
      if (!entry.settled) break;
      buffer[this.head] = undefined;
      this.head = (this.head + 1) & this.mask;
      this.count--;
      this.settledInside--;
    }
    if (this.settledInside > 32 && this.settledInside * 2 > this.count) this.compact();
  }

  /** Cancels the timer and forgets every entry (they are not expired). */
  dispose(): void {
    this.disarm();
    this.buffer = new Array<DeadlineEntry | undefined>(INITIAL_CAPACITY);
    this.mask = INITIAL_CAPACITY - 1;
    this.head = 0;
    this.count = 0;
    this.settledInside = 0;
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    this.armedFor = Infinity;
    const now = this.clock.now();
    // Two phases: take every due entry out first, re-arm, and only then expire them. Expiring
    // runs user code (abort listeners) that may add deadlines and rebuild the buffer.
    let due: DeadlineEntry[] | undefined;
    while (this.count > 0) {
      const entry = this.buffer[this.head]!;
      if (!entry.settled && entry.deadline > now) break;
      this.buffer[this.head] = undefined;
      this.head = (this.head + 1) & this.mask;
      this.count--;
      if (entry.settled) {
        if (this.settledInside > 0) this.settledInside--;
      } else {
        (due ??= []).push(entry);
      }
    }
    if (this.count > 0) this.arm(this.buffer[this.head]!.deadline);
    if (due === undefined) return;
    for (const entry of due) {
      try {
        entry.expire();
      } catch {
        // An entry's expiry must never take the timer (and so every other deadline) down.
      }
    }
  };

  private at(i: number): DeadlineEntry {
    return this.buffer[(this.head + i) & this.mask]!;
  }

  private arm(deadline: number): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.armedFor = deadline;
    this.timer = this.clock.setTimeout(this.fire, Math.max(0, deadline - this.clock.now()));
  }

  private disarm(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Infinity;
  }

  private live(): DeadlineEntry[] {
    const out: DeadlineEntry[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.at(i));
    return out;
  }

  private insertSorted(entry: DeadlineEntry): void {
    const entries = this.live();
    let lo = 0;
    let hi = entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (entries[mid]!.deadline <= entry.deadline) lo = mid + 1;
      else hi = mid;
    }
    entries.splice(lo, 0, entry);
    this.load(entries);
  }

  private compact(): void {
    this.load(this.live().filter((e) => !e.settled));
    this.settledInside = 0;
  }

  private rebuild(capacity: number): void {
    this.load(this.live(), capacity);
  }

  private load(entries: DeadlineEntry[], minCapacity = INITIAL_CAPACITY): void {
    let capacity = INITIAL_CAPACITY;
    while (capacity < entries.length || capacity < minCapacity) capacity *= 2;
    const buffer = new Array<DeadlineEntry | undefined>(capacity);
    for (let i = 0; i < entries.length; i++) buffer[i] = entries[i];
    this.buffer = buffer;
    this.mask = capacity - 1;
    this.head = 0;
    this.count = entries.length;
  }
}
