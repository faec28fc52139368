/**
 * Hot paths of the five windowed counters built on `TimeBucketRing` (issue #14): what one
 * resilience call costs each of them — `FailureWindow.record`, `WindowedCounter.addPair`,
 * `WindowedHistogram.record`, `SlidingWindowRateLimiter.tryAcquire` — plus one
 * `SlidingWindowMetrics.record` per interval, two reads, and the bare ring. Virtual time
 * advances by 1 ms per call, so buckets rotate as they would under load. Also counts the
 * garbage collections during the timed loops: none means the loop did not allocate (times and
 * values are small integers, so passing them allocates nothing either).
 *
 * `node --expose-gc --conditions=source --import tsx src/bench/timeBucketRing.ts [rounds]` in
 * `test/` (default 15 rounds of ~2 M calls per case, interleaved). Prints the median ns per
 * call of each case, with the median absolute deviation.
 */
import { PerformanceObserver, constants } from 'node:perf_hooks';
import * as sdk from '@datawarehouse/sdk/internals';
import {
  SlidingWindowMetrics,
  SlidingWindowRateLimiter,
  WindowedCounter,
  WindowedHistogram,
} from '@datawarehouse/plugin-ultimate-resilience/internals';
import type { IntervalSample } from '@datawarehouse/plugin-ultimate-resilience/internals';
import { FailureWindow } from '../../../sdk/src/breaker/FailureWindow.js';
import { summarize } from './stats.js';

interface Case {
  readonly id: string;
  readonly calls: number;
  /** Runs `calls` calls on a fresh instance; returns something derived, so the work is not dropped. */
  readonly run: (calls: number) => number;
}

const SAMPLE: IntervalSample = Object.freeze({
  calls: 100,
  successes: 95,
  failures: 5,
  timeouts: 1,
  attempts: 104,
  rejectedBulkhead: 0,
  rejectedCircuitOpen: 0,
  rejectedRateLimited: 0,
  p50Ms: 3,
  p99Ms: 40,
  queued: 2,
});

// Geometries of the default strategy: breaker window 60 s in 10 buckets, metrics 60 s in 12
// buckets of 5 fields and 3 histogram slices; a rate limit of 10 segments.
const CASES: Case[] = [
  {
    id: 'FailureWindow.record',
    calls: 2_000_000,
    run: (calls) => {
      const w = new FailureWindow(60_000, 10);
      let t = 0;
      for (let i = 0; i < calls; i++, t++) w.record(t, (i & 15) === 0, false);
      return w.calls;
    },
  },
  {
    id: 'FailureWindow.advance + calls',
    calls: 2_000_000,
    run: (calls) => {
      const w = new FailureWindow(60_000, 10);
      let s = 0;
      let t = 0;
      for (let i = 0; i < calls; i++, t++) {
        w.advance(t);
        s += w.calls;
      }
      return s;
    },
  },
  {
    id: 'WindowedCounter.addPair',
    calls: 2_000_000,
    run: (calls) => {
      const w = new WindowedCounter(60_000, 12, 5);
      let t = 0;
      for (let i = 0; i < calls; i++, t++) w.addPair(0, 1 + (i & 1), t);
      return w.sum(0, t);
    },
  },
  {
    id: 'WindowedCounter.sum',
    calls: 500_000,
    run: (calls) => {
      const w = new WindowedCounter(60_000, 12, 5);
      for (let t = 0; t < 60_000; t += 100) w.addPair(0, 1, t);
      let s = 0;
      let t = 60_000;
      for (let i = 0; i < calls; i++, t++) s += w.sum(1, t);
      return s;
    },
  },
  {
    id: 'WindowedHistogram.record',
    calls: 2_000_000,
    run: (calls) => {
      const h = new WindowedHistogram(60_000, 3);
      let t = 0;
      for (let i = 0; i < calls; i++, t++) h.record(1 + (i & 1023), t);
      return h.count(t);
    },
  },
  {
    id: 'SlidingWindowRateLimiter.tryAcquire',
    calls: 2_000_000,
    run: (calls) => {
      // Admits about 2 of 3 calls: both the admit and the reject (wait) paths run.
      const limiter = new SlidingWindowRateLimiter({ limit: 10_000, windowMs: 15_000, segments: 10 });
      let waited = 0;
      let t = 0;
      for (let i = 0; i < calls; i++, t++) waited += limiter.tryAcquire(t);
      return waited;
    },
  },
  {
    id: 'SlidingWindowMetrics.record (1 per interval)',
    calls: 500_000,
    run: (calls) => {
      const m = new SlidingWindowMetrics(10_000, 90);
      let t = 0;
      for (let i = 0; i < calls; i++, t += 10_000) m.record(t, SAMPLE);
      return m.maxWindowMs;
    },
  },
];

// The ring itself, when this tree has one (a tree from before it still runs the rest).
const Ring = (sdk as Record<string, unknown>).TimeBucketRing as typeof sdk.TimeBucketRing | undefined;
if (Ring !== undefined) {
  CASES.push({
    id: 'TimeBucketRing advance + addCounted',
    calls: 2_000_000,
    run: (calls) => {
      const ring = new Ring(6_000, 10, 3, { totals: true });
      let t = 0;
      for (let i = 0; i < calls; i++, t++) {
        ring.addCounted(ring.advance(ring.epochOf(t)), 0, 1);
      }
      return ring.total(0);
    },
  });
}

// Collections the loops caused: the forced ones between loops do not count.
let gcs = 0;
const observer = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const flags = (entry as { detail?: { flags?: number } }).detail?.flags ?? 0;
    if ((flags & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED) === 0) gcs++;
  }
});
observer.observe({ entryTypes: ['gc'] });
// GC entries reach the observer a little later: wait for them before and after each loop.
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));
const collect = (globalThis as { gc?: () => void }).gc;

const rounds = Number(process.argv[2] ?? 15);
if (!Number.isInteger(rounds) || rounds < 1)
  throw new Error(`rounds must be a positive integer, got ${process.argv[2]}`);
const ns = new Map<string, number[]>(CASES.map((c) => [c.id, []]));
const gcsDuring = new Map<string, number>(CASES.map((c) => [c.id, 0]));
let sink = 0;
for (const c of CASES) sink += c.run(c.calls / 10); // warm-up
for (let r = 0; r < rounds; r++) {
  for (const c of CASES) {
    collect?.();
    await settle();
    const before = gcs;
    const started = process.hrtime.bigint();
    sink += c.run(c.calls);
    const elapsed = Number(process.hrtime.bigint() - started);
    await settle();
    ns.get(c.id)!.push(elapsed / c.calls);
    gcsDuring.set(c.id, gcsDuring.get(c.id)! + gcs - before);
  }
}
observer.disconnect();

console.log(`| case | ns/call (median of ${rounds}) | ± MAD | GCs during timed loops |`);
console.log('|---|---:|---:|---:|');
for (const c of CASES) {
  const s = summarize(ns.get(c.id)!);
  console.log(`| ${c.id} | ${s.median.toFixed(1)} | ${(s.relativeMad * 100).toFixed(1)}% | ${gcsDuring.get(c.id)} |`);
}
if (!Number.isFinite(sink)) console.log(sink);
