// `npm run simulate:federation` (test/package.json): the digest anti-entropy simulation at full
// size, 100 nodes × 10 000 strategies, digest and full-state anti-entropy side by side, virtual
// time on the in-memory federation. Arguments: [nodes] [strategies] [modes, comma-separated].
import { runFederationSimulation } from './federationSimulation.js';

const nodes = Number(process.argv[2] ?? 100);
const strategies = Number(process.argv[3] ?? 10_000);
const modes = (process.argv[4] ?? 'digest,full').split(',') as ('digest' | 'full')[];
for (const antiEntropy of modes) {
  const r = await runFederationSimulation({ nodes, strategies, antiEntropy });
  console.log(JSON.stringify(r));
}
