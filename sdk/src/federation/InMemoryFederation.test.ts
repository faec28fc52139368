import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { InMemoryFederation } from './InMemoryFederation.js';
import type { InMemoryMessageBus } from './InMemoryMessageBus.js';
import type { FederationFaults } from './FederationFaults.js';
import type { BusConnectionState, PluginMessage } from './IFederatedMessageBus.js';
import { isBusClosedError } from './BusClosedError.js';
import { VirtualClock, flushMicrotasks } from '../time/VirtualClock.js';
import { getSdkCompatibility } from '../compat/SdkCompatibility.js';
import { fieldOf } from '../testing/index.js';

const TOPIC = 'dw.test';

function msg(id: string, payload: unknown = null, sourceNodeId = 'a'): PluginMessage {
  return { id, type: 'test', sourceNodeId, sourcePluginId: 'plugin', payload, timestamp: 1000 };
}

/** A cluster whose every node records `node:id@time` for each delivery on TOPIC. */
function cluster(ids: string[], seed = 1) {
  const clock = new VirtualClock();
  const federation = new InMemoryFederation({ clock, seed });
  const trace: string[] = [];
  const received: Record<string, PluginMessage[]> = {};
  const nodes: Record<string, InMemoryMessageBus> = {};
  for (const id of ids) {
    const bus = federation.createNode(id);
    nodes[id] = bus;
    received[id] = [];
    bus.subscribe(TOPIC, (m) => {
      received[id]!.push(m);
      trace.push(`${id}:${m.id}@${clock.now()}`);
    });
  }
  return { clock, federation, trace, received, nodes, ids: (node: string) => received[node]!.map((m) => m.id) };
}

let current: InMemoryFederation | undefined;
function track<T extends { federation: InMemoryFederation }>(c: T): T {
  current = c.federation;
  return c;
}
afterEach(() => {
  current?.dispose();
  current = undefined;
});

describe('InMemoryFederation', () => {
  it('is decorated with its SDK version', () => {
    expect(getSdkCompatibility(InMemoryFederation)?.sdkVersion).toBe('6.0.0');
  });

  it('delivers publish to the sender only and publishToAllNodes to every node, itself included', async () => {
    const { nodes, ids, clock } = track(cluster(['a', 'b', 'c']));
    await nodes.a!.publish(TOPIC, msg('local'));
    await nodes.a!.publishToAllNodes(TOPIC, msg('all'));
    await clock.runAllAsync();
    expect(ids('a')).toEqual(['local', 'all']);
    expect(ids('b')).toEqual(['all']);
    expect(ids('c')).toEqual(['all']);
  });

  it('delivers asynchronously, on microtasks and without timers when there is no delay', async () => {
    const { nodes, ids, clock, federation } = track(cluster(['a', 'b']));
    void nodes.a!.publishToAllNodes(TOPIC, msg('1'));
    expect(ids('a')).toEqual([]);
    expect(ids('b')).toEqual([]);
    expect(federation.pendingDeliveries).toBe(2);
    expect(clock.pendingTimers).toBe(0);
    await flushMicrotasks();
    expect(ids('a')).toEqual(['1']);
    expect(ids('b')).toEqual(['1']);
    expect(federation.pendingDeliveries).toBe(0);
  });

  it('gives every node its own clone, unaffected by the sender mutating after publish', async () => {
    const { nodes, received, clock } = track(cluster(['a', 'b']));
    const original = msg('1', { count: 1, tags: ['x'] });
    await nodes.a!.publishToAllNodes(TOPIC, original);
    (original.payload as { count: number }).count = 99;
    await clock.runAllAsync();
    const atA = received.a![0]!;
    const atB = received.b![0]!;
    expect(atA).not.toBe(original);
    expect(atB).not.toBe(original);
    expect(atA).not.toBe(atB);
    expect(atA.payload).toEqual({ count: 1, tags: ['x'] });
    (atA.payload as { tags: string[] }).tags.push('mutated by a');
    expect(atB.payload).toEqual({ count: 1, tags: ['x'] });
  });

  it('delays remote deliveries by the configured latency, in virtual time', async () => {
    const { nodes, trace, clock, federation } = track(cluster(['a', 'b']));
    federation.setFaults({ minDelayMs: 50, maxDelayMs: 50 });
    await nodes.a!.publishToAllNodes(TOPIC, msg('1'));
    await clock.advanceAsync(49);
    expect(trace).toEqual(['a:1@0']); // self delivery is never delayed
    expect(clock.pendingTimers).toBe(1);
    await clock.advanceAsync(1);
    expect(trace).toEqual(['a:1@0', 'b:1@50']);
  });

  it('draws latencies within [minDelayMs, maxDelayMs]', async () => {
    const { nodes, received, clock, federation } = track(cluster(['a', 'b']));
    federation.setFaults({ minDelayMs: 10, maxDelayMs: 30 });
    const arrivals: number[] = [];
    nodes.b!.subscribe(TOPIC, () => void arrivals.push(clock.now()));
    for (let i = 0; i < 20; i++) await nodes.a!.publishToAllNodes(TOPIC, msg(String(i)));
    await clock.runAllAsync();
    expect(received.b).toHaveLength(20);
    expect(Math.min(...arrivals)).toBeGreaterThanOrEqual(10);
    expect(Math.max(...arrivals)).toBeLessThanOrEqual(30);
    expect(new Set(arrivals).size).toBeGreaterThan(1);
  });

  it('drops remote deliveries at dropRate 1 but never the self delivery', async () => {
    const { nodes, ids, clock, federation } = track(cluster(['a', 'b', 'c']));
    federation.setFaults({ dropRate: 1 });
    await nodes.a!.publishToAllNodes(TOPIC, msg('1'));
    await clock.runAllAsync();
    expect(ids('a')).toEqual(['1']);
    expect(ids('b')).toEqual([]);
    expect(ids('c')).toEqual([]);
    expect(federation.getStatistics()).toMatchObject({ published: 1, delivered: 1, droppedByFault: 2 });
  });

  it('drops about dropRate of the remote deliveries', async () => {
    const { nodes, received, clock, federation } = track(cluster(['a', 'b'], 5));
    federation.setFaults({ dropRate: 0.25 });
    for (let i = 0; i < 400; i++) await nodes.a!.publishToAllNodes(TOPIC, msg(String(i)));
    await clock.runAllAsync();
    const dropped = federation.getStatistics().droppedByFault;
    expect(received.b!.length + dropped).toBe(400);
    expect(dropped).toBeGreaterThan(60);
    expect(dropped).toBeLessThan(140);
  });

  it('duplicates remote deliveries at duplicateRate 1', async () => {
    const { nodes, ids, clock, federation } = track(cluster(['a', 'b']));
    federation.setFaults({ duplicateRate: 1 });
    await nodes.a!.publishToAllNodes(TOPIC, msg('1'));
    await clock.runAllAsync();
    expect(ids('a')).toEqual(['1']);
    expect(ids('b')).toEqual(['1', '1']);
    expect(federation.getStatistics()).toMatchObject({ duplicated: 1, delivered: 3 });
  });

  it('keeps each link FIFO under latency jitter when reorder is off', async () => {
    const { nodes, ids, clock, federation } = track(cluster(['a', 'b'], 3));
    federation.setFaults({ minDelayMs: 0, maxDelayMs: 100 });
    const sent: string[] = [];
    for (let i = 0; i < 50; i++) {
      sent.push(String(i));
      await nodes.a!.publishToAllNodes(TOPIC, msg(String(i)));
      await clock.advanceAsync(1);
    }
    await clock.runAllAsync();
    expect(ids('b')).toEqual(sent);
  });

  it('keeps FIFO when faults are cleared while delayed messages are in flight', async () => {
    const { nodes, ids, clock, federation } = track(cluster(['a', 'b']));
    federation.setFaults({ minDelayMs: 20 });
    await nodes.a!.publishToAllNodes(TOPIC, msg('slow'));
    federation.clearFaults();
    await nodes.a!.publishToAllNodes(TOPIC, msg('fast'));
    await clock.runAllAsync();
    expect(ids('b')).toEqual(['slow', 'fast']);
  });

  it('keeps FIFO when a handler sends on a link whose earlier message is due at the same instant', async () => {
    const { nodes, ids, clock, federation } = track(cluster(['a', 'b']));
    federation.setFaults({ minDelayMs: 10 });
    nodes.a!.subscribe('kick', () => {
      federation.clearFaults();
      void nodes.a!.publishToAllNodes(TOPIC, msg('second'));
    });
    await nodes.b!.publishToAllNodes('kick', msg('kick', null, 'b')); // reaches a at t=10, first
    await nodes.a!.publishToAllNodes(TOPIC, msg('first')); // reaches b at t=10, second
    await clock.runAllAsync();
    expect(ids('b')).toEqual(['first', 'second']);
  });

  it('lets a later message overtake an earlier one when reorder is on (for some seed)', async () => {
    const overtakingSeeds: number[] = [];
    for (let seed = 1; seed <= 30; seed++) {
      const c = cluster(['a', 'b'], seed);
      c.federation.setFaults({ reorder: true, reorderWindowMs: 10 });
      await c.nodes.a!.publishToAllNodes(TOPIC, msg('first'));
      await c.nodes.a!.publishToAllNodes(TOPIC, msg('second'));
      await c.clock.runAllAsync();
      const order = c.ids('b');
      expect([...order].sort()).toEqual(['first', 'second']);
      if (order[0] === 'second') overtakingSeeds.push(seed);
      c.federation.dispose();
    }
    expect(overtakingSeeds.length).toBeGreaterThan(0);
    expect(overtakingSeeds.length).toBeLessThan(30); // and not always: it is random
  });

  it('partitions nodes into groups (unlisted nodes share one more group) and heals', async () => {
    const { nodes, ids, clock, federation } = track(cluster(['a', 'b', 'c', 'd']));
    federation.partition([['a', 'b']]);
    expect(federation.isReachable('a', 'b')).toBe(true);
    expect(federation.isReachable('a', 'c')).toBe(false);
    expect(federation.isReachable('c', 'd')).toBe(true);
    await nodes.a!.publishToAllNodes(TOPIC, msg('from-a'));
    await nodes.c!.publishToAllNodes(TOPIC, msg('from-c'));
    await clock.runAllAsync();
    expect(ids('a')).toEqual(['from-a']);
    expect(ids('b')).toEqual(['from-a']);
    expect(ids('c')).toEqual(['from-c']);
    expect(ids('d')).toEqual(['from-c']);
    expect(federation.getStatistics().droppedByPartition).toBe(4);
    // A partition is not a disconnection: connectionState is unchanged.
    expect(nodes.a!.connectionState).toBe('connected');

    federation.heal();
    await nodes.a!.publishToAllNodes(TOPIC, msg('healed'));
    await clock.runAllAsync();
    for (const id of ['a', 'b', 'c', 'd']) expect(ids(id)).toContain('healed');
  });

  it('isolates each listed group from the others', async () => {
    const { nodes, ids, clock, federation } = track(cluster(['a', 'b', 'c']));
    federation.partition([['a'], ['b'], ['c']]);
    await nodes.b!.publishToAllNodes(TOPIC, msg('1'));
    await clock.runAllAsync();
    expect([ids('a'), ids('b'), ids('c')]).toEqual([[], ['1'], []]);
  });

  it('drops a message in flight to a node that got partitioned away before it arrived', async () => {
    const { nodes, ids, clock, federation } = track(cluster(['a', 'b']));
    federation.setFaults({ minDelayMs: 10 });
    await nodes.a!.publishToAllNodes(TOPIC, msg('1'));
    federation.partition([['a'], ['b']]);
    await clock.runAllAsync();
    expect(ids('b')).toEqual([]);
    expect(federation.getStatistics()).toMatchObject({ droppedByPartition: 1, pendingDeliveries: 0 });
  });

  it('rejects bad partitions and keeps the previous one', () => {
    const { federation } = track(cluster(['a', 'b', 'c']));
    federation.partition([['a'], ['b']]);
    expect(fieldOf(() => federation.partition([['a'], ['zz']]))).toBe('groups[1][0]');
    expect(
      fieldOf(() =>
        federation.partition([
          ['a', 'b'],
          ['c', 'a'],
        ]),
      ),
    ).toBe('groups[1][1]');
    expect(fieldOf(() => federation.partition('a' as never))).toBe('groups');
    expect(fieldOf(() => federation.partition([['a'], 'b' as never]))).toBe('groups[1]');
    expect(federation.isReachable('a', 'b')).toBe(false);
  });

  it('cuts a disconnected node off both ways, tells its listeners, and restores it on reconnect', async () => {
    const { nodes, ids, clock, federation } = track(cluster(['a', 'b', 'c']));
    const states: BusConnectionState[] = [];
    nodes.b!.onConnectionStateChange((s) => void states.push(s));
    federation.disconnect('b');
    expect(nodes.b!.connectionState).toBe('disconnected');
    expect(states).toEqual(['disconnected']);
    await nodes.a!.publishToAllNodes(TOPIC, msg('to-all'));
    await nodes.b!.publishToAllNodes(TOPIC, msg('from-b'));
    await clock.runAllAsync();
    expect(ids('a')).toEqual(['to-all']);
    expect(ids('b')).toEqual(['from-b']); // a disconnected node still reaches itself
    expect(ids('c')).toEqual(['to-all']);

    federation.reconnect('b');
    expect(nodes.b!.connectionState).toBe('connected');
    expect(states).toEqual(['disconnected', 'connected']);
    await nodes.b!.publishToAllNodes(TOPIC, msg('back'));
    await clock.runAllAsync();
    expect(ids('a')).toContain('back');
    expect(ids('c')).toContain('back');
  });

  it('removes a node: its subscriptions end, listeners hear disconnected, messages in flight to it are dropped', async () => {
    const { nodes, ids, clock, federation } = track(cluster(['a', 'b']));
    const b = nodes.b!;
    const states: BusConnectionState[] = [];
    b.onConnectionStateChange((s) => void states.push(s));
    federation.setFaults({ minDelayMs: 10 });
    await nodes.a!.publishToAllNodes(TOPIC, msg('in-flight'));
    federation.removeNode('b');
    await clock.runAllAsync();
    expect(ids('b')).toEqual([]);
    expect(b.subscriberCount()).toBe(0);
    expect(states).toEqual(['disconnected']);
    expect(federation.getNode('b')).toBeUndefined();
    expect(federation.nodes.map((n) => n.nodeId)).toEqual(['a']);
    expect(federation.getStatistics().droppedByPartition).toBe(1);
    // The id is free again.
    expect(federation.createNode('b')).not.toBe(b);
  });

  it('refuses a duplicate or invalid node id and unknown ids in node operations', () => {
    const { federation } = track(cluster(['a']));
    expect(fieldOf(() => federation.createNode('a'))).toBe('nodeId');
    expect(fieldOf(() => federation.createNode(''))).toBe('nodeId');
    expect(fieldOf(() => federation.disconnect('zz'))).toBe('nodeId');
    expect(fieldOf(() => federation.reconnect('zz'))).toBe('nodeId');
    expect(fieldOf(() => federation.removeNode('zz'))).toBe('nodeId');
    expect(fieldOf(() => federation.isReachable('a', 'zz'))).toBe('nodeId');
    expect(federation.getNode('zz')).toBeUndefined();
  });

  it.each<[string, FederationFaults, string]>([
    ['a dropRate above 1', { dropRate: 1.5 }, 'faults.dropRate'],
    ['a negative duplicateRate', { duplicateRate: -0.1 }, 'faults.duplicateRate'],
    ['a negative delay', { minDelayMs: -1 }, 'faults.minDelayMs'],
    ['maxDelayMs below minDelayMs', { minDelayMs: 10, maxDelayMs: 5 }, 'faults.maxDelayMs'],
    ['an infinite delay', { maxDelayMs: Infinity }, 'faults.maxDelayMs'],
    ['a non-boolean reorder', { reorder: 1 as never }, 'faults.reorder'],
    ['a zero reorder window', { reorder: true, reorderWindowMs: 0 }, 'faults.reorderWindowMs'],
    ['an unknown key', { dropRat: 0.1 } as never, 'faults.dropRat'],
  ])('rejects fault settings with %s and keeps the previous ones', (_name, faults, field) => {
    const { federation } = track(cluster(['a']));
    federation.setFaults({ dropRate: 0.5 });
    expect(fieldOf(() => federation.setFaults(faults))).toBe(field);
    expect(federation.faults.dropRate).toBe(0.5);
  });

  it('resolves omitted fault fields to no fault (maxDelayMs defaults to minDelayMs)', () => {
    const { federation } = track(cluster(['a']));
    federation.setFaults({ dropRate: 0.5 });
    federation.setFaults({ minDelayMs: 7 });
    expect(federation.faults).toEqual({
      minDelayMs: 7,
      maxDelayMs: 7,
      dropRate: 0,
      duplicateRate: 0,
      reorder: false,
      reorderWindowMs: 10,
    });
    federation.clearFaults();
    expect(federation.faults.minDelayMs).toBe(0);
  });

  it.each<[string, unknown, string]>([
    ['an unknown option', { seeed: 1 }, 'seeed'],
    ['a negative seed', { seed: -1 }, 'seed'],
    ['a clock without setTimeout', { clock: { now: () => 0 } }, 'clock.setTimeout'],
    ['a non-function error hook', { onHandlerError: 'log' }, 'onHandlerError'],
    ['a non-object', 5, 'options'],
  ])('rejects constructor options with %s', (_name, options, field) => {
    expect(fieldOf(() => new InMemoryFederation(options as never))).toBe(field);
  });

  it('replays the same delivery trace for the same seed and schedule', async () => {
    async function run(seed: number): Promise<string[]> {
      const c = cluster(['a', 'b', 'c', 'd'], seed);
      c.federation.setFaults({ minDelayMs: 1, maxDelayMs: 40, dropRate: 0.2, duplicateRate: 0.2, reorder: true });
      for (let i = 0; i < 30; i++) {
        const from = ['a', 'b', 'c', 'd'][i % 4]!;
        await c.nodes[from]!.publishToAllNodes(TOPIC, msg(String(i), i, from));
        await c.clock.advanceAsync(3);
      }
      await c.clock.runAllAsync();
      c.federation.dispose();
      return c.trace;
    }
    const first = await run(12345);
    expect(first.length).toBeGreaterThan(30);
    expect(await run(12345)).toEqual(first);
    expect(await run(54321)).not.toEqual(first);
  });

  it('counts published, delivered, dropped and duplicated messages', async () => {
    const { nodes, clock, federation } = track(cluster(['a', 'b', 'c']));
    await nodes.a!.publish(TOPIC, msg('1'));
    federation.partition([['a', 'b']]);
    await nodes.a!.publishToAllNodes(TOPIC, msg('2'));
    await clock.runAllAsync();
    expect(federation.getStatistics()).toEqual({
      published: 2,
      delivered: 3,
      droppedByFault: 0,
      droppedByPartition: 1,
      duplicated: 0,
      handlerErrors: 0,
      pendingDeliveries: 0,
    });
  });

  it('settle() resolves once every pending delivery has run, including what handlers publish', async () => {
    const { nodes, ids, clock, federation } = track(cluster(['a', 'b']));
    nodes.b!.subscribe(TOPIC, (m) => {
      if (m.id === 'ping') void nodes.b!.publishToAllNodes(TOPIC, msg('pong', null, 'b'));
    });
    federation.setFaults({ minDelayMs: 10 });
    let settled = false;
    await nodes.a!.publishToAllNodes(TOPIC, msg('ping'));
    void federation.settle().then(() => {
      settled = true;
    });
    await clock.advanceAsync(10);
    expect(settled).toBe(false); // the pong to a is still in flight
    await clock.advanceAsync(10);
    expect(settled).toBe(true);
    expect(ids('a')).toEqual(['ping', 'pong']);
    await expect(federation.settle()).resolves.toBeUndefined();
  });

  it('settle() on the default (system) clock resolves after the zero-delay deliveries', async () => {
    const federation = new InMemoryFederation();
    current = federation;
    const a = federation.createNode('a');
    const b = federation.createNode('b');
    const seen: string[] = [];
    b.subscribe(TOPIC, (m) => void seen.push(m.id));
    void a.publishToAllNodes(TOPIC, msg('1'));
    void a.publishToAllNodes(TOPIC, msg('2'));
    expect(federation.pendingDeliveries).toBe(4);
    await federation.settle();
    expect(seen).toEqual(['1', '2']);
    expect(federation.pendingDeliveries).toBe(0);
  });

  it('dispose() cancels every pending timer and delivery, closes the nodes and resolves settle()', async () => {
    const { nodes, trace, clock, federation } = track(cluster(['a', 'b', 'c']));
    federation.setFaults({ minDelayMs: 5, maxDelayMs: 50, duplicateRate: 0.5 });
    for (let i = 0; i < 10; i++) void nodes.a!.publishToAllNodes(TOPIC, msg(String(i)));
    expect(clock.pendingTimers).toBeGreaterThan(0);
    expect(federation.pendingDeliveries).toBeGreaterThan(20);
    const settled = federation.settle();
    federation.dispose();
    federation.dispose();
    expect(clock.pendingTimers).toBe(0);
    expect(federation.pendingDeliveries).toBe(0);
    await expect(settled).resolves.toBeUndefined();
    await clock.advanceAsync(1000);
    expect(trace).toEqual([]); // not even the microtask self deliveries ran
    expect(federation.getStatistics()).toMatchObject({ delivered: 0, droppedByPartition: 0, pendingDeliveries: 0 });
    expect(nodes.a!.connectionState).toBe('disconnected');
    const err = await nodes.a!.publish(TOPIC, msg('late')).catch((e: unknown) => e);
    expect(isBusClosedError(err) && err.reason).toBe('disposed');
    expect(() => federation.createNode('d')).toThrow(expect.objectContaining({ code: 'ERR_BUS_CLOSED' }));
  });

  it('delivers every message to every reachable subscriber at least once when dropRate is 0, exactly once without duplicates', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          seed: fc.integer({ min: 0, max: 0xffffffff }),
          nodeCount: fc.integer({ min: 1, max: 5 }),
          minDelayMs: fc.integer({ min: 0, max: 30 }),
          jitterMs: fc.integer({ min: 0, max: 30 }),
          duplicateRate: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1, noNaN: true })),
          reorder: fc.boolean(),
          // Side of each node: 0 = no partition entry (implicit group), 1..2 = listed groups.
          sides: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 5, maxLength: 5 }),
          sends: fc.array(fc.record({ from: fc.nat(), toAll: fc.boolean(), gapMs: fc.integer({ min: 0, max: 20 }) }), {
            minLength: 1,
            maxLength: 12,
          }),
        }),
        async (p) => {
          const ids = ['n0', 'n1', 'n2', 'n3', 'n4'].slice(0, p.nodeCount);
          const c = cluster(ids, p.seed);
          try {
            c.federation.setFaults({
              minDelayMs: p.minDelayMs,
              maxDelayMs: p.minDelayMs + p.jitterMs,
              dropRate: 0,
              duplicateRate: p.duplicateRate,
              reorder: p.reorder,
            });
            const groups = [1, 2].map((g) => ids.filter((_id, i) => p.sides[i] === g));
            c.federation.partition(groups);
            const expected = new Map<string, Set<string>>();
            for (const [k, send] of p.sends.entries()) {
              const from = ids[send.from % ids.length]!;
              const targets = send.toAll ? ids.filter((to) => c.federation.isReachable(from, to)) : [from];
              expected.set(String(k), new Set(targets));
              const bus = c.nodes[from]!;
              await (send.toAll
                ? bus.publishToAllNodes(TOPIC, msg(String(k), k, from))
                : bus.publish(TOPIC, msg(String(k), k, from)));
              await c.clock.advanceAsync(send.gapMs);
            }
            await c.clock.runAllAsync();
            for (const id of ids) {
              const counts = new Map<string, number>();
              for (const m of c.received[id]!) counts.set(m.id, (counts.get(m.id) ?? 0) + 1);
              for (const [k, targets] of expected) {
                const n = counts.get(k) ?? 0;
                if (!targets.has(id)) expect(n).toBe(0);
                else if (p.duplicateRate === 0) expect(n).toBe(1);
                else expect(n === 1 || n === 2).toBe(true);
              }
            }
            expect(c.federation.pendingDeliveries).toBe(0);
            expect(c.clock.pendingTimers).toBe(0);
          } finally {
            c.federation.dispose();
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
