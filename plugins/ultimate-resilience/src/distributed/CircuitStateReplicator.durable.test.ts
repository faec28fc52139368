import { describe, expect, it } from 'vitest';
import { InMemoryFederation, VirtualClock } from '@datawarehouse/sdk';
import type { DurableStateEntry, IDurableStateStore } from '@datawarehouse/sdk';
import { ResilienceScalingManager } from '../manager/ResilienceScalingManager.js';
import { replicatedCircuitsOf } from '../manager/replicatedCircuitsOf.js';
import { StrategyRegistry } from '../strategies/StrategyRegistry.js';
import type { StrategyDefinition } from '../strategies/StrategyDefinition.js';
import { CircuitStateReplicator } from './CircuitStateReplicator.js';

const STRATEGIES: StrategyDefinition[] = [
  { id: 'db', circuitBreaker: { failureThreshold: 2, breakDurationMs: 60_000 }, retry: false },
  { id: 'cache', circuitBreaker: { failureThreshold: 2, breakDurationMs: 60_000 }, retry: false },
];

/** A store in virtual time: values expire with the clock. */
class VirtualStore implements IDurableStateStore {
  readonly values = new Map<string, { value: string; until: number }>();
  failing = false;
  constructor(private readonly clock: VirtualClock) {}
  async putAsync(key: string, value: string, ttlMs: number): Promise<void> {
    if (this.failing) throw new Error('store down');
    this.values.set(key, { value, until: this.clock.now() + ttlMs });
  }
  async deleteAsync(key: string): Promise<void> {
    this.values.delete(key);
  }
  async listAsync(prefix: string, max: number): Promise<DurableStateEntry[]> {
    if (this.failing) throw new Error('store down');
    return [...this.values]
      .filter(([k, v]) => k.startsWith(prefix) && v.until > this.clock.now())
      .slice(0, max)
      .map(([key, v]) => ({ key, value: v.value }));
  }
}

function cluster(clock: VirtualClock, store: VirtualStore) {
  const federation = new InMemoryFederation({ clock, seed: 2 });
  const start = (id: string) => {
    const manager = new ResilienceScalingManager({
      registry: new StrategyRegistry(STRATEGIES),
      clock,
      random: () => 0.5,
    });
    const replicator = new CircuitStateReplicator({
      circuits: replicatedCircuitsOf(manager),
      bus: federation.createNode(id),
      clock,
      wallClock: () => clock.now(),
      durableStore: () => store,
      options: { durableOpenCircuits: true, durableReadDelayMs: 500, antiEntropyIntervalMs: 0 },
    });
    replicator.start();
    return { manager, replicator, breaker: (s = 'db') => manager.getCircuitBreaker(s)! };
  };
  return { federation, start };
}

describe('CircuitStateReplicator (durable open circuits)', () => {
  it('a cluster restarted as a whole still holds the open circuit, for the break that is left', async () => {
    const clock = new VirtualClock(1_000_000);
    const store = new VirtualStore(clock);
    const first = cluster(clock, store);
    const a = first.start('a');
    const b = first.start('b');
    await clock.advanceAsync(1_000);
    a.breaker().trip('downstream down');
    await clock.advanceAsync(10);
    expect(b.breaker().state).toBe('open');
    expect([...store.values.keys()]).toEqual(['dw.resilience.circuit-breaker.state:open:db']);
    a.replicator.dispose();
    b.replicator.dispose();

    await clock.advanceAsync(20_000); // the whole cluster is down for 20 s
    const second = cluster(clock, store);
    const a2 = second.start('a');
    const b2 = second.start('b');
    await clock.advanceAsync(499);
    expect(a2.breaker().state).toBe('closed'); // still waiting for a peer's answer
    await clock.advanceAsync(2);
    for (const n of [a2, b2]) {
      expect(n.breaker().state).toBe('open');
      expect(n.breaker().retryAfterMs()).toBeGreaterThan(39_000);
      expect(n.breaker().retryAfterMs()).toBeLessThanOrEqual(40_000);
      expect(n.breaker('cache').state).toBe('closed');
    }
    // The first to read restored it and announced it; the other had its answer by then.
    expect(a2.replicator.metrics().durable).toMatchObject({ reads: 1, restored: 1 });
    expect(b2.replicator.metrics().durable.restored).toBe(0);
    // A reset anywhere removes it: the next restart finds nothing.
    await a2.manager.invokeActionAsync('reset', { strategyId: 'db' });
    await clock.advanceAsync(10);
    expect(store.values.size).toBe(0);
    expect(b2.breaker().state).toBe('closed');
  });

  it('a node that restored announces it: a peer that got an answer without it learns it', async () => {
    const clock = new VirtualClock(1_000_000);
    const store = new VirtualStore(clock);
    const c = cluster(clock, store);
    const a = c.start('a');
    await clock.advanceAsync(1_000);
    a.breaker('cache').trip(); // a register a holds, so a's answers are not empty
    a.breaker().trip();
    await clock.advanceAsync(10);
    a.breaker('cache').reset();
    await clock.advanceAsync(10);
    a.replicator.dispose();
    const c2 = cluster(clock, store);
    const first = c2.start('first');
    await clock.advanceAsync(300);
    // `second` starts while `first` still waits: first answers (with nothing open), so second
    // does not read the store; first reads it at 500 ms and publishes what it restored.
    first.breaker('cache').trip();
    const second = c2.start('second');
    await clock.advanceAsync(400);
    expect(second.replicator.metrics().durable.reads).toBe(0);
    expect(first.replicator.metrics().durable.restored).toBe(1);
    expect(second.breaker().state).toBe('open');
  });

  it('is not read when a peer answers, expires with the break, and skips what it cannot trust', async () => {
    const clock = new VirtualClock(1_000_000);
    const store = new VirtualStore(clock);
    const c = cluster(clock, store);
    const a = c.start('a');
    await clock.advanceAsync(1_000);
    a.breaker().trip();
    await clock.advanceAsync(10);
    const late = c.start('late'); // a peer (a) answers its sync request
    await clock.advanceAsync(600);
    expect(late.breaker().state).toBe('open');
    expect(late.replicator.metrics().durable.reads).toBe(0);
    for (const n of [a, late]) n.replicator.dispose();

    const p = 'dw.resilience.circuit-breaker.state:open:';
    store.values.set(p + 'cache', {
      value: '{"lamport":1e300,"origin":"x","reason":"r","openUntil":1e15}',
      until: Infinity,
    });
    store.values.set(p + 'bad id!', {
      value: '{"lamport":1,"origin":"x","reason":"r","openUntil":1e15}',
      until: Infinity,
    });
    store.values.set(p + 'db', { value: 'not json', until: Infinity });
    await clock.advanceAsync(60_000); // db's real entry expired with its break
    const fresh = cluster(clock, store).start('solo');
    await clock.advanceAsync(600);
    expect(fresh.breaker().state).toBe('closed');
    expect(fresh.breaker('cache').state).toBe('closed');
    expect(fresh.replicator.metrics().durable).toMatchObject({ reads: 1, restored: 0, skipped: 3 });
  });

  it('a store that fails is counted, never thrown', async () => {
    const clock = new VirtualClock(1_000_000);
    const store = new VirtualStore(clock);
    store.failing = true;
    const n = cluster(clock, store).start('a');
    await clock.advanceAsync(600);
    n.breaker().trip();
    await clock.advanceAsync(10);
    expect(n.breaker().state).toBe('open');
    expect(n.replicator.metrics().durable.failed).toBe(2); // the read on start, the write
  });
});
