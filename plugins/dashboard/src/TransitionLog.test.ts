import { describe, expect, it } from 'vitest';
import { transitionEvent as event } from './testing/transitionEvent.js';
import { TransitionLog } from './TransitionLog.js';

describe('TransitionLog', () => {
  it('keeps the last `capacity` transitions in order, numbered, with the wall-clock time', () => {
    let now = 100;
    const log = new TransitionLog(3, () => now++);
    for (const id of ['a', 'b', 'c', 'd', 'e']) log.record(event(id));
    expect(log.lastSeq).toBe(5);
    expect(log.since().map((e) => [e.seq, e.strategyId, e.at])).toEqual([
      [3, 'c', 102],
      [4, 'd', 103],
      [5, 'e', 104],
    ]);
    expect(log.since(4).map((e) => e.strategyId)).toEqual(['e']);
    expect(log.since(5)).toEqual([]);
  });

  it('tracks the nodes remote transitions name, most recent first, and bounds reasons', () => {
    const log = new TransitionLog(10, () => 7);
    const before = log.nodesRevision;
    log.record(event('a', { origin: 'operator', reason: 'x'.repeat(500) }));
    expect(log.nodesRevision).toBe(before);
    expect(log.since()[0]!.reason).toHaveLength(200);
    log.record(event('a', { origin: 'remote', remoteNode: 'n2' }));
    log.record(event('b', { origin: 'remote', remoteNode: 'n3', to: 'half-open' }));
    log.record(event('c', { origin: 'remote', remoteNode: 'n2', to: 'closed' }));
    log.record(event('d', { origin: 'remote' })); // no node named: logged, no node entry
    expect(log.nodes()).toEqual([
      { node: 'n2', lastAt: 7, strategyId: 'c', to: 'closed', transitions: 2 },
      { node: 'n3', lastAt: 7, strategyId: 'b', to: 'half-open', transitions: 1 },
    ]);
    expect(log.nodesRevision).toBe(before + 3);
    expect(log.since().at(-1)).toMatchObject({ strategyId: 'd', origin: 'remote' });
  });

  it('keeps at most 256 nodes, dropping the one heard from least recently', () => {
    const log = new TransitionLog(1);
    for (let i = 0; i < 300; i++) log.record(event('s', { origin: 'remote', remoteNode: `n${i}` }));
    const nodes = log.nodes();
    expect(nodes).toHaveLength(256);
    expect(nodes[0]!.node).toBe('n299');
    expect(nodes.at(-1)!.node).toBe('n44');
  });
});
