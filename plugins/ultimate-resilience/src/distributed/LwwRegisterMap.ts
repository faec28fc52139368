import { SdkCompatibility } from '@datawarehouse/sdk';
import type { CircuitState } from '@datawarehouse/sdk';
import type { CircuitStateEntry } from './CircuitStateMessage.js';

/** Position of a write in a strategy's history: Lamport clock, then writer node id. @since 6.0.0 */
export interface RegisterVersion {
  readonly lamport: number;
  readonly origin: string;
}

/**
 * Highest Lamport clock a node writes or lets advance its clock (2^48: ~2.8e14 writes, never
 * reached by real transitions). A clock above it (a buggy or hostile peer) is still a valid
 * safe integer on the wire, but ranks *below* every in-range clock, so one such message can
 * never make every later write look stale. @since 6.0.0
 */
export const MAX_LAMPORT = 2 ** 48;

/** Ordering key of a Lamport clock: in-range clocks as they are, out-of-range ones negative (below all). */
function rank(lamport: number): number {
  return lamport > MAX_LAMPORT ? lamport - 2 ** 53 : lamport;
}

/**
 * Total order of versions: higher Lamport clock wins (a clock above {@link MAX_LAMPORT} ranks
 * below every in-range clock); on equal clocks the greater node id (UTF-16 code unit order,
 * the same on every node) wins. Returns < 0, 0 or > 0.
 * @since 6.0.0
 */
export function compareVersions(a: RegisterVersion, b: RegisterVersion): number {
  if (a.lamport !== b.lamport) return rank(a.lamport) < rank(b.lamport) ? -1 : 1;
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

/** What {@link LwwRegisterMap.offer} did with a remote value. @since 6.0.0 */
export type OfferOutcome = 'adopted' | 'stale' | 'duplicate';

/**
 * One last-writer-wins register per strategy, each ordered by its own Lamport clock (a clock
 * per strategy, so a busy strategy never makes another's writes look newer) with the node id
 * as tie-break. A local write takes `lamport = current + 1`; a remote value is adopted only
 * when its version is greater, so every node that has seen the same writes holds the same
 * value, whatever the order, duplication or delay of the messages that carried them.
 * Values are bounded by the caller: it only ever holds registered strategies.
 *
 * The Lamport clock of a strategy is kept apart from its value: it advances to every in-range
 * clock seen ({@link observe}), adopted or not, and survives {@link delete}, so a node's next
 * write is newer than anything it has seen even when it did not apply it (sharing off,
 * strategy unknown or re-registered). At most {@link MAX_CLOCKS} clocks are kept; beyond that
 * the oldest clock without a value is dropped.
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class LwwRegisterMap {
  /** Most strategy clocks kept (values are bounded by the registry; clocks of unknown strategies are not). */
  static readonly MAX_CLOCKS = 10_000;
  private readonly values = new Map<string, CircuitRegisterValue>();
  private readonly clocks = new Map<string, number>();

  constructor(
    /** This node's id: the origin of local writes. */
    readonly nodeId: string,
  ) {}

  /** Registers held. */
  get size(): number {
    return this.values.size;
  }

  get(strategyId: string): CircuitRegisterValue | undefined {
    return this.values.get(strategyId);
  }

  /** The Lamport clock of `strategyId`: the highest in-range clock seen or written (0 when none). */
  clockOf(strategyId: string): number {
    return this.clocks.get(strategyId) ?? 0;
  }

  /**
   * Advances the clock of `strategyId` to `lamport` when it is higher and in range
   * (at most {@link MAX_LAMPORT}); an out-of-range clock is ignored.
   */
  observe(strategyId: string, lamport: number): void {
    if (!(lamport <= MAX_LAMPORT)) return;
    const held = this.clocks.get(strategyId);
    if (held !== undefined) {
      if (lamport > held) this.clocks.set(strategyId, lamport);
      return;
    }
    if (this.clocks.size >= LwwRegisterMap.MAX_CLOCKS) this.evictClock();
    this.clocks.set(strategyId, lamport);
  }

  /**
   * Records a local transition as the newest write of `strategyId` and returns it. Its clock
   * is the strategy's clock + 1, saturating at {@link MAX_LAMPORT} (ties then break by node id).
   */
  writeLocal(strategyId: string, state: CircuitState, reason: string, openUntil: number): CircuitRegisterValue {
    const lamport = Math.min(this.clockOf(strategyId) + 1, MAX_LAMPORT);
    this.observe(strategyId, lamport);
    const value: CircuitRegisterValue = { lamport, origin: this.nodeId, state, reason, openUntil: state === 'open' ? openUntil : 0 };
    this.values.set(strategyId, value);
    return value;
  }

  /**
   * Compares a remote entry with what is held, without changing anything: `adopted` when the
   * entry is newer (or nothing is held), `duplicate` for the same version, `stale` when older.
   */
  compare(entry: CircuitStateEntry): OfferOutcome {
    const held = this.values.get(entry.strategyId);
    if (held === undefined) return 'adopted';
    const c = compareVersions(entry, held);
    return c > 0 ? 'adopted' : c === 0 ? 'duplicate' : 'stale';
  }

  /**
   * Adopts a remote entry when it is newer than what is held (see {@link compare}); an open
   * entry's relative break becomes `now + remainingBreakMs` in this node's clock.
   */
  offer(entry: CircuitStateEntry, now: number): OfferOutcome {
    this.observe(entry.strategyId, entry.lamport);
    const outcome = this.compare(entry);
    if (outcome !== 'adopted') return outcome;
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
    this.values.delete(strategyId);
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

  /** The wire form of a held value at `now`: the break left is relative, never an absolute time. */
  static toEntry(strategyId: string, value: CircuitRegisterValue, now: number): CircuitStateEntry {
    return {
      strategyId,
      lamport: value.lamport,
      origin: value.origin,
      state: value.state,
      remainingBreakMs: value.state === 'open' ? Math.max(0, value.openUntil - now) : 0,
      reason: value.reason,
    };
  }
}
