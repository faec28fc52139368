import { describe, expect, it } from 'vitest';
import {
  InMemoryFederation,
  VirtualClock,
  createPluginMessage,
  getSdkCompatibility,
  isInvalidConfigurationError,
} from '@datawarehouse/sdk';
import type { PluginMessage } from '@datawarehouse/sdk';
import { ResilienceScalingManager } from '../manager/ResilienceScalingManager.js';
import type { StrategyDefinition } from '../strategies/StrategyDefinition.js';
import { CircuitStateReplicator } from './CircuitStateReplicator.js';
import { replicatorCluster, stateEntry, stateMessage } from '../testing/replicatorCluster.js';
import { CIRCUIT_STATE_TOPIC } from './DistributedOptions.js';
import type { DistributedOptions } from './DistributedOptions.js';
import { replicatedCircuitsOf } from '../manager/replicatedCircuitsOf.js';

const STRATEGIES: StrategyDefinition[] = [
  { id: 'db', circuitBreaker: { failureThreshold: 2, breakDurationMs: 10_000 }, retry: false },
  { id: 'cache', circuitBreaker: { failureThreshold: 2, breakDurationMs: 10_000 }, retry: false },
  { id: 'local-only', circuitBreaker: { failureThreshold: 2 }, retry: false, shareState: false },
  { id: 'no-breaker', circuitBreaker: false, retry: false },
];

function cluster(ids: string[], options: Partial<DistributedOptions> = {}) {
  return replicatorCluster(ids, STRATEGIES, options, 3);
}

const entry = stateEntry;

describe('CircuitStateReplicator', () => {
  it('is decorated with @SdkCompatibility 6.0.0', () => {
    expect(getSdkCompatibility(CircuitStateReplicator)?.sdkVersion).toBe('6.0.0');
  });

  it('opens the circuit on every node when one node trips, without any node re-broadcasting it', async () => {
    const { nodes, settle } = cluster(['a', 'b', 'c']);
    await settle();
    nodes.a!.breaker().trip('downstream down');
    await settle(0);
    for (const id of ['b', 'c']) {
      expect(nodes[id]!.breaker().state).toBe('open');
      expect(nodes[id]!.breaker().retryAfterMs()).toBe(10_000);
      expect(nodes[id]!.metrics().published.transitions).toBe(0);
      expect(nodes[id]!.metrics().applied).toBe(1);
      expect(nodes[id]!.replicator.registerOf('db')).toMatchObject({ lamport: 1, origin: 'a', state: 'open' });
    }
    expect(nodes.a!.metrics().published.transitions).toBe(1);
    await expect(nodes.b!.manager.executeWithResilience('db', () => 'never runs')).rejects.toMatchObject({
      code: 'ERR_CIRCUIT_OPEN',
    });
  });

  it('trips a remote node when the local breaker trips on failures', async () => {
    const { nodes, settle } = cluster(['a', 'b']);
    await settle();
    const fail = () =>
      nodes.a!.manager.executeWithResilience('db', () => Promise.reject(new Error('boom'))).catch(() => undefined);
    await fail();
    await fail();
    await settle(0);
    expect(nodes.a!.breaker().state).toBe('open');
    expect(nodes.b!.breaker().state).toBe('open');
    expect(nodes.b!.replicator.registerOf('db')?.reason).toBe('failure-threshold');
  });

  it('resets the other nodes when the circuit closes again', async () => {
    const { nodes, settle } = cluster(['a', 'b']);
    await settle();
    nodes.a!.breaker().trip();
    await settle(0);
    nodes.a!.breaker().reset('operator says fine');
    await settle(0);
    expect(nodes.b!.breaker().state).toBe('closed');
    expect(nodes.b!.replicator.registerOf('db')).toMatchObject({ lamport: 2, origin: 'a', state: 'closed' });
    expect(nodes.b!.metrics().published.transitions).toBe(0);
  });

  it('applies a remote open for the break that was left when it was sent, not an absolute time', async () => {
    const { nodes, add, clock, settle } = cluster(['a']);
    await settle();
    nodes.a!.breaker().trip();
    await clock.advanceAsync(4_000);
    const late = add('late');
    await settle(50);
    expect(late.breaker().state).toBe('open');
    // 10 s break tripped at t0; the late node joined at t0 + 4 000 and got a's answer 20 ms
    // later carrying 5 980 ms left, which it applied from its own clock: 5 950 ms left now.
    expect(late.breaker().retryAfterMs()).toBe(10_000 - 4_000 - 50);
    expect(late.metrics().lastSyncReceivedAt).not.toBeNull();
  });

  it('moves an open remote breaker to half-open when the writer goes half-open, so it can probe, without echo', async () => {
    const { nodes, clock, settle } = cluster(['a', 'b']);
    await settle();
    nodes.a!.breaker().tripFor(1_000, 'short');
    await settle(0);
    expect(nodes.b!.breaker().retryAfterMs()).toBe(1_000);
    // b's local break outlasts a's (as if a's message had been slow): silent, b is already open.
    nodes.b!.breaker().tripFor(60_000, 'longer here');
    await clock.advanceAsync(1_000);
    nodes.a!.breaker().refresh();
    expect(nodes.a!.breaker().state).toBe('half-open'); // lazy transition on refresh, published
    await settle(0);
    expect(nodes.b!.replicator.registerOf('db')).toMatchObject({ origin: 'a', state: 'half-open' });
    expect(nodes.b!.breaker().state).toBe('half-open');
    // Applying a's open and half-open published nothing from b.
    expect(nodes.b!.metrics().published.transitions).toBe(0);
    await expect(nodes.b!.manager.executeWithResilience('db', () => 'probe ok')).resolves.toBe('probe ok');
    await settle(0);
    expect(nodes.a!.breaker().state).toBe('closed');
  });

  it('shares operator holds: isolate on one node holds every node until reset', async () => {
    const { nodes, settle } = cluster(['a', 'b']);
    await settle();
    await nodes.a!.manager.invokeActionAsync('isolate', { strategyId: 'db' });
    await settle(0);
    expect(nodes.b!.breaker().state).toBe('isolated');
    expect(nodes.b!.breaker().retryAfterMs()).toBe(Infinity);
    await nodes.b!.manager.invokeActionAsync('reset', { strategyId: 'db' });
    await settle(0);
    expect(nodes.a!.breaker().state).toBe('closed');
  });

  it('lifts a local hold when a newer remote open arrives (last writer wins)', async () => {
    const { nodes, settle, federation } = cluster(['a', 'b']);
    await settle();
    federation.partition([['a'], ['b']]);
    nodes.b!.breaker().isolate('held on b'); // (1, b)
    nodes.a!.breaker().trip(); // (1, a)
    nodes.a!.breaker().reset(); // (2, a)
    nodes.a!.breaker().trip('newest'); // (3, a)
    federation.heal();
    await settle(1_000); // anti-entropy
    expect(nodes.b!.breaker().state).toBe('open');
    expect(nodes.a!.replicator.registerOf('db')).toEqual(nodes.b!.replicator.registerOf('db'));
  });

  it('breaks ties between concurrent writes by node id, the same way on every node', async () => {
    const { nodes, settle, federation } = cluster(['a', 'b']);
    await settle();
    federation.partition([['a'], ['b']]);
    nodes.a!.breaker().trip('a saw failures'); // (1, a) open
    nodes.b!.breaker().isolate('b held it'); // (1, b) isolated
    federation.heal();
    await settle(1_000);
    for (const n of [nodes.a!, nodes.b!]) {
      expect(n.replicator.registerOf('db')).toMatchObject({ lamport: 1, origin: 'b', state: 'isolated' });
      expect(n.breaker().state).toBe('isolated');
    }
  });

  it('ignores a stale or duplicate state and counts it', async () => {
    const { nodes, federation, settle } = cluster(['a']);
    const x = federation.createNode('x');
    await settle();
    await x.publishToAllNodes(CIRCUIT_STATE_TOPIC, stateMessage([entry({ lamport: 5, state: 'open' })]));
    await settle(0);
    expect(nodes.a!.breaker().state).toBe('open');
    await x.publishToAllNodes(
      CIRCUIT_STATE_TOPIC,
      stateMessage([entry({ lamport: 4, state: 'closed', remainingBreakMs: 0 })]),
    );
    await x.publishToAllNodes(CIRCUIT_STATE_TOPIC, stateMessage([entry({ lamport: 5, state: 'open' })]));
    await settle(0);
    expect(nodes.a!.breaker().state).toBe('open');
    expect(nodes.a!.metrics().ignored).toMatchObject({ stale: 1, duplicate: 1 });
    expect(nodes.a!.metrics().applied).toBe(1);
  });

  it('keeps a strategy with shareState off local both ways, and honours a runtime override', async () => {
    const { nodes, federation, settle } = cluster(['a', 'b']);
    const x = federation.createNode('x');
    await settle();
    nodes.a!.breaker('local-only').trip();
    await x.publishToAllNodes(CIRCUIT_STATE_TOPIC, stateMessage([entry({ strategyId: 'local-only' })]));
    await settle(0);
    expect(nodes.b!.manager.activeRuntimes().get('local-only')?.breaker?.state ?? 'closed').toBe('closed');
    expect(nodes.a!.metrics().published.transitions).toBe(0);
    expect(nodes.b!.metrics().ignored.notShared).toBe(1);

    await nodes.b!.manager.reconfigureLimitsAsync({ strategies: { db: { shareState: false } } });
    nodes.a!.breaker('db').trip();
    await settle(0);
    expect(nodes.b!.breaker('db').state).toBe('closed');
    expect(nodes.b!.metrics().ignored.notShared).toBe(2);
  });

  it('drops malformed, oversized and unknown messages and each invalid entry, counts them by reason, and never throws or applies them', async () => {
    const { nodes, federation, settle } = cluster(['a'], { maxMessageBytes: 4096 });
    const x = federation.createNode('x');
    await settle();
    const bad: PluginMessage[] = [
      stateMessage([entry({ state: 'exploded' as never })]),
      stateMessage([entry({ lamport: 0 })]),
      stateMessage([entry({ lamport: 1.5 })]),
      stateMessage([entry({ remainingBreakMs: -1 })]),
      stateMessage([entry({ state: 'closed', remainingBreakMs: 5 })]),
      stateMessage([{ ...entry(), extra: 1 }]),
      stateMessage([entry({ strategyId: 'bad id with spaces' })]),
      stateMessage([]),
      stateMessage('not an array'),
      { ...stateMessage([entry()]), payload: { v: 2, kind: 'transition', entries: [entry()] } },
      stateMessage([entry({ reason: 'r'.repeat(5_000) })]),
      createPluginMessage('circuit-gossip', {}, { nodeId: 'x', pluginId: 'p' }),
      createPluginMessage('circuit-sync-request', { v: 1, more: true }, { nodeId: 'x', pluginId: 'p' }),
    ];
    for (const m of bad) await x.publishToAllNodes(CIRCUIT_STATE_TOPIC, m);
    await settle(0);
    const m = nodes.a!.metrics();
    expect(m.rejected).toEqual({ malformed: 4, oversized: 1, unknownType: 1 });
    expect(m.rejectedEntries).toEqual({ malformed: 3, lamportOutOfRange: 2, breakOutOfRange: 2, lamportTooFar: 0 });
    expect(m.applied).toBe(0);
    expect(m.internalErrors).toBe(0);
    expect(nodes.a!.breaker().state).toBe('closed');
    expect(federation.getStatistics().handlerErrors).toBe(0);
  });

  it('ignores states of strategies it does not know or that have no breaker', async () => {
    const { nodes, federation, settle } = cluster(['a']);
    const x = federation.createNode('x');
    await settle();
    await x.publishToAllNodes(
      CIRCUIT_STATE_TOPIC,
      stateMessage([entry({ strategyId: 'nobody-here' }), entry({ strategyId: 'no-breaker' })]),
    );
    await settle(0);
    expect(nodes.a!.metrics().ignored).toMatchObject({ unknownStrategy: 1, noBreaker: 1 });
    expect(nodes.a!.manager.registry.has('nobody-here')).toBe(false);
  });

  it('lets a node started late learn the current state (sync on join)', async () => {
    const { nodes, add, settle } = cluster(['a', 'b']);
    await settle();
    nodes.a!.breaker('db').trip();
    nodes.b!.breaker('cache').isolate();
    await settle(0);
    const requestsBefore = nodes.a!.metrics().received.syncRequests;
    const late = add('late');
    await settle();
    expect(late.breaker('db').state).toBe('open');
    expect(late.breaker('cache').state).toBe('isolated');
    expect(late.metrics().published.syncRequests).toBe(1);
    expect(nodes.a!.metrics().received.syncRequests - requestsBefore).toBe(1);
  });

  it('heals lost messages with anti-entropy', async () => {
    const { nodes, federation, clock, settle } = cluster(['a', 'b']);
    await settle();
    federation.setFaults({ dropRate: 1 });
    nodes.a!.breaker().trip();
    await settle(0);
    expect(nodes.b!.breaker().state).toBe('closed');
    federation.clearFaults();
    await clock.advanceAsync(1_000);
    expect(nodes.b!.breaker().state).toBe('open');
    expect(nodes.a!.metrics().antiEntropyRounds).toBeGreaterThanOrEqual(1);
  });

  it('keeps working on local state while the bus is down and re-syncs when it returns', async () => {
    const { nodes, federation, settle } = cluster(['a', 'b'], { antiEntropyIntervalMs: 0 });
    await settle();
    federation.disconnect('a');
    nodes.a!.breaker().trip('while disconnected');
    expect(nodes.a!.breaker().state).toBe('open');
    await settle(0);
    expect(nodes.b!.breaker().state).toBe('closed');
    expect(nodes.a!.metrics().published.skippedDisconnected).toBe(1);
    federation.reconnect('a');
    await settle();
    expect(nodes.b!.breaker().state).toBe('open');
    expect(nodes.a!.metrics().resyncs).toBe(1);
  });

  it('records the propagation lag of applied transitions', async () => {
    const { nodes, federation, settle } = cluster(['a', 'b']);
    await settle();
    federation.setFaults({ minDelayMs: 25 });
    nodes.a!.breaker().trip();
    await settle(25);
    const lag = nodes.b!.metrics().propagationLagMs;
    expect(lag.count).toBe(1);
    expect(lag.p50).toBeCloseTo(25, 0);
    expect(nodes.b!.metrics().lastAppliedAt).not.toBeNull();
  });

  it('splits a full state into messages of at most maxEntriesPerMessage', async () => {
    const { nodes, add, settle } = cluster(['a'], { maxEntriesPerMessage: 1 });
    await settle();
    nodes.a!.breaker('db').trip();
    nodes.a!.breaker('cache').trip();
    const before = nodes.a!.metrics().published.syncMessages;
    const late = add('late');
    await settle();
    expect(nodes.a!.metrics().published.syncMessages - before).toBe(2);
    expect(late.breaker('db').state).toBe('open');
    expect(late.breaker('cache').state).toBe('open');
  });

  it('answers sync requests arriving together with one full state', async () => {
    const { nodes, federation, settle } = cluster(['a']);
    const x = federation.createNode('x');
    await settle();
    nodes.a!.breaker().trip();
    const before = nodes.a!.metrics().published.syncMessages;
    for (let i = 0; i < 5; i++) {
      await x.publishToAllNodes(
        CIRCUIT_STATE_TOPIC,
        createPluginMessage('circuit-sync-request', { v: 1 }, { nodeId: 'x', pluginId: 'p' }),
      );
    }
    await settle();
    expect(nodes.a!.metrics().published.syncMessages - before).toBe(1);
  });

  it('releases its subscription, listeners and timers on dispose', async () => {
    const { nodes, clock, settle } = cluster(['a']);
    await settle();
    const a = nodes.a!;
    expect(a.bus.subscriberCount(CIRCUIT_STATE_TOPIC)).toBe(1);
    expect(clock.pendingTimers).toBeGreaterThan(0);
    a.replicator.dispose();
    a.replicator.dispose();
    expect(a.bus.subscriberCount(CIRCUIT_STATE_TOPIC)).toBe(0);
    expect(a.manager.events.listenerCount('circuitStateChanged')).toBe(0);
    expect(a.manager.registry.events.listenerCount('removed')).toBe(1); // the manager's own
    expect(clock.pendingTimers).toBe(0);
    a.breaker().trip();
    expect(a.metrics().published.transitions).toBe(0);
    expect(() => a.replicator.start()).toThrow(/disposed/);
  });

  it('forgets the register of a strategy removed from the registry', async () => {
    const { nodes, settle } = cluster(['a']);
    await settle();
    nodes.a!.breaker('cache').trip();
    expect(nodes.a!.replicator.registerOf('cache')).toBeDefined();
    nodes.a!.manager.registry.remove('cache');
    expect(nodes.a!.replicator.registerOf('cache')).toBeUndefined();
  });

  it('validates its options, naming the field', () => {
    const clock = new VirtualClock();
    const federation = new InMemoryFederation({ clock });
    const bus = federation.createNode('n');
    const circuits = replicatedCircuitsOf(new ResilienceScalingManager({ clock }));
    const fieldOf = (options: unknown): string | undefined => {
      try {
        new CircuitStateReplicator(options as never);
      } catch (e) {
        if (isInvalidConfigurationError(e)) return e.field;
        throw e;
      }
      return undefined;
    };
    expect(fieldOf({ circuits, bus: {} })).toBe('bus');
    expect(fieldOf({ bus })).toBe('circuits');
    expect(fieldOf({ circuits, bus, wallClock: 3 })).toBe('wallClock');
    expect(fieldOf({ circuits, bus, options: { antiEntropyIntervalMs: 5 } })).toBe('distributed.antiEntropyIntervalMs');
    expect(fieldOf({ circuits, bus, options: { maxMessageBytes: 100 } })).toBe('distributed.maxMessageBytes');
    expect(fieldOf({ circuits, bus, options: { tpoic: 'x' } })).toBe('distributed.tpoic');
    expect(fieldOf({ circuits, bus, options: { topic: '' } })).toBe('distributed.topic');
    expect(fieldOf({ circuits, bus })).toBeUndefined();
  });
});
