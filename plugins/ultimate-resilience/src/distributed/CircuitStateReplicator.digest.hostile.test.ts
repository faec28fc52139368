import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createPluginMessage } from '@datawarehouse/sdk';
import type { StrategyDefinition } from '../strategies/StrategyDefinition.js';
import { replicatorCluster, stateEntry } from '../testing/replicatorCluster.js';
import { CIRCUIT_STATE_TOPIC } from './DistributedOptions.js';

const STRATEGIES: StrategyDefinition[] = [
  { id: 'db', circuitBreaker: { failureThreshold: 2, breakDurationMs: 10_000 }, retry: false },
];
const msg = (type: string, payload: unknown) =>
  createPluginMessage(type, payload, { nodeId: 'evil', pluginId: 'ultimate-resilience' });

describe('CircuitStateReplicator (hostile digests and bucket messages)', () => {
  it('drops malformed digests and bucket messages as malformed, applies nothing, never throws', async () => {
    const { nodes, federation, settle } = replicatorCluster(['a'], STRATEGIES, { digestBuckets: 16 });
    await settle();
    const evil = federation.createNode('evil');
    const bad = [
      msg('circuit-digest', { v: 1, b: 16, n: 1, root: 'zzzzzzzz' }),
      msg('circuit-digest', { v: 1, b: 16, n: 1, root: '00000000', hashes: 'ab' }),
      msg('circuit-digest', { v: 1, b: 5000, n: 1, root: '00000000' }),
      msg('circuit-digest', { v: 1, b: 16, n: -1, root: '00000000' }),
      msg('circuit-digest', { v: 2, b: 16, n: 1, root: '00000000' }),
      msg('circuit-digest', { v: 1, b: 16, n: 1, root: '00000000', extra: 1 }),
      msg('circuit-state', { v: 1, kind: 'bucket', b: 16, buckets: [16], entries: [] }),
      msg('circuit-state', { v: 1, kind: 'bucket', b: 16, buckets: [], entries: [] }),
      msg('circuit-state', { v: 1, kind: 'bucket', entries: [stateEntry()] }),
      msg('circuit-state', { v: 1, kind: 'sync', b: 16, buckets: [1], entries: [stateEntry()] }),
    ];
    for (const m of bad) await evil.publishToAllNodes(CIRCUIT_STATE_TOPIC, m);
    await settle(1_000);
    const metrics = nodes.a!.metrics();
    expect(metrics.rejected.malformed).toBe(bad.length);
    expect(metrics.applied).toBe(0);
    expect(metrics.internalErrors).toBe(0);
    expect(nodes.a!.breaker().state).toBe('closed');
  });

  it('a digest with another bucket count is counted and ignored; valid digests from a peer cost bounded answers', async () => {
    const { nodes, federation, settle } = replicatorCluster(['a'], STRATEGIES, {
      digestBuckets: 16,
      maxEntriesPerMessage: 1,
    });
    await settle();
    nodes.a!.breaker().trip();
    nodes.a!.breaker().reset();
    const evil = federation.createNode('evil');
    await evil.publishToAllNodes(CIRCUIT_STATE_TOPIC, msg('circuit-digest', { v: 1, b: 32, n: 5, root: '00000000' }));
    await settle(10);
    expect(nodes.a!.metrics().digest.bucketMismatch).toBe(1);
    // A flood of differing bucket-level digests: at most one pending answer per bucket.
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 128, maxLength: 128 }), {
          maxLength: 50,
        }),
        async (hs) => {
          const sentBefore = nodes.a!.metrics().digest.bucketsSent;
          for (const hashes of hs) {
            const h = hashes.toLowerCase();
            await evil.publishToAllNodes(
              CIRCUIT_STATE_TOPIC,
              msg('circuit-digest', { v: 1, b: 16, n: 9, root: '00000001', hashes: h }),
            );
          }
          await settle(200);
          expect(nodes.a!.metrics().digest.bucketsSent - sentBefore).toBeLessThanOrEqual(16);
        },
      ),
      { numRuns: 20 },
    );
    expect(nodes.a!.metrics().internalErrors).toBe(0);
  });
});
