import { describe, expect, it } from 'vitest';
import { runFederationSimulation } from './federationSimulation.js';

// Issue #15 item 3 at a reduced size for CI (the full 100 × 10 000 runs with
// `npm --prefix test run simulate:federation`): virtual time, seeded, so the figures are the
// same on every run; the bounds below hold them.
describe('digest anti-entropy simulation (in-memory federation, virtual time)', () => {
  it('20 nodes × 2 000 strategies: converges after a partition heals; steady state costs a fraction of full-state sync', async () => {
    const digest = await runFederationSimulation({ nodes: 20, strategies: 2_000, antiEntropy: 'digest' });
    const full = await runFederationSimulation({ nodes: 20, strategies: 2_000, antiEntropy: 'full' });
    console.log('federation simulation', JSON.stringify({ digest, full }));
    expect(digest.convergenceMs).toBeDefined();
    expect(full.convergenceMs).toBeDefined();
    // The next round, then root → bucket hashes → buckets → differences, each answer within 100 ms.
    expect(digest.convergenceMs!).toBeLessThanOrEqual(30_000 + 1_000);
    expect(digest.afterRoundMs!).toBeGreaterThan(0);
    expect(digest.afterRoundMs!).toBeLessThanOrEqual(1_000);
    // Steady state: root digests only, against every node's whole state every round.
    expect(digest.steadyReceivedBytesPerSecPerNode).toBeLessThan(full.steadyReceivedBytesPerSecPerNode / 100);
    expect(digest.healBytesSent).toBeLessThan(full.healBytesSent / 5);
  }, 60_000);
});
