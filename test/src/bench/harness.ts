import { InvalidConfigurationError } from '@datawarehouse/sdk';
import { iterationsFor, summarize } from './stats.js';
import type { SampleSummary } from './stats.js';

/** Which part of a resilience pipeline a case exercises. @since 6.0.0 */
export type BenchPath = 'success' | 'circuit-open' | 'retry';

/** `sequential`: one call at a time; `concurrent`: batches of {@link CONCURRENCY} calls awaited with `Promise.all`. */
export type BenchMode = 'sequential' | 'concurrent';

/** Calls in flight per batch in `concurrent` mode. */
export const CONCURRENCY = 100;

/** One configured call path to measure (instance of a library, its options, the operation). @since 6.0.0 */
export interface CaseInstance {
  /** The call measured: one complete call through the library. */
  readonly call: () => Promise<unknown>;
  /**
   * Checks, outside the timed loop, that the path measured is the one claimed (e.g. the
   * breaker really is open, the retry really retried). Throws when it is not.
   */
  readonly verify?: () => void | Promise<void>;
  /** Releases timers and other resources. */
  readonly teardown?: () => void | Promise<void>;
}

/** A benchmark case: how to build its instance, and what it is. @since 6.0.0 */
export interface BenchCase {
  /** Stable id, e.g. `ours-full`; `--only` matches it. */
  readonly id: string;
  readonly path: BenchPath;
  /** What is measured, for the tables. */
  readonly label: string;
  /** The stages this call goes through (and, where a library lacks one, which). */
  readonly stages: string;
  /** How each call is expected to settle; checked on one batch before measuring. */
  readonly expect: 'resolve' | 'reject';
  /** The case serves as the baseline of the ratios of its mode. */
  readonly baseline?: boolean;
  /**
   * The case is the floor of any exactly timed pipeline (bare await + two clock reads + one
   * reaction recording the latency): every case is also reported as a ratio to it.
   */
  readonly floor?: boolean;
  /** Builds a fresh instance (one per round and mode, so samples never share state). */
  setup(): CaseInstance | Promise<CaseInstance>;
}

/** Knobs of a measurement run. @since 6.0.0 */
export interface HarnessOptions {
  /** Time spent running each case before it is measured (JIT warm-up), ms. */
  readonly warmupMs: number;
  /** Target duration of one sample, ms. */
  readonly sampleMs: number;
  /** Samples per case; the reported value is their median. */
  readonly repeats: number;
  /** Runs `global.gc()` (needs `--expose-gc`) before each case's round (before its warm-up). */
  readonly gc: boolean;
}

/** Result of one case in one mode. @since 6.0.0 */
export interface CaseResult {
  readonly caseId: string;
  readonly mode: BenchMode;
  /** Calls per sample. */
  readonly callsPerSample: number;
  /** ns per call of each sample. */
  readonly samples: readonly number[];
  readonly nsPerCall: SampleSummary;
  /**
   * Median ns per call of the baseline measured in the same process (isolated runs); the
   * ratio uses it instead of the run-wide baseline.
   */
  readonly baselineNs?: number;
  /** Median ns per call of the floor case measured in the same process (isolated runs). */
  readonly floorNs?: number;
}

/** A timed loop: runs `n` iterations (calls, or batches of calls) of `call` and resolves when all settled. */
export type Loop = (n: number, call: () => Promise<unknown>) => Promise<void>;

/**
 * Compiles a fresh loop for one case. Each case gets its own function (not a closure of a
 * shared one) so V8 keeps separate type feedback per case: a shared loop would see every
 * library's call at one call site, turn it megamorphic, and slow the cheapest cases most.
 * The call is an argument so a case's fresh instance each round reuses its warmed-up loop.
 * Rejections are caught (the circuit-open path rejects on purpose) at the same cost for all.
 * In concurrent mode the batch is awaited with `Promise.all`; if it rejects early, the rest of
 * the batch is drained after the loop, so every call's work lands inside the timed interval.
 * @throws {@link InvalidConfigurationError} for an unknown mode or a bad width.
 */
export function compileLoop(mode: BenchMode, width = CONCURRENCY): Loop {
  if (mode === 'sequential') {
    const make = new Function(`
      return async function sequentialLoop(n, call) {
        for (let i = 0; i < n; i++) {
          try { await call(); } catch {}
        }
      };`) as () => Loop;
    return make();
  }
  if (mode !== 'concurrent') throw new InvalidConfigurationError('mode', mode, "'sequential' or 'concurrent'");
  if (!Number.isInteger(width) || width < 1) throw new InvalidConfigurationError('width', width, 'an integer >= 1');
  const make = new Function(
    'width',
    `
    return async function concurrentLoop(n, call) {
      const batch = new Array(width);
      let drained = true;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < width; j++) batch[j] = call();
        try { await Promise.all(batch); } catch { drained = false; }
      }
      if (!drained) await Promise.allSettled(batch);
    };`,
  ) as (w: number) => Loop;
  return make(width);
}

/** Calls made by one iteration of a loop in `mode`. */
export function callsPerIteration(mode: BenchMode, width = CONCURRENCY): number {
  return mode === 'sequential' ? 1 : width;
}

/**
 * Runs one batch outside the timed loop and checks every call settles as `expect` says.
 * @throws Error naming the case when a call resolves that should reject, or the reverse.
 */
export async function checkOutcome(
  caseId: string,
  call: () => Promise<unknown>,
  expect: 'resolve' | 'reject',
  calls = 10,
): Promise<void> {
  const outcomes = await Promise.allSettled(Array.from({ length: calls }, () => call()));
  const wrong = outcomes.filter((o) => (expect === 'resolve' ? o.status === 'rejected' : o.status === 'fulfilled'));
  if (wrong.length > 0) {
    const first = wrong[0]!;
    const detail =
      first.status === 'rejected' ? String((first.reason as Error)?.message ?? first.reason) : String(first.value);
    throw new Error(`bench case ${caseId}: ${wrong.length}/${calls} calls did not ${expect} (first: ${detail})`);
  }
}

/** Forces a full GC when `--expose-gc` is on (twice: the first pass may leave finalizable garbage). */
export function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc !== undefined) {
    gc();
    gc();
  }
}

/** `process.hrtime.bigint()` as a number of ns (differences of a run fit a double exactly). */
function nowNs(): number {
  return Number(process.hrtime.bigint());
}

/**
 * Warms a loop up for `warmupMs` (doubling the iterations until a run takes ~5 ms, so the
 * JIT sees many calls) and returns the iterations that make a sample last about `sampleMs`.
 */
export async function warmUpAndCalibrate(
  loop: Loop,
  call: () => Promise<unknown>,
  warmupMs: number,
  sampleMs: number,
): Promise<number> {
  const deadline = nowNs() + warmupMs * 1e6;
  let n = 1;
  let trial = 1;
  let elapsed = 0;
  do {
    trial = n;
    const t0 = nowNs();
    await loop(trial, call);
    elapsed = nowNs() - t0;
    if (elapsed < 5e6) n *= 2;
  } while (nowNs() < deadline || elapsed < 1e6);
  return iterationsFor(sampleMs * 1e6, trial, Math.max(1, elapsed));
}

/** Runs `iterations` of `loop` timed; returns ns per call. */
export async function sample(
  loop: Loop,
  call: () => Promise<unknown>,
  iterations: number,
  calls: number,
): Promise<number> {
  const t0 = process.hrtime.bigint();
  await loop(iterations, call);
  const elapsed = Number(process.hrtime.bigint() - t0);
  return elapsed / (iterations * calls);
}

/** One case in one mode: its loop (kept across rounds) and calibrated iteration count. */
interface Slot {
  readonly bench: BenchCase;
  readonly mode: BenchMode;
  readonly loop: Loop;
  iterations: number;
  readonly samples: number[];
}

/**
 * One round of one case: a full GC (so no other case's garbage is collected on this one's
 * time), a fresh instance, checked, warmed up (at length in the first round, which also
 * calibrates; by one untimed sample later), one timed sample, verified, torn down.
 * - The warm-up comes after the GC, not before it: a full GC deoptimizes code that embeds
 *   objects it frees ("weak objects" in `--trace-deopt`; our pipeline has such code), and
 *   shrinks the young generation, so a sample taken right after one measures re-optimization
 *   and heap regrowth, which a running service goes through once per major GC, not per call.
 * - A fresh instance per round keeps one library's background work (opossum re-sorts every
 *   latency of its window once a second) out of the other cases' samples, and stops
 *   long-lived state from growing.
 */
async function runRound(slot: Slot, first: boolean, options: HarnessOptions): Promise<void> {
  if (options.gc) collectGarbage();
  const instance = await slot.bench.setup();
  try {
    await checkOutcome(slot.bench.id, instance.call, slot.bench.expect);
    if (first) slot.iterations = await warmUpAndCalibrate(slot.loop, instance.call, options.warmupMs, options.sampleMs);
    else await slot.loop(slot.iterations, instance.call);
    slot.samples.push(await sample(slot.loop, instance.call, slot.iterations, callsPerIteration(slot.mode)));
    await instance.verify?.();
  } finally {
    await instance.teardown?.();
  }
}

/**
 * Measures every case in every mode in this process: `repeats` rounds of one sample per case
 * — interleaved, so a slow stretch of the machine hits every case alike instead of one — and
 * summarizes each case's samples (median, MAD).
 * @param onProgress called with a line of progress text (to stderr in the CLI).
 * @throws {@link InvalidConfigurationError} for a bad `repeats`; Error when a case does not
 *   settle or verify as it claims.
 */
export async function runSuite(
  cases: readonly BenchCase[],
  modes: readonly BenchMode[],
  options: HarnessOptions,
  onProgress: (line: string) => void = () => {},
): Promise<CaseResult[]> {
  if (!Number.isInteger(options.repeats) || options.repeats < 1) {
    throw new InvalidConfigurationError('repeats', options.repeats, 'an integer >= 1');
  }
  const slots: Slot[] = [];
  for (const bench of cases) {
    for (const mode of modes) slots.push({ bench, mode, loop: compileLoop(mode), iterations: 0, samples: [] });
  }
  for (let r = 0; r < options.repeats; r++) {
    for (const slot of slots) {
      await runRound(slot, r === 0, options);
      if (r === 0) onProgress(`  warmed ${slot.bench.id} (${slot.mode}): ${slot.iterations} iterations/sample`);
    }
    onProgress(`  round ${r + 1}/${options.repeats} done`);
  }
  return slots.map((slot) => ({
    caseId: slot.bench.id,
    mode: slot.mode,
    callsPerSample: slot.iterations * callsPerIteration(slot.mode),
    samples: slot.samples,
    nsPerCall: summarize(slot.samples),
  }));
}
