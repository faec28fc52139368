import { VirtualClock, systemClock } from '@datawarehouse/sdk';
import { ResilienceScalingManager, StrategyRegistry } from '@datawarehouse/plugin-ultimate-resilience';
import type { StrategyDefinition } from '@datawarehouse/plugin-ultimate-resilience';
import { collectGarbage } from './harness.js';
import { median } from './stats.js';
import { FULL_STRATEGY } from './cases/ourCases.js';
import { DOWNSTREAM_ERROR, RESULT } from './cases/operations.js';

/** Bytes held: the JS heap plus `ArrayBuffer` backing stores (typed arrays above 64 bytes live off-heap). */
export interface HeapReading {
  readonly heapUsed: number;
  readonly arrayBuffers: number;
  readonly total: number;
}

/** Reads memory after a full GC. @throws Error when the process runs without `--expose-gc`. */
export function readHeap(): HeapReading {
  if ((globalThis as { gc?: unknown }).gc === undefined) throw new Error('memory measurements need node --expose-gc');
  collectGarbage();
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, arrayBuffers: m.arrayBuffers, total: m.heapUsed + m.arrayBuffers };
}

/** Memory per strategy at one strategy count (medians over the trials). @since 6.0.0 */
export interface StrategyMemoryResult {
  readonly strategies: number;
  /** Independent managers measured together (each with `strategies` strategies). */
  readonly replicas: number;
  readonly trials: number;
  /** Registered definition (validated, frozen, its source kept), bytes per strategy. */
  readonly registryBytes: number;
  /**
   * Manager and runtime with every window filled (breaker, bulkhead, metrics, deadline queue),
   * bytes per strategy — the manager's own share is large at 1 strategy, negligible at 10 000.
   */
  readonly runtimeBytes: number;
  /** Of `runtimeBytes`, what lives in `ArrayBuffer`s (window rings, histogram buckets). */
  readonly runtimeArrayBufferBytes: number;
  readonly totalBytes: number;
}

/** A strategy like the benchmark's full one, with its own nested objects (as parsed from JSON). */
function strategyDefinition(i: number): StrategyDefinition {
  return { ...structuredClone({ ...FULL_STRATEGY }), id: `strategy-${i}` };
}

// The metrics window (60 s) is 12 counter buckets of 5 s and 3 histogram slices of 20 s;
// the breaker window 10 buckets of 6 s. A call every 2.5 s for 60 s lands in every one.
const FILL_STEP_MS = 2_500;
const FILL_STEPS = 24;
const FILL_CHUNK = 100;

/**
 * Makes every strategy's runtime and fills every window: one call per strategy every 2.5 s of
 * virtual time for a whole window, each failing once and succeeding on its retry (so success,
 * failure, retry, call counters, the breaker window and the latency histogram are all written).
 */
async function fillWindows(
  manager: ResilienceScalingManager,
  ids: readonly string[],
  clock: VirtualClock,
): Promise<void> {
  let attempt = 0;
  const op = async (ctx: { attempt: number }): Promise<number> => {
    attempt++;
    if (ctx.attempt === 1) throw DOWNSTREAM_ERROR;
    return RESULT;
  };
  for (let step = 0; step < FILL_STEPS; step++) {
    // In chunks: every call in flight arms a virtual timer, and VirtualClock keeps them in a
    // sorted array (fine for tests, quadratic for 10 000 at once).
    for (let i = 0; i < ids.length; i += FILL_CHUNK) {
      await Promise.all(ids.slice(i, i + FILL_CHUNK).map((id) => manager.executeWithResilience(id, op)));
    }
    clock.advance(FILL_STEP_MS);
  }
  if (attempt !== ids.length * FILL_STEPS * 2)
    throw new Error(`fillWindows: ${attempt} attempts, expected ${ids.length * FILL_STEPS * 2}`);
}

/**
 * One trial: `replicas` independent managers, each with `count` strategies. Returns bytes per
 * strategy of the registries (validated definitions) and of the managers with every runtime
 * filled. Replicas make the one-strategy case measurable: a single runtime is smaller than
 * the ±10 KiB a lone heap reading wobbles by, so it is measured as 200 one-strategy managers.
 */
async function strategyTrial(
  count: number,
  replicas: number,
): Promise<{ registry: number; runtime: number; runtimeArrayBuffers: number }> {
  const before = readHeap();
  const registries = Array.from(
    { length: replicas },
    (_, r) =>
      new StrategyRegistry(
        Array.from({ length: count }, (_, i) => strategyDefinition(r * count + i)),
        Math.max(count, 1),
      ),
  );
  const ids = registries.map((registry) => registry.ids());
  const clock = new VirtualClock(0);
  const registered = readHeap();
  const managers = registries.map(
    (registry) =>
      new ResilienceScalingManager({ registry, clock, limits: { maxCacheEntries: Math.max(count, 10_000) } }),
  );
  for (let r = 0; r < replicas; r++) await fillWindows(managers[r]!, ids[r]!, clock);
  const filled = readHeap();
  // Keep everything reachable until after the last reading.
  for (const manager of managers) {
    if (manager.activeRuntimes().size !== count)
      throw new Error(`expected ${count} runtimes, got ${manager.activeRuntimes().size}`);
    manager.dispose();
  }
  const n = count * replicas;
  return {
    registry: (registered.total - before.total) / n,
    // The managers themselves are part of the cost: per strategy at 1 strategy, amortized at 10 000.
    runtime: (filled.total - registered.total) / n,
    runtimeArrayBuffers: (filled.arrayBuffers - registered.arrayBuffers) / n,
  };
}

/**
 * Heap per strategy with all windows full, at each strategy count: the median over `trials`.
 * Counts below 100 are measured over enough one-manager replicas to hold 200 strategies. A
 * throw-away trial first compiles the code, so bytecode and type feedback are not counted.
 */
export async function measureStrategyMemory(
  counts: readonly number[],
  trialsFor: (count: number) => number,
): Promise<StrategyMemoryResult[]> {
  await strategyTrial(100, 1);
  const results: StrategyMemoryResult[] = [];
  for (const count of counts) {
    const trials = Math.max(1, trialsFor(count));
    const replicas = count < 100 ? Math.ceil(200 / count) : 1;
    const runs = [];
    for (let t = 0; t < trials; t++) runs.push(await strategyTrial(count, replicas));
    const registryBytes = median(runs.map((r) => r.registry));
    const runtimeBytes = median(runs.map((r) => r.runtime));
    results.push({
      strategies: count,
      replicas,
      trials,
      registryBytes,
      runtimeBytes,
      runtimeArrayBufferBytes: median(runs.map((r) => r.runtimeArrayBuffers)),
      totalBytes: registryBytes + runtimeBytes,
    });
  }
  return results;
}

/** Memory after some number of calls. @since 6.0.0 */
export interface HeapCheckpoint {
  readonly calls: number;
  readonly heap: HeapReading;
  /** Wall time since the start of the run, ms. */
  readonly elapsedMs: number;
}

/**
 * Runs `totalCalls` calls through the full pipeline (real clock, batches of 100 concurrent,
 * 1 attempt in 100 failing and retried) and reads the heap after a GC at each checkpoint.
 * Flat means: what 100 000 calls leave behind, 10 million leave behind too.
 */
export async function measureHeapOverCalls(checkpoints: readonly number[], batch = 100): Promise<HeapCheckpoint[]> {
  const manager = new ResilienceScalingManager({
    registry: new StrategyRegistry([FULL_STRATEGY]),
    clock: systemClock,
  });
  const id = FULL_STRATEGY.id;
  let attempts = 0;
  const op = async (): Promise<number> => {
    if (++attempts % 100 === 0) throw DOWNSTREAM_ERROR;
    return RESULT;
  };
  const calls = new Array<Promise<number>>(batch);
  const sorted = [...checkpoints].sort((a, b) => a - b);
  const out: HeapCheckpoint[] = [];
  const started = performance.now();
  let done = 0;
  try {
    for (const target of sorted) {
      while (done < target) {
        for (let j = 0; j < batch; j++) calls[j] = manager.executeWithResilience(id, op);
        await Promise.all(calls);
        done += batch;
      }
      out.push({ calls: done, heap: readHeap(), elapsedMs: performance.now() - started });
    }
    const metrics = manager.activeRuntimes().get(id)!.metrics;
    if (metrics.successes !== done || metrics.retries === 0) {
      throw new Error(`heap run: ${metrics.successes} successes / ${metrics.retries} retries for ${done} calls`);
    }
  } finally {
    manager.dispose();
  }
  return out;
}
