import { SdkCompatibility } from '@datawarehouse/sdk';
import type { Clock } from '@datawarehouse/sdk';
import type { ReplicatedCircuits } from './ReplicatedCircuits.js';
import type { CircuitStatePublisher } from './CircuitStatePublisher.js';
import { LwwRegisterMap } from './LwwRegisterMap.js';
import type { RemoteStateReceiver } from './RemoteStateReceiver.js';
import type { ReplicatorMetrics } from './ReplicatorMetrics.js';

/** What a {@link SharingWatch} works with. @internal */
export interface SharingWatchOptions {
  readonly circuits: ReplicatedCircuits;
  readonly registers: LwwRegisterMap;
  readonly receiver: RemoteStateReceiver;
  readonly publisher: CircuitStatePublisher;
  readonly metrics: ReplicatorMetrics;
  readonly clock: Clock;
}

/**
 * Tells whether a strategy's circuit state is shared, remembers per runtime whether it was
 * when last looked at, and makes each strategy whose sharing was turned back on
 * (`shareState` false → true, by a runtime override or a new definition) re-join the
 * cluster ({@link check}). A runtime seen for the first time is only recorded. Bounded by
 * the runtimes.
 * @internal
 */
@SdkCompatibility('6.0.0')
export class SharingWatch {
  private readonly shared = new Map<string, boolean>();

  constructor(private readonly o: SharingWatchOptions) {}

  /** Whether `strategyId`'s runtime shares its state now (false when it has no runtime or breaker). */
  isShared(strategyId: string): boolean {
    return this.o.circuits.sharesState(strategyId);
  }

  /**
   * Looks at every runtime; each strategy shared again since the last look re-joins (see
   * {@link rejoin}), and then one sync request asks the other nodes for anything missed.
   */
  check(): void {
    const rejoined: string[] = [];
    const { circuits } = this.o;
    for (const id of circuits.activeStrategies()) {
      const now = this.isShared(id);
      const before = this.shared.get(id);
      if (before !== now) this.shared.set(id, now);
      if (before === false && now) rejoined.push(id);
    }
    if (this.shared.size > circuits.activeCount) {
      const active = new Set(circuits.activeStrategies());
      for (const id of this.shared.keys()) if (!active.has(id)) this.shared.delete(id);
    }
    if (rejoined.length === 0) return;
    for (const id of rejoined) this.rejoin(id);
    this.o.publisher.syncRequest();
  }

  /**
   * The register held — kept following the cluster while unshared — is applied to the
   * breaker, replacing what it did locally meanwhile. With none held, the cluster wrote
   * nothing this node knows of, so a breaker that is not closed is published as a new write.
   */
  private rejoin(strategyId: string): void {
    const { registers, clock } = this.o;
    this.o.metrics.rejoins++;
    if (this.o.receiver.adoptHeld(strategyId)) return;
    const breaker = this.o.circuits.activeBreaker(strategyId);
    // Refreshing may run a lazy half-open transition: that one is then written and published
    // as any local transition, and nothing more is needed.
    breaker?.refresh();
    const state = breaker?.state;
    if (breaker === undefined || state === undefined || state === 'closed' || registers.get(strategyId) !== undefined)
      return;
    const now = clock.now();
    const openUntil = state === 'open' ? now + breaker.retryAfterMs() : 0;
    const value = registers.writeLocal(strategyId, state, 'shared again', openUntil);
    this.o.publisher.transition(LwwRegisterMap.toEntry(strategyId, value, now));
  }
}
