import { SdkCompatibility } from '../compat/SdkCompatibility.js';

/** Slots allocated up front; the table grows (doubling) only when more probes run at once. */
const INITIAL_CAPACITY = 4;

/**
 * The probe table of one half-open period: which probe permits are in flight. At most
 * `limit` probes are admitted at once. Each admitted permit (a unique ticket number) sits in
 * a slot until its first outcome settles it; a second outcome for the same permit finds no
 * slot and is reported as not settled, so it can never free another probe's slot.
 *
 * Memory follows the concurrency actually reached (never more than `limit` slots), so a huge
 * `halfOpenMaxAttempts` costs nothing until that many probes really run. Lookups scan the
 * table: half-open is rare and the table small, and this keeps the permit a plain number.
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class ProbeSlots {
  // 0 marks a free slot: tickets start at 1.
  private tickets: Float64Array;
  private count = 0;

  /** @param limit - probes admitted at once (integer >= 1). */
  constructor(private limit: number) {
    this.tickets = new Float64Array(Math.min(limit, INITIAL_CAPACITY));
  }

  /** Probes currently in flight. */
  get inFlight(): number {
    return this.count;
  }

  /** True when another probe may be admitted. */
  get hasFreeSlot(): boolean {
    return this.count < this.limit;
  }

  /**
   * Changes the limit in place. Probes in flight are kept; when the new limit is below them,
   * no probe is admitted until enough of them settled.
   */
  setLimit(limit: number): void {
    this.limit = limit;
  }

  /** Admits `ticket` (> 0) when a slot is free; returns false when all `limit` slots are taken. */
  admit(ticket: number): boolean {
    if (this.count >= this.limit) return false;
    let t = this.tickets;
    if (this.count === t.length) {
      const grown = new Float64Array(Math.min(this.limit, Math.max(INITIAL_CAPACITY, t.length * 2)));
      grown.set(t);
      this.tickets = t = grown;
    }
    for (let i = 0; i < t.length; i++) {
      if (t[i] === 0) {
        t[i] = ticket;
        this.count++;
        return true;
      }
    }
    return false; // unreachable: count < length guarantees a free slot
  }

  /** Frees the slot of `ticket`; false when it is not in flight (already settled, or never admitted here). */
  settle(ticket: number): boolean {
    if (this.count === 0 || !(ticket > 0)) return false;
    const t = this.tickets;
    for (let i = 0; i < t.length; i++) {
      if (t[i] === ticket) {
        t[i] = 0;
        this.count--;
        return true;
      }
    }
    return false;
  }

  /** Forgets every probe (the half-open period ended; their permits are stale from now on). */
  clear(): void {
    if (this.count === 0) return;
    this.tickets.fill(0);
    this.count = 0;
  }
}
