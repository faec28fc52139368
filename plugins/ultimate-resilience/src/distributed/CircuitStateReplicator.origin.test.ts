import { describe, expect, it } from 'vitest';
import type { CircuitStateChange } from '@datawarehouse/sdk';
import type { StrategyDefinition } from '../strategies/StrategyDefinition.js';
import { replicatorCluster } from '../testing/replicatorCluster.js';

const STRATEGIES: StrategyDefinition[] = [
  { id: 'db', circuitBreaker: { failureThreshold: 2, breakDurationMs: 10_000 }, retry: false },
];

describe('CircuitStateReplicator (transition origins)', () => {
  it('does not re-publish a remote-applied transition (origin remote), and publishes a local one', async () => {
    // No anti-entropy during the test: only the calls below move the breakers.
    const { nodes, clock, settle } = replicatorCluster(['a', 'b'], STRATEGIES, { antiEntropyIntervalMs: 3_600_000 }, 3);
    await settle();
    const seenOnB: CircuitStateChange[] = [];
    nodes.b!.breaker().events.on('stateChanged', (c) => seenOnB.push(c));

    nodes.a!.breaker().trip('downstream down');
    await settle(0);
    expect(seenOnB.map((c) => [c.newState, c.origin])).toEqual([['open', 'remote']]);
    expect(nodes.b!.metrics().published.transitions).toBe(0);

    // b's own transitions are published: its elapsed break (local) and an operator reset.
    await clock.advanceAsync(10_000);
    nodes.b!.breaker().refresh();
    await settle(0);
    nodes.b!.breaker().reset('recovered');
    await settle(0);
    expect(seenOnB.slice(1).map((c) => [c.newState, c.origin])).toEqual([
      ['half-open', 'local'],
      ['closed', 'operator'],
    ]);
    expect(nodes.b!.metrics().published.transitions).toBe(2);
    expect(nodes.a!.replicator.registerOf('db')).toMatchObject({ origin: 'b', state: 'closed' });
    expect(nodes.a!.breaker().state).toBe('closed');
  });
});
