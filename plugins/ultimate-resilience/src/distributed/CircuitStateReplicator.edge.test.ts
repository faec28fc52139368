import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MessageAuthenticator, canonicalJson, createPluginMessage } from '@datawarehouse/sdk';
import type { PluginMessage } from '@datawarehouse/sdk';
import type { StrategyDefinition } from '../strategies/StrategyDefinition.js';
import { replicatorCluster, stateEntry, stateMessage } from '../testing/replicatorCluster.js';
import { CIRCUIT_STATE_TOPIC } from './DistributedOptions.js';
import type { DistributedOptions } from './DistributedOptions.js';

// Edge cases of the distributed circuit state found in review: each test states a guaranteed behaviour.

const STRATEGIES: StrategyDefinition[] = [
  { id: 'db', circuitBreaker: { failureThreshold: 2, breakDurationMs: 10_000 }, retry: false },
  { id: 'cache', circuitBreaker: { failureThreshold: 2, breakDurationMs: 10_000 }, retry: false },
];

function cluster(
  ids: string[],
  options: Partial<DistributedOptions> = {},
  strategies: StrategyDefinition[] = STRATEGIES,
) {
  return replicatorCluster(ids, strategies, options, 7);
}

const entry = stateEntry;

describe('CircuitStateReplicator', () => {
  it('a local transition still reaches the other nodes after a remote state with the largest Lamport clock the schema accepts', async () => {
    const { nodes, federation, settle } = cluster(['a', 'b']);
    const rogue = federation.createNode('rogue');
    await settle();
    // One message (a buggy or compromised peer; the in-memory bus does not authenticate).
    await rogue.publishToAllNodes(
      CIRCUIT_STATE_TOPIC,
      stateMessage(
        [entry({ lamport: Number.MAX_SAFE_INTEGER, origin: '\uffff', state: 'closed', remainingBreakMs: 0 })],
        'transition',
        'rogue',
      ),
    );
    await settle(0);
    // Too far ahead of b's clock: dropped alone, counted; b's clock moved one step only.
    expect(nodes.b!.replicator.registerOf('db')).toBeUndefined();
    expect(nodes.b!.metrics().rejectedEntries.lamportTooFar).toBe(1);

    nodes.a!.breaker().trip('downstream down');
    await settle(0);
    expect(nodes.b!.breaker().state).toBe('open');
    nodes.a!.breaker().reset('downstream back');
    await settle(0);
    expect(nodes.b!.breaker().state).toBe('closed');
    expect(nodes.b!.metrics().rejected.malformed).toBe(0);
  });

  it('a node that received newer states while sharing was off does not lose its own next write once sharing is on', async () => {
    const { nodes, clock, settle } = cluster(['a', 'b']);
    await settle();
    await nodes.b!.manager.reconfigureLimitsAsync({ strategies: { db: { shareState: false } } });
    // The cluster writes db several times while b keeps it local (b sees and ignores them).
    for (let i = 0; i < 3; i++) {
      nodes.a!.breaker().trip();
      nodes.a!.breaker().reset();
    }
    await settle(0);
    expect(nodes.a!.replicator.registerOf('db')?.lamport).toBe(6);
    await nodes.b!.manager.reconfigureLimitsAsync({ strategies: { db: { shareState: true } } });

    // b now sees the downstream fail and opens: a newer write than anything b has seen.
    nodes.b!.breaker().trip('b saw failures');
    await settle(0);
    expect(nodes.a!.breaker().state).toBe('open');
    // ... and anti-entropy must not undo b's own open with the older `closed`.
    await clock.advanceAsync(1_000);
    expect(nodes.b!.breaker().state).toBe('open');
  });

  it('a strategy removed and registered again does not have its next write lost or undone by older states', async () => {
    const { nodes, clock, settle } = cluster(['a', 'b']);
    await settle();
    for (let i = 0; i < 3; i++) {
      nodes.a!.breaker().trip();
      nodes.a!.breaker().reset();
    }
    await settle(0);
    expect(nodes.b!.replicator.registerOf('db')?.lamport).toBe(6);
    // b's operator replaces the strategy (remove + register): its register is forgotten.
    nodes.b!.manager.registry.remove('db');
    nodes.b!.manager.registry.register(STRATEGIES[0]!);
    nodes.b!.breaker().trip('b saw failures');
    await settle(0);
    expect(nodes.a!.breaker().state).toBe('open');
    await clock.advanceAsync(1_000);
    expect(nodes.b!.breaker().state).toBe('open');
  });

  it('does not echo: a remote open applied on every node yields exactly one published transition in the cluster', async () => {
    const { nodes, settle } = cluster(['a', 'b', 'c']);
    await settle();
    nodes.a!.breaker().trip();
    await settle(0);
    const published = Object.values(nodes).map((n) => n.replicator.metrics().published.transitions);
    expect(published).toEqual([1, 0, 0]);
    expect(Object.values(nodes).map((n) => n.breaker().state)).toEqual(['open', 'open', 'open']);
  });

  it('drops hostile payloads without throwing: __proto__ keys, deep nesting, huge numbers, NaN', async () => {
    const { nodes, federation, settle } = cluster(['a']);
    const x = federation.createNode('x');
    await settle();
    let deep: unknown = {};
    for (let i = 0; i < 300; i++) deep = { d: deep };
    const bad: unknown[] = [
      JSON.parse(
        '{"v":1,"kind":"transition","entries":[{"strategyId":"db","lamport":9,"origin":"x","state":"open","remainingBreakMs":1,"reason":"r","__proto__":{"polluted":true}}]}',
      ),
      { v: 1, kind: 'transition', entries: [deep] },
      { v: 1, kind: 'transition', entries: [entry({ lamport: 1e308 })] },
      { v: 1, kind: 'transition', entries: [entry({ remainingBreakMs: Number.NaN })] },
      { v: 1, kind: 'transition', entries: [entry({ remainingBreakMs: 1e308 })] },
      { v: 1, kind: 'transition', entries: [entry({ strategyId: '__proto__' })] },
    ];
    for (const payload of bad) {
      await x.publishToAllNodes(
        CIRCUIT_STATE_TOPIC,
        createPluginMessage('circuit-state', payload, { nodeId: 'x', pluginId: 'p' }),
      );
    }
    await settle(0);
    const m = nodes.a!.replicator.metrics();
    expect(m.applied).toBe(0);
    expect(m.internalErrors).toBe(0);
    expect(federation.getStatistics().handlerErrors).toBe(0);
    expect(nodes.a!.breaker().state).toBe('closed');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('trips for the remaining break only, and a stale open arriving after a close does not re-open', async () => {
    const { nodes, federation, clock, settle } = cluster(['a', 'b']);
    await settle();
    federation.setFaults({ minDelayMs: 0, maxDelayMs: 0 });
    nodes.a!.breaker().trip(); // (1,a) open 10 s
    await settle(0);
    await clock.advanceAsync(3_000);
    nodes.a!.breaker().reset(); // (2,a) closed
    await settle(0);
    expect(nodes.b!.breaker().state).toBe('closed');
    // A delayed copy of the old open arrives now: stale, ignored.
    const x = federation.createNode('x');
    await x.publishToAllNodes(
      CIRCUIT_STATE_TOPIC,
      stateMessage([entry({ lamport: 1, origin: 'a', remainingBreakMs: 10_000 })]),
    );
    await settle(0);
    expect(nodes.b!.breaker().state).toBe('closed');
  });

  it('stops every timer on dispose even with a sync answer pending', async () => {
    const { nodes, federation, clock, settle } = cluster(['a']);
    const x = federation.createNode('x');
    await settle();
    await x.publishToAllNodes(
      CIRCUIT_STATE_TOPIC,
      createPluginMessage('circuit-sync-request', { v: 1 }, { nodeId: 'x', pluginId: 'p' }),
    );
    await clock.advanceAsync(1);
    nodes.a!.replicator.dispose();
    nodes.a!.manager.dispose();
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('CircuitStateReplicator (rate and metric bounds)', () => {
  it('leaves a transition with a sender timestamp far in the past or future out of the lag metrics', async () => {
    const { nodes, federation, clock, settle } = cluster(['a']);
    const x = federation.createNode('x');
    await settle();
    const at = (timestamp: number, lamport: number) => ({
      ...stateMessage([entry({ lamport, origin: 'x', state: 'closed', remainingBreakMs: 0 })]),
      timestamp,
    });
    await x.publishToAllNodes(CIRCUIT_STATE_TOPIC, at(clock.now() - 30 * 24 * 3_600_000, 1)); // a month behind
    await x.publishToAllNodes(CIRCUIT_STATE_TOPIC, at(clock.now() + 3_600_000, 2)); // an hour ahead
    await x.publishToAllNodes(CIRCUIT_STATE_TOPIC, at(clock.now() - 5, 3));
    await settle(0);
    const m = nodes.a!.replicator.metrics();
    expect(m.applied).toBe(3);
    expect(m.propagationLagMs.count).toBe(1);
    expect(m.propagationLagMs.outOfRange).toBe(2);
    expect(m.propagationLagMs.max).toBeLessThan(1_000);
  });

  it('answers a flood of sync requests with at most one full state per syncResponseDelayMs', async () => {
    const { nodes, federation, clock, settle } = cluster(['a'], { syncResponseDelayMs: 100, antiEntropyIntervalMs: 0 });
    const x = federation.createNode('x');
    await settle();
    nodes.a!.breaker().trip();
    await settle(0);
    const before = nodes.a!.replicator.metrics().published.syncMessages;
    for (let t = 0; t < 1_000; t += 10) {
      for (let i = 0; i < 5; i++) {
        await x.publishToAllNodes(
          CIRCUIT_STATE_TOPIC,
          createPluginMessage('circuit-sync-request', { v: 1 }, { nodeId: 'x', pluginId: 'p' }),
        );
      }
      await clock.advanceAsync(10);
    }
    await clock.advanceAsync(200);
    const answers = nodes.a!.replicator.metrics().published.syncMessages - before;
    expect(nodes.a!.replicator.metrics().received.syncRequests).toBe(500);
    expect(answers).toBeGreaterThanOrEqual(1);
    expect(answers).toBeLessThanOrEqual(Math.ceil(1_200 / 100));
  });

  it('lets a strategy clock advance on states it ignores for an unknown strategy', async () => {
    const { nodes, federation, settle } = cluster(['a', 'b'], {}, [STRATEGIES[1]!]);
    const x = federation.createNode('x');
    await settle();
    await x.publishToAllNodes(
      CIRCUIT_STATE_TOPIC,
      stateMessage([entry({ lamport: 40, origin: 'x', state: 'closed', remainingBreakMs: 0 })]),
    );
    await settle(0);
    expect(nodes.a!.replicator.metrics().ignored.unknownStrategy).toBe(1);
    nodes.a!.manager.registry.register(STRATEGIES[0]!);
    nodes.a!.breaker('db').trip();
    await settle(0);
    expect(nodes.a!.replicator.registerOf('db')?.lamport).toBe(41);
  });
});

describe('MessageAuthenticator', () => {
  const secret = 's'.repeat(32);
  const topic = CIRCUIT_STATE_TOPIC;
  const message = () => createPluginMessage('circuit-state', { v: 1 }, { nodeId: 'a', pluginId: 'p' });

  it('accepts a signed message once, then rejects its replay, after a JSON round trip', () => {
    let now = 1_000_000;
    const auth = new MessageAuthenticator({ secret, now: () => now });
    const wire = JSON.stringify(auth.sign(topic, message()));
    expect(auth.verify(topic, JSON.parse(wire)).ok).toBe(true);
    now += 10;
    expect(auth.verify(topic, JSON.parse(wire))).toEqual({ ok: false, reason: 'replayed' });
  });

  it('rejects a message moved to another topic, or with a payload altered', () => {
    const auth = new MessageAuthenticator({ secret });
    const signed = auth.sign(topic, message());
    expect(auth.verify('other.topic', structuredClone(signed))).toEqual({ ok: false, reason: 'bad-signature' });
    expect(auth.verify(topic, { ...signed, payload: { v: 2 } })).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('never throws on hostile input: deep nesting, __proto__, huge strings', () => {
    const auth = new MessageAuthenticator({ secret });
    let deep: unknown = 1;
    for (let i = 0; i < 300; i++) deep = [deep];
    const signed = auth.sign(topic, message());
    for (const m of [
      { ...signed, payload: deep },
      JSON.parse(
        `{"id":"1","type":"t","sourceNodeId":"n","sourcePluginId":"p","timestamp":1,"payload":{"__proto__":{"x":1}},"nonce":"${signed.nonce!}","expiresAt":${signed.expiresAt!},"signature":"${signed.signature!}"}`,
      ),
      { ...signed, nonce: 'n'.repeat(1_000_000) },
      null,
      42,
      'x',
    ]) {
      expect(() => auth.verify(topic, m)).not.toThrow();
      expect(auth.verify(topic, m).ok).toBe(false);
    }
  });

  it('verifies any JSON payload after a JSON round trip, and rejects it after any change to the payload (property)', () => {
    const auth = new MessageAuthenticator({ secret });
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.jsonValue({ maxDepth: 3 }), (payload, other) => {
        const signed = auth.sign(topic, { ...message(), payload });
        const wire = JSON.parse(JSON.stringify(signed)) as PluginMessage;
        expect(auth.verify(topic, wire).ok).toBe(true);
        if (canonicalJson(other) !== canonicalJson(payload)) {
          const forged = {
            ...(JSON.parse(JSON.stringify(signed)) as PluginMessage),
            payload: other,
            nonce: 'n'.repeat(22),
          };
          expect(auth.verify(topic, forged).ok).toBe(false);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('rejects an expired message and one whose expiry lies beyond ttl + skew', () => {
    let now = 1_000_000;
    const auth = new MessageAuthenticator({ secret, ttlMs: 1_000, maxClockSkewMs: 100, now: () => now });
    const signed = auth.sign(topic, message());
    now += 1_101;
    expect(auth.verify(topic, signed)).toEqual({ ok: false, reason: 'expired' });
    now -= 10_000;
    const future = new MessageAuthenticator({ secret, ttlMs: 1_000, maxClockSkewMs: 100, now: () => now });
    expect(future.verify(topic, auth.sign(topic, message())).ok).toBe(true);
  });
});
