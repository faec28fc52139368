import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { flushMicrotasks } from '@datawarehouse/sdk';
import type { CircuitState } from '@datawarehouse/sdk';
import type { StrategyDefinition } from '../strategies/StrategyDefinition.js';
import { replicatorCluster, stateEntry, stateMessage } from '../testing/replicatorCluster.js';
import type { ClusterNode } from '../testing/replicatorCluster.js';
import { MAX_REMAINING_BREAK_MS } from './CircuitStateMessage.js';
import { CIRCUIT_STATE_TOPIC } from './DistributedOptions.js';
import { MAX_LAMPORT_STEP } from './LwwRegisterMap.js';

// Property (issue #10 d): one hostile or out-of-range message never costs more than its bad
// entries, and no value in it stops a later write from winning on every node.

const IDS = ['n1', 'n2', 'n3'] as const;
const TARGETS = ['db', 'cache'] as const;
const BREAK_MS = 60_000; // longer than any run: an open state stays open while checked
const STRATEGIES: StrategyDefinition[] = ['db', 'cache', 'marker'].map((id) => ({
  id,
  circuitBreaker: { failureThreshold: 1, breakDurationMs: BREAK_MS },
  retry: false,
}));
const HIGH_ORIGIN = '\uffff'.repeat(16);

/** A hostile entry, built from the highest clock any node holds for its strategy. */
type HostileEntry = (strategyId: string, clock: number) => unknown;

const badLamport = fc.oneof(
  fc.constantFrom(
    0,
    -1,
    -0,
    1.5,
    Number.NaN,
    Infinity,
    -Infinity,
    2 ** 48 - 1,
    2 ** 48,
    2 ** 48 + 1,
    2 ** 53,
    2 ** 53 + 2,
    Number.MAX_SAFE_INTEGER,
    Number.MAX_SAFE_INTEGER + 1,
    1e308,
    Number.MAX_VALUE,
    MAX_LAMPORT_STEP,
    MAX_LAMPORT_STEP + 1,
  ),
  fc.integer({ min: MAX_LAMPORT_STEP, max: Number.MAX_SAFE_INTEGER }),
  fc.double(),
);
const hostileEntry: fc.Arbitrary<HostileEntry> = fc.oneof(
  // Clocks out of range, far ahead, or right at the step bound (k in -2..2 around clock + step).
  {
    weight: 4,
    arbitrary: fc.tuple(badLamport, fc.constantFrom<CircuitState>('isolated', 'closed')).map(
      ([lamport, state]): HostileEntry =>
        (strategyId) =>
          stateEntry({ strategyId, lamport, origin: HIGH_ORIGIN, state, remainingBreakMs: 0 }),
    ),
  },
  {
    weight: 2,
    arbitrary: fc.integer({ min: -2, max: 2 }).map(
      (k): HostileEntry =>
        (strategyId, clock) =>
          stateEntry({
            strategyId,
            lamport: clock + MAX_LAMPORT_STEP + k,
            origin: HIGH_ORIGIN,
            state: 'closed',
            remainingBreakMs: 0,
          }),
    ),
  },
  // Breaks out of range (or non-zero where there is no break).
  fc
    .tuple(
      fc.constantFrom(-1, -0.5, Number.NaN, Infinity, -Infinity, MAX_REMAINING_BREAK_MS + 1, 1e308, Number.MAX_VALUE),
      fc.constantFrom<CircuitState>('open', 'open', 'closed', 'isolated', 'half-open'),
    )
    .map(
      ([remainingBreakMs, state]): HostileEntry =>
        (strategyId, clock) =>
          stateEntry({ strategyId, lamport: clock + 1, origin: HIGH_ORIGIN, state, remainingBreakMs }),
    ),
  fc.constantFrom<CircuitState>('closed', 'isolated', 'half-open').map(
    (state): HostileEntry =>
      (strategyId, clock) =>
        stateEntry({ strategyId, lamport: clock + 1, origin: HIGH_ORIGIN, state, remainingBreakMs: 5 }),
  ),
  // Malformed in shape.
  fc.constantFrom<HostileEntry>(
    (strategyId, clock) => ({ ...stateEntry({ strategyId, lamport: clock + 1 }), state: 'exploded' }),
    (strategyId, clock) => ({ ...stateEntry({ strategyId, lamport: clock + 1 }), extra: true }),
    (strategyId, clock) => {
      const { reason: _, ...rest } = stateEntry({ strategyId, lamport: clock + 1 });
      return rest;
    },
    (strategyId, clock) => ({ ...stateEntry({ strategyId, lamport: clock + 1 }), origin: 'o'.repeat(10_000) }),
    (strategyId, clock) => ({ ...stateEntry({ strategyId, lamport: clock + 1 }), reason: 'r'.repeat(257) }),
    (strategyId, clock) => ({ ...stateEntry({ strategyId, lamport: clock + 1 }), lamport: String(clock + 1) }),
    (_, clock) => stateEntry({ strategyId: '__proto__', lamport: clock + 1 }),
    (_, clock) => stateEntry({ strategyId: 'no such/id', lamport: clock + 1 }),
    () => null,
    () => [],
    () => 'entry',
    () => 42,
  ),
  fc.anything().map(
    (junk): HostileEntry =>
      () =>
        junk,
  ),
  // Valid, but for a strategy no node knows: ignored, yet the clock bound still holds.
  fc.constant<HostileEntry>((_, clock) => stateEntry({ strategyId: 'unknown-strategy', lamport: clock + 1 })),
);

/** A legitimate operation before the hostile message. */
const prelude = fc.array(
  fc.record({
    node: fc.constantFrom(...IDS),
    strategy: fc.constantFrom(...TARGETS),
    op: fc.constantFrom('trip', 'reset', 'isolate', 'advance'),
  }),
  { maxLength: 12 },
);

/** Makes `node` write `state` for `strategyId`, whatever its breaker holds now. */
function write(node: ClusterNode, strategyId: string, state: 'open' | 'isolated' | 'closed'): void {
  const b = node.breaker(strategyId);
  if (state === 'closed') {
    b.isolate('before the write');
    b.reset('the later write');
  } else {
    b.reset('before the write');
    if (state === 'open') b.trip('the later write');
    else b.isolate('the later write');
  }
}

describe('CircuitStateReplicator (property: one hostile message)', () => {
  it('drops only the bad entries of a message, and a later write on any node wins on every node', async () => {
    let hostileEntriesDropped = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 0xffff_ffff }),
        prelude,
        fc.constantFrom(...TARGETS),
        fc.array(hostileEntry, { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        fc.constantFrom(...IDS),
        fc.constantFrom<'open' | 'isolated' | 'closed'>('open', 'isolated', 'closed'),
        async (seed, ops, target, hostile, oversized, writer, finalState) => {
          const { nodes, federation, clock, settle } = replicatorCluster(
            IDS,
            STRATEGIES,
            { antiEntropyIntervalMs: 1_000, syncResponseDelayMs: 5 },
            seed,
          );
          const rogue = federation.createNode('rogue');
          const all = Object.values(nodes);
          try {
            await settle();
            for (const { node, strategy, op } of ops) {
              if (op === 'advance') await clock.advanceAsync(700);
              else if (op === 'trip') nodes[node]!.breaker(strategy).trip();
              else if (op === 'reset') nodes[node]!.breaker(strategy).reset();
              else nodes[node]!.breaker(strategy).isolate();
              await flushMicrotasks();
            }
            await settle();
            const clockOf = (id: string) => Math.max(0, ...all.map((n) => n.replicator.registerOf(id)?.lamport ?? 0));
            // One message: the hostile entries for the target, and a valid newer state for `marker`.
            const entries: unknown[] = hostile.map((h) => h(target, clockOf(target)));
            entries.push(
              stateEntry({
                strategyId: 'marker',
                lamport: clockOf('marker') + 1,
                origin: 'rogue',
                state: 'isolated',
                remainingBreakMs: 0,
              }),
            );
            if (oversized) entries.push({ padding: 'p'.repeat(40_000) });
            const before = all.map((n) => n.metrics());
            await rogue.publishToAllNodes(CIRCUIT_STATE_TOPIC, stateMessage(entries, 'transition', 'rogue'));
            await settle(0);
            for (const [i, n] of all.entries()) {
              const m = n.metrics();
              if (oversized) {
                expect(m.rejected.oversized).toBe(before[i]!.rejected.oversized + 1);
              } else {
                // The valid entry of the message was applied, whatever the others were.
                expect(n.breaker('marker').state).toBe('isolated');
                expect(m.rejected).toEqual(before[i]!.rejected);
                const dropped =
                  Object.values(m.rejectedEntries).reduce((a, b) => a + b, 0) -
                  Object.values(before[i]!.rejectedEntries).reduce((a, b) => a + b, 0);
                hostileEntriesDropped += dropped;
              }
            }

            // A later write on any node wins on every node, and stays after anti-entropy.
            write(nodes[writer]!, target, finalState);
            await settle(0);
            await clock.advanceAsync(4_000);
            for (const n of all) {
              expect(n.replicator.registerOf(target)).toEqual(
                expect.objectContaining({ origin: writer, state: finalState }),
              );
              expect(n.breaker(target).state).toBe(finalState);
              expect(n.metrics().internalErrors).toBe(0);
            }
            expect(federation.getStatistics().handlerErrors).toBe(0);
          } finally {
            for (const n of all) {
              n.replicator.dispose();
              n.manager.dispose();
            }
            federation.dispose();
          }
        },
      ),
      { numRuns: 300, seed: 0x10_d },
    );
    // The generated entries are mostly rejected one by one: the check above is not vacuous.
    expect(hostileEntriesDropped).toBeGreaterThan(300);
  }, 120_000);
});
