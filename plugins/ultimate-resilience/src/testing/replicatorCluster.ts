import { InMemoryFederation, VirtualClock, createPluginMessage } from '@datawarehouse/sdk';
import type { ICircuitBreaker, InMemoryMessageBus, PluginMessage } from '@datawarehouse/sdk';
import { CircuitStateReplicator } from '../distributed/CircuitStateReplicator.js';
import type { CircuitStateEntry } from '../distributed/CircuitStateMessage.js';
import type { DistributedOptions } from '../distributed/DistributedOptions.js';
import { ResilienceScalingManager } from '../manager/ResilienceScalingManager.js';
import { StrategyRegistry } from '../strategies/StrategyRegistry.js';
import type { StrategyDefinition } from '../strategies/StrategyDefinition.js';
import { replicatedCircuitsOf } from '../manager/replicatedCircuitsOf.js';

/** One node of a test cluster: its bus, manager and replicator. */
export interface ClusterNode {
  readonly id: string;
  readonly bus: InMemoryMessageBus;
  readonly manager: ResilienceScalingManager;
  readonly replicator: CircuitStateReplicator;
  breaker(strategyId?: string): ICircuitBreaker;
  metrics(): ReturnType<CircuitStateReplicator['metrics']>;
}

/**
 * Nodes sharing circuit state over one seeded in-memory federation, in virtual time (anti-entropy
 * every second unless `options` says otherwise). `add` starts another node; `settle` lets
 * zero-delay deliveries and the 20 ms sync answers run.
 */
export function replicatorCluster(
  ids: readonly string[],
  strategies: readonly StrategyDefinition[],
  options: Partial<DistributedOptions> = {},
  seed = 3,
) {
  const clock = new VirtualClock(1_000_000);
  const federation = new InMemoryFederation({ clock, seed });
  const nodes: Record<string, ClusterNode> = {};
  const add = (id: string): ClusterNode => {
    const bus = federation.createNode(id);
    const manager = new ResilienceScalingManager({
      registry: new StrategyRegistry(strategies),
      clock,
      random: () => 0.5,
    });
    const replicator = new CircuitStateReplicator({
      circuits: replicatedCircuitsOf(manager),
      bus,
      clock,
      wallClock: () => clock.now(),
      options: { antiEntropyIntervalMs: 1_000, ...options },
    });
    replicator.start();
    const node: ClusterNode = {
      id,
      bus,
      manager,
      replicator,
      breaker: (strategyId = 'db') => manager.getCircuitBreaker(strategyId)!,
      metrics: () => replicator.metrics(),
    };
    nodes[id] = node;
    return node;
  };
  for (const id of ids) add(id);
  const settle = (ms = 50): Promise<void> => clock.advanceAsync(ms);
  return { clock, federation, nodes, add, settle };
}

/** A wire entry for strategy `db` (open, lamport 5, 7 s left) with `overrides`. */
export function stateEntry(overrides: Partial<CircuitStateEntry> = {}): CircuitStateEntry {
  return {
    strategyId: 'db',
    lamport: 5,
    origin: 'x',
    state: 'open',
    remainingBreakMs: 7_000,
    reason: 'remote test',
    ...overrides,
  };
}

/** A circuit-state envelope carrying `entries` as sent by node `from`. */
export function stateMessage(entries: unknown, kind = 'transition', from = 'x'): PluginMessage {
  return createPluginMessage(
    'circuit-state',
    { v: 1, kind, entries },
    { nodeId: from, pluginId: 'ultimate-resilience' },
  );
}
