import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LwwRegisterMap, MAX_LAMPORT, MAX_LAMPORT_STEP, compareVersions } from './LwwRegisterMap.js';
import { MAX_REMAINING_BREAK_MS } from './CircuitStateMessage.js';
import type { CircuitStateEntry } from './CircuitStateMessage.js';

const STATES = ['closed', 'half-open', 'isolated'] as const;
// A version is written once, by its origin: the value is a function of (strategy, lamport, origin).
const entryArb: fc.Arbitrary<CircuitStateEntry> = fc
  .record({
    strategyId: fc.constantFrom('a', 'b'),
    lamport: fc.integer({ min: 1, max: 6 }),
    origin: fc.constantFrom('n1', 'n2', 'n3'),
  })
  .map((v) => ({
    ...v,
    state: STATES[(v.lamport + Number(v.origin.slice(1))) % STATES.length]!,
    remainingBreakMs: 0,
    reason: `${v.origin}@${v.lamport}`,
  }));

describe('LwwRegisterMap', () => {
  it('orders versions by Lamport clock, then node id', () => {
    expect(compareVersions({ lamport: 2, origin: 'a' }, { lamport: 1, origin: 'z' })).toBe(1);
    expect(compareVersions({ lamport: 1, origin: 'a' }, { lamport: 1, origin: 'b' })).toBe(-1);
    expect(compareVersions({ lamport: 3, origin: 'n' }, { lamport: 3, origin: 'n' })).toBe(0);
  });

  it('numbers local writes from the strategy clock, one clock per strategy', () => {
    const map = new LwwRegisterMap('me');
    expect(map.writeLocal('a', 'open', 'x', 500)).toMatchObject({ lamport: 1, origin: 'me', openUntil: 500 });
    expect(map.writeLocal('a', 'closed', 'x', 999)).toMatchObject({ lamport: 2, openUntil: 0 });
    expect(map.writeLocal('b', 'open', 'x', 1)).toMatchObject({ lamport: 1 });
    map.offer({ strategyId: 'a', lamport: 9, origin: 'other', state: 'isolated', remainingBreakMs: 0, reason: 'r' }, 0);
    expect(map.writeLocal('a', 'closed', 'x', 0).lamport).toBe(10);
  });

  it('adopts only newer versions and reports stale and duplicate ones', () => {
    const map = new LwwRegisterMap('me');
    const e = {
      strategyId: 'a',
      lamport: 3,
      origin: 'n2',
      state: 'open' as const,
      remainingBreakMs: 1_000,
      reason: 'r',
    };
    expect(map.offer(e, 50)).toBe('adopted');
    expect(map.get('a')).toMatchObject({ lamport: 3, origin: 'n2', openUntil: 1_050 });
    expect(map.offer(e, 60)).toBe('duplicate');
    expect(map.offer({ ...e, origin: 'n1' }, 60)).toBe('stale');
    expect(map.offer({ ...e, origin: 'n3', state: 'closed', remainingBreakMs: 0 }, 60)).toBe('adopted');
    expect(map.get('a')?.state).toBe('closed');
  });

  it('turns the held absolute break back into a relative one on the wire', () => {
    const map = new LwwRegisterMap('me');
    const v = map.writeLocal('a', 'open', 'r', 10_000);
    expect(LwwRegisterMap.toEntry('a', v, 4_000).remainingBreakMs).toBe(6_000);
    expect(LwwRegisterMap.toEntry('a', v, 12_000).remainingBreakMs).toBe(0);
  });

  it('never sends more break than receivers accept (MAX_REMAINING_BREAK_MS), however long the local one', () => {
    const map = new LwwRegisterMap('me');
    const v = map.writeLocal('a', 'open', 'r', 1_000 + 10 * MAX_REMAINING_BREAK_MS);
    expect(LwwRegisterMap.toEntry('a', v, 1_000).remainingBreakMs).toBe(MAX_REMAINING_BREAK_MS);
  });

  it('ends in the same state whatever the order and duplication of the offers (the max version)', () => {
    fc.assert(
      fc.property(fc.array(entryArb, { minLength: 1, maxLength: 20 }), fc.integer(), (entries, seed) => {
        const forward = new LwwRegisterMap('x');
        for (const e of entries) forward.offer(e, 0);
        const shuffled = fc.sample(fc.shuffledSubarray([...entries, ...entries], { minLength: entries.length * 2 }), {
          numRuns: 1,
          seed,
        })[0]!;
        const other = new LwwRegisterMap('y');
        for (const e of shuffled) other.offer(e, 0);
        for (const id of ['a', 'b']) {
          const own = entries.filter((e) => e.strategyId === id);
          expect(other.get(id)).toEqual(forward.get(id));
          if (own.length === 0) continue;
          const max = own.reduce((m, e) => (compareVersions(e, m) > 0 ? e : m));
          expect(forward.get(id)).toMatchObject({ lamport: max.lamport, origin: max.origin });
        }
      }),
    );
  });

  it('adopts a clock at most MAX_LAMPORT_STEP ahead of its own, and a local write then beats it', () => {
    const e = (lamport: number) => ({
      strategyId: 'a',
      lamport,
      origin: '\uffff',
      state: 'closed' as const,
      remainingBreakMs: 0,
      reason: 'r',
    });
    for (const held of [0, 5, 2 ** 48]) {
      const map = new LwwRegisterMap('me');
      while (map.clockOf('a') < held) map.observe('a', held); // one step at a time
      const at = held + MAX_LAMPORT_STEP;
      expect(map.compare(e(at + 1))).toBe('tooFar');
      expect(map.offer(e(at), 0)).toBe('adopted');
      expect(map.clockOf('a')).toBe(at);
      const mine = map.writeLocal('a', 'open', 'x', 1);
      expect(compareVersions(mine, e(at))).toBe(1);
    }
  });

  it('drops a clock further ahead but moves its own clock one step towards it, so a later local write still beats everything', () => {
    for (const far of [2 ** 48, 2 ** 48 + 1, MAX_LAMPORT, MAX_LAMPORT_STEP + 1]) {
      const map = new LwwRegisterMap('me');
      expect(
        map.offer(
          { strategyId: 'a', lamport: far, origin: '\uffff', state: 'isolated', remainingBreakMs: 0, reason: 'r' },
          0,
        ),
      ).toBe('tooFar');
      expect(map.get('a')).toBeUndefined();
      expect(map.clockOf('a')).toBe(MAX_LAMPORT_STEP);
      expect(map.writeLocal('a', 'open', 'x', 1).lamport).toBe(MAX_LAMPORT_STEP + 1);
    }
  });

  it('needs over two million far-ahead entries to bring a clock to the top, where local writes saturate', () => {
    expect(Math.ceil(MAX_LAMPORT / MAX_LAMPORT_STEP)).toBeGreaterThan(2_000_000);
    const map = new LwwRegisterMap('me');
    map.observe('a', MAX_LAMPORT - 1);
    expect(map.clockOf('a')).toBe(MAX_LAMPORT_STEP);
    // Directly at the top (only reachable one step at a time): writes saturate, ties break by node id.
    const top = new LwwRegisterMap('me');
    while (top.clockOf('a') < MAX_LAMPORT) top.observe('a', MAX_LAMPORT);
    expect(top.clockOf('a')).toBe(MAX_LAMPORT);
    expect(top.writeLocal('a', 'open', 'x', 1).lamport).toBe(MAX_LAMPORT);
  });

  it('keeps a strategy clock across delete and advances it on observe without a value', () => {
    const map = new LwwRegisterMap('me');
    map.observe('a', 7);
    expect(map.get('a')).toBeUndefined();
    expect(map.writeLocal('a', 'open', 'x', 1).lamport).toBe(8);
    map.delete('a');
    expect(map.get('a')).toBeUndefined();
    expect(map.writeLocal('a', 'closed', 'x', 0).lamport).toBe(9);
    map.observe('a', 3);
    expect(map.clockOf('a')).toBe(9);
  });
});
