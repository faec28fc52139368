import { describe, expect, it } from 'vitest';
import type { StrategyDefinition } from '../strategies/StrategyDefinition.js';
import { replicatorCluster } from '../testing/replicatorCluster.js';
import { Digest, bucketOf, decodeBucketHashes } from './DigestIndex.js';
import { resolveDistributedOptions } from './DistributedOptions.js';

// Enough strategies that the state does not fit one message (maxEntriesPerMessage 4), so
// anti-entropy takes the digest path: root, bucket hashes, differing buckets, differences.
const STRATEGIES: StrategyDefinition[] = Array.from({ length: 40 }, (_, i) => ({
  id: `s${i}`,
  circuitBreaker: { failureThreshold: 2, breakDurationMs: 600_000 },
  retry: false,
}));
const OPTIONS = { antiEntropyIntervalMs: 1_000, maxEntriesPerMessage: 4, digestBuckets: 16, syncResponseDelayMs: 5 };

function registers(node: { replicator: { registerOf(id: string): unknown } }) {
  return STRATEGIES.map((s) => node.replicator.registerOf(s.id));
}

describe('CircuitStateReplicator (digest anti-entropy)', () => {
  it('after a partition heals, converges by exchanging only the buckets that differ', async () => {
    const { nodes, federation, settle } = replicatorCluster(['a', 'b', 'c', 'd'], STRATEGIES, OPTIONS, 5);
    await settle(100);
    // Twenty registers held everywhere: more than one message (4 entries), so no full-state shortcut.
    for (let i = 1; i <= 20; i++) await nodes.a!.manager.invokeActionAsync('trip', { strategyId: `s${i}` });
    await settle(100);
    federation.partition([
      ['a', 'b'],
      ['c', 'd'],
    ]);
    await nodes.a!.manager.invokeActionAsync('reset', { strategyId: 's2' });
    await nodes.c!.manager.invokeActionAsync('isolate', { strategyId: 's3' });
    await nodes.d!.manager.invokeActionAsync('reset', { strategyId: 's1' });
    await settle(100);
    expect(registers(nodes.a!)).not.toEqual(registers(nodes.c!));
    const before = Object.fromEntries(Object.entries(nodes).map(([id, n]) => [id, n.metrics().digest]));
    federation.heal();
    await settle(2_500); // at most two rounds, plus the answers' delays
    for (const id of ['b', 'c', 'd']) expect(registers(nodes[id]!)).toEqual(registers(nodes.a!));
    expect(nodes.a!.manager.getCircuitBreaker('s3')!.state).toBe('isolated');
    expect(nodes.c!.manager.getCircuitBreaker('s2')!.state).toBe('closed');
    expect(nodes.b!.manager.getCircuitBreaker('s1')!.state).toBe('closed'); // d's reset is newer
    const sum = (k: 'bucketDigestsSent' | 'bucketsSent' | 'fullStateAnswers' | 'diffEntriesSent') =>
      Object.entries(nodes).reduce((t, [id, n]) => t + n.metrics().digest[k] - before[id]![k], 0);
    expect(sum('bucketDigestsSent')).toBeGreaterThanOrEqual(1);
    expect(sum('bucketsSent')).toBeGreaterThanOrEqual(1);
    expect(sum('fullStateAnswers')).toBe(0);
    // Three strategies differ: at most their buckets travel whole (3 of 16), plus differences.
    expect(sum('bucketsSent')).toBeLessThanOrEqual(6);
    expect(sum('diffEntriesSent')).toBeLessThanOrEqual(6);
  });

  it('at steady state a round is one small root digest per node, nothing else', async () => {
    const { nodes, settle } = replicatorCluster(['a', 'b', 'c'], STRATEGIES, OPTIONS, 5);
    await settle(100);
    for (let i = 1; i <= 20; i++) await nodes.a!.manager.invokeActionAsync('trip', { strategyId: `s${i}` });
    await settle(3_000);
    const before = nodes.b!.metrics();
    await settle(5_000); // five rounds
    const after = nodes.b!.metrics();
    expect(after.digest.rootsSent - before.digest.rootsSent).toBe(5);
    expect(after.digest.rootsReceived - before.digest.rootsReceived).toBe(10);
    expect(after.digest.bucketDigestsSent).toBe(before.digest.bucketDigestsSent);
    expect(after.published.syncMessages).toBe(before.published.syncMessages);
    expect((after.digest.bytesSent - before.digest.bytesSent) / 5).toBeLessThan(300);
  });

  it('with the full mode, a round publishes the whole state as before', async () => {
    const { nodes, settle } = replicatorCluster(['a', 'b'], STRATEGIES, { ...OPTIONS, antiEntropy: 'full' }, 5);
    await settle(100);
    await nodes.a!.manager.invokeActionAsync('trip', { strategyId: 's7' });
    await settle(100);
    const before = nodes.b!.metrics().published.syncMessages;
    await settle(1_000);
    expect(nodes.b!.metrics().published.syncMessages).toBeGreaterThan(before);
    expect(nodes.b!.metrics().digest.rootsSent).toBe(0);
  });

  it('digests are independent of insertion order and change with any version', () => {
    const v = (lamport: number, origin = 'a') => ({ lamport, origin });
    const one = Digest.of(
      [
        ['x', v(1)],
        ['y', v(2)],
      ],
      16,
    );
    const two = Digest.of(
      [
        ['y', v(2)],
        ['x', v(1)],
      ],
      16,
    );
    expect(two.root).toBe(one.root);
    expect(
      Digest.of(
        [
          ['x', v(1, 'b')],
          ['y', v(2)],
        ],
        16,
      ).root,
    ).not.toBe(one.root);
    expect(decodeBucketHashes(one.encoded(), 16)).toEqual(one.hashes);
    expect(decodeBucketHashes('zz', 16)).toBeUndefined();
    expect(bucketOf('x', 16)).toBe(bucketOf('x', 16));
  });

  it('validates the digest options, naming the field', () => {
    expect(() => resolveDistributedOptions({ antiEntropy: 'gossip' })).toThrow(/distributed\.antiEntropy/);
    expect(() => resolveDistributedOptions({ digestBuckets: 8 })).toThrow(/distributed\.digestBuckets/);
    expect(() => resolveDistributedOptions({ digestBuckets: 4096 })).toThrow(/distributed\.digestBuckets/);
  });
});
