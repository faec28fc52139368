/**
 * Cost of a new partition key when every partition of a `PartitionedBulkhead` is busy (issue #10
 * item 12): refused with CapacityExceededError when none is idle, or evicting the only idle one
 * (the most recently used, the worst case of a scan from the least recently used end).
 * Partitions are made busy through `tryAcquire(key)` (what the pipeline does) and, for
 * comparison, through leases taken directly on `get(key)`'s bulkhead, which this class cannot
 * count and must still scan past.
 *
 * `node --conditions=source --import tsx src/bench/partitionedEviction.ts [partitions]` in
 * `test/` (default 50 000 partitions). Prints the median of 7 rounds per case.
 */
import { isCapacityExceededError } from '@datawarehouse/sdk';
import { PartitionedBulkhead } from '@datawarehouse/plugin-ultimate-resilience/internals';

type Busy = 'tryAcquire(key)' | 'get(key).tryAcquire()';

function bulkheadWithBusyPartitions(n: number, busy: Busy, oneIdle: boolean): PartitionedBulkhead {
  const p = new PartitionedBulkhead('bench', { maxConcurrency: 1, maxQueueSize: 0 }, n);
  const busyCount = oneIdle ? n - 1 : n;
  for (let i = 0; i < busyCount; i++) {
    const lease = busy === 'tryAcquire(key)' ? p.tryAcquire(`busy-${i}`) : p.get(`busy-${i}`).tryAcquire();
    if (lease === undefined) throw new Error('setup: a fresh partition refused a slot');
  }
  if (oneIdle) p.get('idle-0');
  return p;
}

/** Median µs per new key; each new key is evicted by the next one when one partition is idle. */
function measure(n: number, busy: Busy, oneIdle: boolean, calls: number): number {
  const p = bulkheadWithBusyPartitions(n, busy, oneIdle);
  let next = 0;
  const round = (count: number): number => {
    const started = performance.now();
    for (let i = 0; i < count; i++) {
      try {
        p.get(`new-${next++}`);
      } catch (error) {
        if (!isCapacityExceededError(error)) throw error;
      }
    }
    return ((performance.now() - started) * 1000) / count;
  };
  round(Math.min(calls, 100)); // warm-up
  const rounds = Array.from({ length: 7 }, () => round(calls)).sort((a, b) => a - b);
  return rounds[3]!;
}

const n = Number(process.argv[2] ?? 50_000);
if (!Number.isInteger(n) || n < 2) throw new Error(`partitions must be an integer >= 2, got ${process.argv[2]}`);
console.log(`| new key, ${n.toLocaleString('en-US')} partitions | partitions made busy by | µs per new key |`);
console.log('|---|---|---:|');
for (const busy of ['tryAcquire(key)', 'get(key).tryAcquire()'] as const) {
  const scans = busy !== 'tryAcquire(key)';
  for (const oneIdle of [false, true]) {
    const us = measure(n, busy, oneIdle, scans ? 50 : 20_000);
    const what = oneIdle ? 'evicts the only idle partition' : 'none idle: CapacityExceededError';
    console.log(`| ${what} | \`${busy}\` | ${us < 10 ? us.toFixed(2) : us.toFixed(0)} |`);
  }
}
