import { SdkCompatibility } from '@datawarehouse/sdk';
import type { CircuitState } from '@datawarehouse/sdk';
import type { CircuitStateEntry } from './CircuitStateMessage.js';

/** Position of a write in a strategy's history: Lamport clock, then writer node id. @since 6.0.0 */
export interface RegisterVersion {
  readonly lamport: number;
  readonly origin: string;
}

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

/** What {@link LwwRegisterMap.offer} did with a remote value. @since 6.0.0 */
export type OfferOutcome = 'adopted' | 'stale' | 'duplicate';

/**
 * One last-writer-wins register per strategy, each ordered by its own Lamport clock (a clock
 * per strategy, so a busy strategy never makes another's writes look newer) with the node id
 * as tie-break. A local write takes `lamport = current + 1`; a remote value is adopted only
 * when its version is greater, so every node that has seen the same writes holds the same
 * value, whatever the order, duplication or delay of the messages that carried them.
 * Bounded by the caller: it only ever holds registered strategies.
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class LwwRegisterMap {
  private readonly values = new Map<string, CircuitRegisterValue>();

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

  /** Records a local transition as the newest write of `strategyId` and returns it. */
  writeLocal(strategyId: string, state: CircuitState, reason: string, openUntil: number): CircuitRegisterValue {
    const lamport = (this.values.get(strategyId)?.lamport ?? 0) + 1;
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

  /** Forgets a strategy (it was removed from the registry). */
  delete(strategyId: string): void {
    this.values.delete(strategyId);
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
