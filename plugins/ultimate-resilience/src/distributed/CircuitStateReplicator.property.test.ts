import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { InMemoryFederation, VirtualClock, flushMicrotasks } from '@datawarehouse/sdk';
import type { FederationFaults } from '@datawarehouse/sdk';
import { ResilienceScalingManager } from '../manager/ResilienceScalingManager.js';
import { StrategyRegistry } from '../strategies/StrategyRegistry.js';
import type { StrategyDefinition } from '../strategies/StrategyDefinition.js';
import { CircuitStateReplicator } from './CircuitStateReplicator.js';
import { compareVersions } from './LwwRegisterMap.js';
import { replicatedCircuitsOf } from '../manager/replicatedCircuitsOf.js';

const NODES = ['n1', 'n2', 'n3', 'n4'] as const;
const STRATEGY_IDS = ['s1', 's2'] as const;
const STRATEGIES: StrategyDefinition[] = [
  { id: 's1', circuitBreaker: { failureThreshold: 2, breakDurationMs: 300 }, retry: false },
  {
    id: 's2',
    circuitBreaker: { failureThreshold: 1, breakDurationMs: 700, halfOpenSuccessThreshold: 2 },
    retry: false,
  },
];
const ANTI_ENTROPY_MS = 1_000;

type Op =
  | {
      readonly kind: 'trip' | 'reset' | 'isolate' | 'fail' | 'succeed';
      readonly node: number;
      readonly strategy: number;
    }
  | { readonly kind: 'advance'; readonly ms: number }
  | { readonly kind: 'faults'; readonly faults: FederationFaults }
  | { readonly kind: 'partition'; readonly sides: readonly number[] }
  | { readonly kind: 'heal' }
  | { readonly kind: 'disconnect' | 'reconnect'; readonly node: number };

const nodeIndex = fc.integer({ min: 0, max: NODES.length - 1 });
const strategyIndex = fc.integer({ min: 0, max: STRATEGY_IDS.length - 1 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constantFrom('trip', 'reset', 'isolate', 'fail', 'succeed'),
      node: nodeIndex,
      strategy: strategyIndex,
    }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('advance'), ms: fc.integer({ min: 0, max: 800 }) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('faults'),
      faults: fc.record({
        minDelayMs: fc.integer({ min: 0, max: 50 }),
        dropRate: fc.double({ min: 0, max: 0.6, noNaN: true }),
        duplicateRate: fc.double({ min: 0, max: 0.6, noNaN: true }),
        reorder: fc.boolean(),
        reorderWindowMs: fc.integer({ min: 1, max: 200 }),
      }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('partition'),
      sides: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: NODES.length, maxLength: NODES.length }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('heal') }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('disconnect', 'reconnect'), node: nodeIndex }) },
) as fc.Arbitrary<Op>;

function buildCluster(seed: number) {
  const clock = new VirtualClock(0);
  const federation = new InMemoryFederation({ clock, seed });
  const nodes = NODES.map((id) => {
    const bus = federation.createNode(id);
    const manager = new ResilienceScalingManager({
      registry: new StrategyRegistry(STRATEGIES),
      clock,
      random: () => 0.5,
    });
    const replicator = new CircuitStateReplicator({
      circuits: replicatedCircuitsOf(manager),
      bus,
      clock,
      wallClock: () => clock.now(),
      options: { antiEntropyIntervalMs: ANTI_ENTROPY_MS, syncResponseDelayMs: 5 },
    });
    replicator.start();
    return { id, manager, replicator };
  });
  return { clock, federation, nodes };
}

type Cluster = ReturnType<typeof buildCluster>;

async function run(c: Cluster, op: Op): Promise<void> {
  switch (op.kind) {
    case 'trip':
    case 'reset':
    case 'isolate': {
      const breaker = c.nodes[op.node]!.manager.getCircuitBreaker(STRATEGY_IDS[op.strategy]!)!;
      if (op.kind === 'trip') breaker.trip('test-trip');
      else if (op.kind === 'reset') breaker.reset('test-reset');
      else breaker.isolate('test-isolate');
      break;
    }
    case 'fail':
    case 'succeed': {
      const manager = c.nodes[op.node]!.manager;
      const outcome = op.kind === 'fail' ? () => Promise.reject(new Error('down')) : () => 'ok';
      manager.executeWithResilience(STRATEGY_IDS[op.strategy]!, outcome).catch(() => undefined);
      break;
    }
    case 'advance':
      await c.clock.advanceAsync(op.ms);
      break;
    case 'faults':
      c.federation.setFaults(op.faults);
      break;
    case 'partition': {
      const groups: string[][] = [[], [], []];
      op.sides.forEach((side, i) => groups[side]!.push(NODES[i]!));
      c.federation.partition(groups.filter((g) => g.length > 0));
      break;
    }
    case 'heal':
      c.federation.heal();
      break;
    case 'disconnect':
      c.federation.disconnect(NODES[op.node]!);
      break;
    case 'reconnect':
      c.federation.reconnect(NODES[op.node]!);
      break;
  }
  await flushMicrotasks();
}

/** The network heals completely; every node reconnects (and so re-syncs). */
async function healEverything(c: Cluster): Promise<void> {
  c.federation.clearFaults();
  c.federation.heal();
  for (const id of NODES) c.federation.reconnect(id);
  // In-flight messages keep their delays (<= 250 ms); four anti-entropy rounds follow.
  await c.clock.advanceAsync(4 * ANTI_ENTROPY_MS + 500);
}

function registers(c: Cluster, strategyId: string) {
  return c.nodes.map((n) => {
    const r = n.replicator.registerOf(strategyId);
    return r === undefined ? undefined : { lamport: r.lamport, origin: r.origin, state: r.state };
  });
}

describe('CircuitStateReplicator (property: convergence on an unreliable network)', () => {
  it('converges every node to the same winner after healing, with breakers matching it and no message loops', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 0xffff_ffff }),
        fc.array(opArb, { maxLength: 40 }),
        async (seed, ops) => {
          const c = buildCluster(seed);
          try {
            await flushMicrotasks();
            for (const op of ops) await run(c, op);
            const before = STRATEGY_IDS.map((s) => registers(c, s));
            await healEverything(c);

            for (const [i, s] of STRATEGY_IDS.entries()) {
              const regs = registers(c, s);
              // Same winner everywhere...
              for (const r of regs) expect(r).toEqual(regs[0]);
              // ...which is at least as new as anything any node held before healing (never backwards).
              for (const earlier of before[i]!) {
                if (earlier !== undefined) expect(compareVersions(regs[0]!, earlier)).toBeGreaterThanOrEqual(0);
              }
              // Every breaker is in the winner's state.
              for (const n of c.nodes) {
                const state = n.manager.activeRuntimes().get(s)?.breaker?.state ?? 'closed';
                expect(state).toBe(regs[0]?.state ?? 'closed');
              }
            }

            // Quiescent: more anti-entropy rounds publish no transition and change no register.
            const transitions = c.nodes.map((n) => n.replicator.metrics().published.transitions);
            const settled = STRATEGY_IDS.map((s) => registers(c, s));
            await c.clock.advanceAsync(5 * ANTI_ENTROPY_MS);
            expect(c.nodes.map((n) => n.replicator.metrics().published.transitions)).toEqual(transitions);
            expect(STRATEGY_IDS.map((s) => registers(c, s))).toEqual(settled);
            for (const n of c.nodes) expect(n.replicator.metrics().internalErrors).toBe(0);
            expect(c.federation.getStatistics().handlerErrors).toBe(0);
          } finally {
            for (const n of c.nodes) {
              n.replicator.dispose();
              n.manager.dispose();
            }
            c.federation.dispose();
          }
        },
      ),
      { numRuns: 150 },
    );
  }, 60_000);

  it('never re-broadcasts an applied state: each node publishes only its own local transitions', async () => {
    let appliedInAllRuns = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 0xffff_ffff }),
        fc.array(opArb, { maxLength: 40 }),
        async (seed, ops) => {
          const c = buildCluster(seed);
          // Applied remote states carry "(from <origin>)" in their reason: everything else is a
          // local transition (an op on this node, or its own break elapsing).
          const local = c.nodes.map(() => 0);
          const applied = c.nodes.map(() => 0);
          c.nodes.forEach((n, i) =>
            n.manager.events.on('circuitStateChanged', (_id, change) => {
              if (change.reason.includes(' (from ')) applied[i]!++;
              else local[i]!++;
            }),
          );
          try {
            await flushMicrotasks();
            for (const op of ops) await run(c, op);
            await healEverything(c);
            c.nodes.forEach((n, i) => {
              expect(n.replicator.metrics().published.transitions).toBeLessThanOrEqual(local[i]!);
            });
            appliedInAllRuns += applied.reduce((a, b) => a + b, 0);
          } finally {
            for (const n of c.nodes) {
              n.replicator.dispose();
              n.manager.dispose();
            }
            c.federation.dispose();
          }
        },
      ),
      { numRuns: 100 },
    );
    // The schedules do make nodes apply each other's states: the check above is not vacuous.
    expect(appliedInAllRuns).toBeGreaterThan(100);
  }, 60_000);
});
