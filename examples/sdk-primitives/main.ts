// The SDK's primitives on their own: no host, no plugin. A bulkhead bounds how many calls run at
// once, a circuit breaker stops calling a downstream that keeps failing. Virtual time keeps the
// output identical on every run; leave the clock argument out to use real time.
import {
  InMemoryBulkheadIsolation,
  InMemoryCircuitBreaker,
  VirtualClock,
  isBulkheadRejectedError,
  isCircuitOpenError,
} from '@datawarehouse/sdk';

const clock = new VirtualClock();

// --- Bulkhead: 2 calls run at once, 1 more may wait in the queue, the rest is rejected at once.
const bulkhead = new InMemoryBulkheadIsolation(
  'inventory',
  { maxConcurrency: 2, maxQueueSize: 1, queueTimeoutMs: 1_000 },
  clock,
);

/** Holds a bulkhead slot for `workMs` of (virtual) time. */
async function guarded(name: string, workMs: number): Promise<string> {
  const lease = bulkhead.tryAcquire() ?? (await bulkhead.acquire());
  try {
    await new Promise<void>((resolve) => clock.setTimeout(resolve, workMs));
    return `${name} done at ${clock.now()} ms`;
  } finally {
    lease.release(); // idempotent
  }
}

const calls = ['a', 'b', 'c', 'd'].map((name) =>
  guarded(name, 100).catch((e: unknown) => {
    if (isBulkheadRejectedError(e)) return `${name} rejected (${e.reason})`;
    throw e;
  }),
);
await clock.runAllAsync();
for (const line of await Promise.all(calls)) console.log(`bulkhead: ${line}`);
const stats = bulkhead.getStatistics();
console.log(
  `bulkhead: admitted ${stats.admitted}, rejected ${stats.rejectedQueueFull}, peak running ${stats.peakRunning}`,
);

// --- Circuit breaker: opens after 3 consecutive failures, probes again after 5 s.
const breaker = new InMemoryCircuitBreaker(
  'inventory',
  { mode: 'consecutive', failureThreshold: 3, breakDurationMs: 5_000 },
  clock,
);
breaker.events.on('stateChanged', (c) => {
  console.log(`breaker: ${c.previousState} -> ${c.newState} (${c.reason}) at ${clock.now()} ms`);
});

let healthy = false;
const downstream = async (): Promise<string> => {
  if (!healthy) throw new Error('connection refused');
  return 'ok';
};

for (let call = 1; call <= 4; call++) {
  try {
    await breaker.execute(downstream);
  } catch (e) {
    const why = isCircuitOpenError(e) ? `circuit open, retry in ${e.retryAfterMs} ms` : (e as Error).message;
    console.log(`breaker: call ${call} failed: ${why}`);
  }
}

clock.advance(5_000); // the break elapses; the next call is a probe
healthy = true;
const answer = await breaker.execute(downstream);
console.log(`breaker: call 5 ${answer}, state ${breaker.state}`);
