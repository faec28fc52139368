import { describe, expect, it } from 'vitest';
import { MAX_BREAK_DURATION_MS } from '@datawarehouse/sdk';
import type { StrategyDefinition } from '../strategies/StrategyDefinition.js';
import { replicatorCluster, stateEntry, stateMessage } from '../testing/replicatorCluster.js';
import { MAX_REMAINING_BREAK_MS } from './CircuitStateMessage.js';
import { CIRCUIT_STATE_TOPIC } from './DistributedOptions.js';
import type { DistributedOptions } from './DistributedOptions.js';
import { MAX_LAMPORT_STEP } from './LwwRegisterMap.js';

// The documented guarantees of the distributed circuit state, each at its edge (issue #10).

const STRATEGIES: StrategyDefinition[] = [
  { id: 'db', circuitBreaker: { failureThreshold: 2, breakDurationMs: 10_000 }, retry: false },
  { id: 'cache', circuitBreaker: { failureThreshold: 2, breakDurationMs: 10_000 }, retry: false },
];

function cluster(ids: string[], options: Partial<DistributedOptions> = {}) {
  return replicatorCluster(ids, STRATEGIES, options, 11);
}

describe('CircuitStateReplicator (a bad entry costs only itself)', () => {
  it('applies the valid entries of a message whose other entry carries a break longer than receivers accept', async () => {
    const { nodes, federation, settle } = cluster(['a']);
    const x = federation.createNode('x');
    await settle();
    await x.publishToAllNodes(
      CIRCUIT_STATE_TOPIC,
      stateMessage(
        [
          stateEntry({ strategyId: 'db', remainingBreakMs: MAX_REMAINING_BREAK_MS + 1 }),
          stateEntry({ strategyId: 'cache', state: 'isolated', remainingBreakMs: 0 }),
        ],
        'sync',
      ),
    );
    await settle(0);
    expect(nodes.a!.breaker('cache').state).toBe('isolated');
    expect(nodes.a!.breaker('db').state).toBe('closed');
    expect(nodes.a!.metrics().rejectedEntries.breakOutOfRange).toBe(1);
    expect(nodes.a!.metrics().rejected.malformed).toBe(0);
  });

  it('a break longer than receivers accept, set on one node, never blocks the other strategies of its syncs, and still replicates (as the longest accepted)', async () => {
    const { nodes, add, clock, settle } = cluster(['a']);
    await settle();
    nodes.a!.breaker('db').tripFor(2 * MAX_BREAK_DURATION_MS, 'very long');
    nodes.a!.breaker('cache').isolate('held');
    await settle(0);
    // b joins late: everything it learns comes from a's sync answers and anti-entropy.
    const b = add('b');
    await settle();
    await clock.advanceAsync(2_000);
    expect(b.breaker('cache').state).toBe('isolated');
    expect(b.breaker('db').state).toBe('open');
    expect(b.breaker('db').retryAfterMs()).toBeGreaterThan(MAX_REMAINING_BREAK_MS - 5_000);
    expect(b.metrics().rejectedEntries).toEqual({
      malformed: 0,
      lamportOutOfRange: 0,
      breakOutOfRange: 0,
      lamportTooFar: 0,
    });
  });

  it('replicates a break of exactly MAX_BREAK_DURATION_MS, the longest configuration accepts', async () => {
    const longest: StrategyDefinition[] = [
      { id: 'db', circuitBreaker: { failureThreshold: 1, breakDurationMs: MAX_BREAK_DURATION_MS }, retry: false },
    ];
    const { nodes, settle } = replicatorCluster(['a', 'b'], longest, {}, 11);
    await settle();
    nodes.a!.breaker().trip('long');
    await settle(0);
    expect(nodes.b!.breaker().state).toBe('open');
    expect(nodes.b!.breaker().retryAfterMs()).toBe(MAX_BREAK_DURATION_MS);
  });
});

describe('CircuitStateReplicator (no value a peer sends stops later writes from winning)', () => {
  const HIGH_ORIGIN = '\uffff'.repeat(8); // greater than every real node id: wins every tie

  it.each([
    ['2^48 (the old pinning value)', () => 2 ** 48],
    ['2^48 - 1', () => 2 ** 48 - 1],
    ['2^48 + 1', () => 2 ** 48 + 1],
    ['MAX_SAFE_INTEGER', () => Number.MAX_SAFE_INTEGER],
    ['MAX_SAFE_INTEGER + 1 (not an exact integer)', () => Number.MAX_SAFE_INTEGER + 1],
    ['2^53 + 2', () => 2 ** 53 + 2],
    ['1e308', () => 1e308],
    ['own clock + MAX_LAMPORT_STEP - 1', (clock: number) => clock + MAX_LAMPORT_STEP - 1],
    ['own clock + MAX_LAMPORT_STEP (the largest adopted)', (clock: number) => clock + MAX_LAMPORT_STEP],
    ['own clock + MAX_LAMPORT_STEP + 1', (clock: number) => clock + MAX_LAMPORT_STEP + 1],
  ])(
    'after a closed with clock %s from the highest node id, a later trip on any node wins everywhere and stays',
    async (_name, lamportOf) => {
      const { nodes, federation, clock, settle } = cluster(['a', 'b', 'c']);
      const rogue = federation.createNode('rogue');
      await settle();
      nodes.a!.breaker().trip();
      nodes.a!.breaker().reset();
      await settle(0);
      const lamport = lamportOf(nodes.b!.replicator.registerOf('db')!.lamport);
      await rogue.publishToAllNodes(
        CIRCUIT_STATE_TOPIC,
        stateMessage(
          [
            stateEntry({ lamport, origin: HIGH_ORIGIN, state: 'closed', remainingBreakMs: 0 }),
            stateEntry({ strategyId: 'cache', lamport: 1, origin: 'rogue' }),
          ],
          'transition',
          'rogue',
        ),
      );
      await settle(0);
      // The rest of the message was applied whatever happened to the hostile entry.
      expect(Object.values(nodes).map((n) => n.breaker('cache').state)).toEqual(['open', 'open', 'open']);

      for (const writer of ['b', 'c']) {
        nodes[writer]!.breaker().trip(`seen by ${writer}`);
        await settle(0);
        await clock.advanceAsync(3_000); // three anti-entropy rounds
        expect(Object.values(nodes).map((n) => n.breaker().state)).toEqual(['open', 'open', 'open']);
        nodes[writer]!.breaker().reset(`back on ${writer}`);
        await settle(0);
        await clock.advanceAsync(3_000);
        expect(Object.values(nodes).map((n) => n.breaker().state)).toEqual(['closed', 'closed', 'closed']);
        const winner = nodes.a!.replicator.registerOf('db')!;
        expect(winner.origin).toBe(writer);
        for (const n of Object.values(nodes))
          expect(n.replicator.registerOf('db')).toEqual(
            expect.objectContaining({ lamport: winner.lamport, origin: writer }),
          );
      }
      for (const n of Object.values(nodes)) expect(n.metrics().internalErrors).toBe(0);
    },
  );
});

describe('CircuitStateReplicator (turning sharing off and on again)', () => {
  it("re-joins the cluster: an operator's trip on another node after sharing is back is neither ignored nor undone", async () => {
    const { nodes, clock, settle } = cluster(['a', 'b']);
    await settle();
    nodes.a!.breaker().trip();
    nodes.a!.breaker().reset();
    await settle(0);
    await nodes.b!.manager.reconfigureLimitsAsync({ strategies: { db: { shareState: false } } });
    // While unshared, b's breaker flaps on its own many times.
    for (let i = 0; i < 5; i++) {
      nodes.b!.breaker().trip('local only');
      nodes.b!.breaker().reset('local only');
    }
    await settle(0);
    expect(nodes.a!.breaker().state).toBe('closed');
    await nodes.b!.manager.reconfigureLimitsAsync({ strategies: { db: { shareState: true } } });
    await settle();

    await nodes.a!.manager.invokeActionAsync('trip', { strategyId: 'db', reason: 'operator' });
    await settle(0);
    expect(nodes.b!.breaker().state).toBe('open');
    await clock.advanceAsync(5_000); // anti-entropy rounds: b's local history must not undo the trip
    expect(nodes.a!.breaker().state).toBe('open');
    expect(nodes.b!.breaker().state).toBe('open');
  });

  it("adopts, when sharing is turned back on, the cluster's state written while it was off, replacing what the breaker did locally", async () => {
    const { nodes, clock, settle } = cluster(['a', 'b']);
    await settle();
    await nodes.b!.manager.reconfigureLimitsAsync({ strategies: { db: { shareState: false } } });
    nodes.a!.breaker().isolate('operator hold');
    nodes.b!.breaker().trip('local only');
    await settle(0);
    expect(nodes.b!.breaker().state).toBe('open');
    expect(nodes.a!.breaker().state).toBe('isolated');
    await nodes.b!.manager.reconfigureLimitsAsync({ strategies: { db: { shareState: true } } });
    await settle();
    expect(nodes.b!.breaker().state).toBe('isolated');
    await clock.advanceAsync(3_000);
    expect([nodes.a!.breaker().state, nodes.b!.breaker().state]).toEqual(['isolated', 'isolated']);
    expect(nodes.b!.metrics().rejoins).toBe(1);
  });

  it('publishes its breaker as a new write when sharing is turned back on and the cluster holds nothing for it', async () => {
    const { nodes, clock, settle } = cluster(['a', 'b']);
    await settle();
    await nodes.b!.manager.reconfigureLimitsAsync({ strategies: { db: { shareState: false } } });
    nodes.b!.breaker().isolate('held while local');
    await settle(0);
    expect(nodes.a!.breaker().state).toBe('closed');
    await nodes.b!.manager.reconfigureLimitsAsync({ strategies: { db: { shareState: true } } });
    await settle();
    await clock.advanceAsync(2_000);
    expect([nodes.a!.breaker().state, nodes.b!.breaker().state]).toEqual(['isolated', 'isolated']);
  });

  it('notices sharing turned back on by a new definition of the strategy', async () => {
    const { nodes, settle } = cluster(['a', 'b']);
    await settle();
    nodes.b!.manager.registry.register({ ...STRATEGIES[0]!, shareState: false });
    nodes.b!.breaker().trip('local only');
    nodes.a!.breaker().isolate('operator hold');
    await settle(0);
    nodes.b!.manager.registry.register({ ...STRATEGIES[0]!, shareState: true });
    await settle();
    expect(nodes.b!.breaker().state).toBe('isolated');
  });
});

describe('CircuitStateReplicator (re-sync after the bus comes back)', () => {
  it('re-converges within a sync round trip of the bus reporting connected, without waiting for anti-entropy', async () => {
    // Anti-entropy off: only the reconnect re-sync can heal what the outage hid.
    const { nodes, federation, clock, settle } = cluster(['a', 'b', 'c'], {
      antiEntropyIntervalMs: 0,
      syncResponseDelayMs: 20,
    });
    await settle();
    for (const id of ['a', 'b', 'c']) federation.disconnect(id);
    nodes.b!.breaker().trip('during the outage');
    nodes.c!.breaker('cache').isolate('during the outage');
    await clock.advanceAsync(5_000);
    expect(nodes.a!.breaker().state).toBe('closed');
    // They come back one after the other; each re-syncs when its bus reports connected.
    federation.reconnect('a');
    await clock.advanceAsync(300);
    federation.reconnect('b');
    await clock.advanceAsync(300);
    federation.reconnect('c');
    await clock.advanceAsync(25); // syncResponseDelayMs + delivery
    for (const n of Object.values(nodes)) {
      expect([n.breaker('db').state, n.breaker('cache').state]).toEqual(['open', 'isolated']);
      expect(n.metrics().resyncs).toBe(1);
    }
  });
});
