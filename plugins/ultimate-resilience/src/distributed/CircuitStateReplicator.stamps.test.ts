import { describe, expect, it } from 'vitest';
import type { StrategyDefinition } from '../strategies/StrategyDefinition.js';
import { replicatorCluster } from '../testing/replicatorCluster.js';

const STRATEGIES: StrategyDefinition[] = [
  { id: 'db', circuitBreaker: { failureThreshold: 2, breakDurationMs: 10_000 }, retry: false },
];

describe('CircuitStateReplicator (transition stamps)', () => {
  it('stamps the last published and the last applied transition with wall-clock times', async () => {
    const { nodes, federation, settle, clock } = replicatorCluster(['a', 'b'], STRATEGIES);
    await settle();
    expect(nodes.a!.metrics().lastPublishedTransition).toBeNull();
    federation.setFaults({ minDelayMs: 7, maxDelayMs: 7 });
    const trippedAt = clock.now();
    nodes.a!.breaker().trip('stamp');
    await settle(20);
    const published = nodes.a!.metrics().lastPublishedTransition!;
    const applied = nodes.b!.metrics().lastAppliedTransition!;
    expect(published).toEqual({ strategyId: 'db', state: 'open', lamport: 1, at: trippedAt });
    expect(applied).toEqual({
      strategyId: 'db',
      state: 'open',
      lamport: 1,
      origin: 'a',
      sentAt: trippedAt,
      at: trippedAt + 7,
    });
    // The node's own event times give the propagation: 7 ms of (virtual) network delay.
    expect(applied.at - published.at).toBe(7);
    expect(nodes.b!.metrics().lastPublishedTransition).toBeNull(); // applied, never re-published
  });
});
