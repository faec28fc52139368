import { SdkCompatibility } from '@datawarehouse/sdk';
import type { CircuitState } from '@datawarehouse/sdk';
import type { CircuitStateEntry } from './CircuitStateMessage.js';
import { MAX_REMAINING_BREAK_MS } from './CircuitStateMessage.js';

/** Position of a write in a strategy's history: Lamport clock, then writer node id. @since 6.0.0 */
export interface RegisterVersion {
  readonly lamport: number;
  readonly origin: string;
}

/**
 * Highest Lamport clock: `Number.MAX_SAFE_INTEGER` (2^53 - 1), the largest integer every
 * node reads exactly. Entries above it are dropped by the schema check. @since 6.0.0
 */
export const MAX_LAMPORT = Number.MAX_SAFE_INTEGER;

/**
 * Most a single received entry may move a strategy's clock forward: 2^32 (over four billion
 * transitions of one strategy, more than any node falls behind by in practice).
 *
 * **Why.** Versions are compared as plain numbers, so what must never happen is a peer
 * sending a clock so high that this node cannot write a higher one afterwards (a clock at
 * the top of the range, plus a high node id as tie-break, would win against every later
 * write forever). Any fixed upper bound has that top value; a bound *relative to the
 * receiver's own clock* does not: an entry is adopted only when
 * `lamport <= clock + MAX_LAMPORT_STEP`, so after adopting it the clock is still at least
 * `MAX_LAMPORT - k × 2^32` below the top for the k-th such jump, and the next local write
 * (`clock + 1`) beats it. Pushing a clock to the top takes over two million valid,
 * authenticated, far-ahead messages in a row, not one value.
 *
 * An entry further ahead is dropped (counted `lamportTooFar`), but the clock still moves
 * `MAX_LAMPORT_STEP` towards it ({@link LwwRegisterMap.observe}): a node that was genuinely
 * that far behind catches up within a few anti-entropy rounds instead of diverging, and a
 * later local write still beats everything it holds.
 * @since 6.0.0
 */
export const MAX_LAMPORT_STEP = 2 ** 32;

/**
 * Total order of versions: higher Lamport clock wins; on equal clocks the greater node id
 * (UTF-16 code unit order, the same on every node) wins. Returns < 0, 0 or > 0.
 * @since 6.0.0
 */
export function compareVersions(a: RegisterVersion, b: RegisterVersion): number {
  if (a.lamport !== b.lamport) return a.lamport < b.lamport ? -1 : 1;
  if (a.origin === b.origin) return 0;
  return a.origin < b.origin ? -1 : 1;
}

/** The value one strategy's register holds on this node. @since 6.0.0 */
export interface CircuitRegisterValue extends RegisterVersion {
  readonly state: CircuitState;
  readonly reason: string;
  /** For `open`: when the break ends, in this node's clock (`Clock.now()`); 0 otherwise. */
  readonly openUntil: number;
}

/**
 * What {@link LwwRegisterMap.offer} did with a remote value (`tooFar`: more than
 * {@link MAX_LAMPORT_STEP} ahead of the strategy's clock, not adopted). @since 6.0.0
 */
export type OfferOutcome = 'adopted' | 'stale' | 'duplicate' | 'tooFar';

/**
 * One last-writer-wins register per strategy, each ordered by its own Lamport clock (a clock
 * per strategy, so a busy strategy never makes another's writes look newer) with the node id
 * as tie-break. A local write takes `lamport = current + 1`; a remote value is adopted only
 * when its version is greater, so every node that has seen the same writes holds the same
 * value, whatever the order, duplication or delay of the messages that carried them.
 * Values are bounded by the caller: it only ever holds registered strategies.
 *
 * The Lamport clock of a strategy is kept apart from its value: it advances to every clock
 * seen ({@link observe}) — by at most {@link MAX_LAMPORT_STEP} per entry — adopted or not, and
 * survives {@link delete}, so a node's next write is newer than anything it holds even when it
 * did not apply it (strategy unknown or re-registered). At most {@link MAX_CLOCKS} clocks are
 * kept; beyond that the oldest clock without a value is dropped.
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class LwwRegisterMap {
  /** Most strategy clocks kept (values are bounded by the registry; clocks of unknown strategies are not). */
  static readonly MAX_CLOCKS = 10_000;
  private readonly values = new Map<string, CircuitRegisterValue>();
  private readonly clocks = new Map<string, number>();
  private changes = 0;

  constructor(
    /** This node's id: the origin of local writes. */
    readonly nodeId: string,
  ) {}

  /** Counts the changes of values (writes, adoptions, deletions): a cache key for digests. */
  get revision(): number {
    return this.changes;
  }

  /** Registers held. */
  get size(): number {
    return this.values.size;
  }

  get(strategyId: string): CircuitRegisterValue | undefined {
    return this.values.get(strategyId);
  }

  /** The Lamport clock of `strategyId`: the highest clock seen or written, as far as steps allowed (0 when none). */
  clockOf(strategyId: string): number {
    return this.clocks.get(strategyId) ?? 0;
  }

  /**
   * Whether an entry with clock `lamport` is close enough to be adopted: at most
   * {@link MAX_LAMPORT_STEP} ahead of the strategy's clock (see there for why).
   */
  withinStep(strategyId: string, lamport: number): boolean {
    return lamport <= this.clockOf(strategyId) + MAX_LAMPORT_STEP;
  }

  /**
   * Advances the clock of `strategyId` towards `lamport` when it is higher, by at most
   * {@link MAX_LAMPORT_STEP} and never past {@link MAX_LAMPORT}; anything that is not a
   * number is ignored.
   */
  observe(strategyId: string, lamport: number): void {
    if (!(lamport >= 1)) return;
    const held = this.clocks.get(strategyId);
    const next = Math.min(lamport, (held ?? 0) + MAX_LAMPORT_STEP, MAX_LAMPORT);
    if (held !== undefined) {
      if (next > held) this.clocks.set(strategyId, next);
      return;
    }
    if (this.clocks.size >= LwwRegisterMap.MAX_CLOCKS) this.evictClock();
    this.clocks.set(strategyId, next);
  }

  /**
   * Records a local transition as the newest write of `strategyId` and returns it. Its clock
   * is the strategy's clock + 1, which beats every value held (their clocks are at most the
   * strategy's clock). It saturates at {@link MAX_LAMPORT}, out of reach of any one message
   * (see {@link MAX_LAMPORT_STEP}).
   */
  writeLocal(strategyId: string, state: CircuitState, reason: string, openUntil: number): CircuitRegisterValue {
    const lamport = Math.min(this.clockOf(strategyId) + 1, MAX_LAMPORT);
    this.observe(strategyId, lamport);
    const value: CircuitRegisterValue = {
      lamport,
      origin: this.nodeId,
      state,
      reason,
      openUntil: state === 'open' ? openUntil : 0,
    };
    this.values.set(strategyId, value);
    this.changes++;
    return value;
  }

  /**
   * Compares a remote entry with what is held, without changing anything: `tooFar` when it is
   * more than {@link MAX_LAMPORT_STEP} ahead of the strategy's clock, `adopted` when it is
   * newer (or nothing is held), `duplicate` for the same version, `stale` when older.
   */
  compare(entry: CircuitStateEntry): OfferOutcome {
    if (!this.withinStep(entry.strategyId, entry.lamport)) return 'tooFar';
    const held = this.values.get(entry.strategyId);
    if (held === undefined) return 'adopted';
    const c = compareVersions(entry, held);
    return c > 0 ? 'adopted' : c === 0 ? 'duplicate' : 'stale';
  }

  /**
   * Adopts a remote entry when it is newer than what is held and within step (see
   * {@link compare}), advancing the clock either way ({@link observe}); an open entry's
   * relative break becomes `now + remainingBreakMs` in this node's clock.
   */
  offer(entry: CircuitStateEntry, now: number): OfferOutcome {
    const outcome = this.compare(entry);
    this.observe(entry.strategyId, entry.lamport);
    if (outcome !== 'adopted') return outcome;
    this.changes++;
    this.values.set(entry.strategyId, {
      lamport: entry.lamport,
      origin: entry.origin,
      state: entry.state,
      reason: entry.reason,
      openUntil: entry.state === 'open' ? now + entry.remainingBreakMs : 0,
    });
    return 'adopted';
  }

  /**
   * Forgets a strategy's value (it was removed from the registry). Its clock is kept, so a
   * strategy registered again writes newer versions than the cluster already holds.
   */
  delete(strategyId: string): void {
    if (this.values.delete(strategyId)) this.changes++;
  }

  private evictClock(): void {
    for (const id of this.clocks.keys()) {
      if (!this.values.has(id)) {
        this.clocks.delete(id);
        return;
      }
    }
  }

  /** Every register, in insertion order. */
  entries(): IterableIterator<[string, CircuitRegisterValue]> {
    return this.values.entries();
  }

  /**
   * The wire form of a held value at `now`: the break left is relative, never an absolute
   * time, and at most {@link MAX_REMAINING_BREAK_MS} (a longer local break, from `tripFor`
   * or rounding, is sent as the longest one receivers accept rather than not at all).
   */
  static toEntry(strategyId: string, value: CircuitRegisterValue, now: number): CircuitStateEntry {
    return {
      strategyId,
      lamport: value.lamport,
      origin: value.origin,
      state: value.state,
      remainingBreakMs:
        value.state === 'open' ? Math.min(MAX_REMAINING_BREAK_MS, Math.max(0, value.openUntil - now)) : 0,
      reason: value.reason,
    };
  }
}
