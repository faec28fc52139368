import type { CircuitState, CircuitStateChange, Clock, Disposable, ICircuitBreaker } from '@datawarehouse/sdk';
import type {
  ReplicatedCircuits,
  ReplicatedCircuitsListener,
} from '@datawarehouse/plugin-ultimate-resilience/internals';

/**
 * A node's circuits for the federation simulation: `count` strategies, each a few fields
 * instead of a whole breaker (100 nodes × 10 000 real breakers would not fit one process), with
 * what the replicator uses: state, trip/reset/isolate from remote states, and local transitions
 * reported to the replicator like a real manager does.
 */
export class LightCircuits implements ReplicatedCircuits {
  private readonly states = new Map<string, { state: CircuitState; until: number }>();
  private readonly listeners = new Set<ReplicatedCircuitsListener>();
  readonly ids: readonly string[];

  constructor(
    readonly clock: Clock,
    count: number,
  ) {
    this.ids = Array.from({ length: count }, (_, i) => `s${i}`);
    for (const id of this.ids) this.states.set(id, { state: 'closed', until: 0 });
  }

  get activeCount(): number {
    return this.states.size;
  }

  isRegistered(id: string): boolean {
    return this.states.has(id);
  }

  activeStrategies(): Iterable<string> {
    return this.states.keys();
  }

  activeBreaker(id: string): ICircuitBreaker | undefined {
    return this.breakerOf(id);
  }

  breakerOf(id: string): ICircuitBreaker | undefined {
    const s = this.states.get(id);
    if (s === undefined) return undefined;
    const set = (state: CircuitState, until = 0): void => {
      s.state = state;
      s.until = until;
    };
    // Only what applyRemoteState and the replicator call; remote changes are not reported back.
    return {
      get state() {
        return s.state;
      },
      refresh: () => undefined,
      reset: () => set('closed'),
      tripFor: (ms: number) => set('open', this.clock.now() + ms),
      isolate: () => set('isolated'),
    } as unknown as ICircuitBreaker;
  }

  stateOf(id: string): CircuitState | undefined {
    return this.states.get(id)?.state;
  }

  sharesState(): boolean {
    return true;
  }

  watch(listener: ReplicatedCircuitsListener): Disposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** A local transition, as a breaker on this node would make it. */
  transition(id: string, newState: CircuitState, breakDurationMs = 60_000): void {
    const s = this.states.get(id)!;
    const previous = s.state;
    s.state = newState;
    s.until = newState === 'open' ? this.clock.now() + breakDurationMs : 0;
    const change: CircuitStateChange = {
      name: id,
      previousState: previous,
      newState,
      reason: 'simulated',
      origin: 'local',
      timestamp: this.clock.now(),
      ...(newState === 'open' && { breakDurationMs }),
    };
    for (const l of this.listeners) l.transition(id, change);
  }
}
