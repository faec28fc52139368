// A flood of invalid messages at a given rate, in its own process so the test process that
// measures /health latency is not the one busy publishing. Run with `node --import tsx`.
// argv: redisUrl channel ratePerSecond durationMs. Prints one JSON line at the end.
import { randomBytes, randomUUID } from 'node:crypto';
import { createClient } from 'redis';

const [url, channel = '', rateText, durationText] = process.argv.slice(2);
const rate = Number(rateText);
const durationMs = Number(durationText);
const TICK_MS = 10;

// What a hostile publisher without the key can send, weighted to the most expensive kind for
// the receiver (a well-formed v2 header with a known key id: it costs one HMAC each).
function invalid(i: number): string {
  const json = JSON.stringify({
    id: randomUUID(),
    type: 'circuit-state',
    sourceNodeId: 'node-a',
    sourcePluginId: 'ultimate-resilience',
    timestamp: Date.now(),
    nonce: randomBytes(16).toString('base64url'),
    expiresAt: Date.now() + 10_000,
    payload: {
      v: 1,
      kind: 'sync',
      entries: [
        {
          strategyId: 'shared-db',
          lamport: 1e9,
          origin: 'x',
          state: 'isolated',
          remainingBreakMs: 0,
          reason: 'x'.repeat(400),
        },
      ],
    },
  });
  switch (i % 10) {
    case 0:
      return `dw2.unknown-key.${randomBytes(32).toString('base64url')}.${json}`;
    case 1:
      return `{"id": "not even json ${i}`;
    case 2:
      return json; // version 1 (JSON first): not read
    default:
      return `dw2.default.${randomBytes(32).toString('base64url')}.${json}`;
  }
}

const client = createClient({ url });
client.on('error', () => undefined);
await client.connect();
const perTick = Math.max(1, Math.round((rate * TICK_MS) / 1000));
const start = performance.now();
let sent = 0;
let next = start;
while (performance.now() - start < durationMs) {
  const batch: Promise<number>[] = [];
  for (let k = 0; k < perTick; k++) batch.push(client.publish(channel, invalid(sent++)));
  await Promise.all(batch);
  next += TICK_MS;
  const wait = next - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}
const elapsedMs = performance.now() - start;
console.log(JSON.stringify({ sent, elapsedMs, ratePerSecond: (sent * 1000) / elapsedMs }));
client.destroy();
