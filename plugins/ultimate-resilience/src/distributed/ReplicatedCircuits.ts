import type { CircuitStateChange, Clock, Disposable, ICircuitBreaker } from '@datawarehouse/sdk';

/** What the replicator is told of the circuits it shares. @since 6.0.0 */
export interface ReplicatedCircuitsListener {
  /** A strategy's circuit changed state (the change carries its origin). */
  transition(strategyId: string, change: CircuitStateChange): void;
  /** A strategy's sharing may have changed: a runtime was created, limits or a definition changed. */
  sharingMayHaveChanged(): void;
  /** A strategy was removed from the registry. */
  removed(strategyId: string): void;
}

/**
 * The port through which the distributed layer reads and drives the local circuits: which
 * strategies exist and share their state, their breakers, and the events it reacts to. The
 * replicator depends on this, never on the manager or runtimes behind it.
 * @since 6.0.0
 */
export interface ReplicatedCircuits {
  /** The clock the breakers run on (timers and break arithmetic default to it). */
  readonly clock: Clock;
  /** Whether `strategyId` is registered. */
  isRegistered(strategyId: string): boolean;
  /** The ids of the strategies in use (those with a runtime). */
  activeStrategies(): Iterable<string>;
  /** How many strategies are in use. */
  readonly activeCount: number;
  /** The breaker of a strategy in use, without creating its runtime; undefined otherwise or without a breaker. */
  activeBreaker(strategyId: string): ICircuitBreaker | undefined;
  /**
   * The breaker of a registered strategy, creating its runtime on first use (a remote state
   * for a strategy not yet called here is applied all the same); undefined without a breaker.
   */
  breakerOf(strategyId: string): ICircuitBreaker | undefined;
  /** Whether a strategy in use shares its circuit state now (false when not in use or without a breaker). */
  sharesState(strategyId: string): boolean;
  /** Subscribes `listener`; the handle unsubscribes. */
  watch(listener: ReplicatedCircuitsListener): Disposable;
}
