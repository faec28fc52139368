/**
 * `pnpm bench`: times the same cheap async operation through a bare `await`, opossum, cockatiel
 * and our `executeWithResilience` (success, breaker-open and retry paths; sequential and 100
 * concurrent), measures memory per strategy and heap over many calls, prints a markdown report
 * and writes it to `test/reports/bench.md` (and the raw numbers to `bench.json`).
 *
 * Each case runs in its own Node process next to its own bare baseline (`--shared`: all in this
 * process). Flags: `--quick` (shorter run), `--only <regex>` (case ids), `--repeats <n>`,
 * `--sample-ms <ms>`, `--warmup-ms <ms>`, `--calls <n>` (heap check length), `--no-memory`,
 * `--memory-only`, `--shared`, `--out <dir>`; `--child` is internal. Needs `node --expose-gc`
 * (the package script passes it).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ALL_CASES } from './cases/allCases.js';
import { runSuite } from './harness.js';
import { CHILD_RESULT_PREFIX, runIsolated } from './isolated.js';
import type { BenchMode, HarnessOptions } from './harness.js';
import { measureHeapOverCalls, measureStrategyMemory } from './memory.js';
import { describeMachine, renderMarkdown } from './report.js';
import type { BenchReport } from './report.js';

const MODES: readonly BenchMode[] = ['sequential', 'concurrent'];
const STRATEGY_COUNTS = [1, 1_000, 10_000];

function positive(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new Error(`--${name} must be a positive number, got ${JSON.stringify(value)}`);
  return n;
}

/** Checkpoints of the heap run: 100 000 calls, then evenly up to `total`. */
function checkpointsUpTo(total: number): number[] {
  const first = Math.min(100_000, total);
  const points = new Set([first]);
  for (const f of [0.1, 0.25, 0.5, 0.75, 1]) points.add(Math.max(first, Math.round((total * f) / 100) * 100));
  return [...points].sort((a, b) => a - b);
}

async function main(): Promise<void> {
  // `pnpm run bench -- --quick` passes the `--` through; node's parseArgs would stop there.
  const argv = process.argv.slice(2);
  if (argv[0] === '--') argv.shift();
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      repeats: { type: 'string' },
      'sample-ms': { type: 'string' },
      'warmup-ms': { type: 'string' },
      calls: { type: 'string' },
      'no-memory': { type: 'boolean', default: false },
      'memory-only': { type: 'boolean', default: false },
      shared: { type: 'boolean', default: false },
      child: { type: 'boolean', default: false },
      out: { type: 'string' },
    },
    allowPositionals: false,
  });
  const quick = values.quick === true;
  const child = values.child === true;
  const hasGc = typeof (globalThis as { gc?: unknown }).gc === 'function';
  const options: HarnessOptions & { quick: boolean; isolate: boolean } = {
    quick,
    isolate: values.shared !== true && !child,
    repeats: Math.round(positive('repeats', values.repeats, quick ? 7 : 21)),
    sampleMs: positive('sample-ms', values['sample-ms'], quick ? 10 : 25),
    warmupMs: positive('warmup-ms', values['warmup-ms'], quick ? 200 : 300),
    gc: hasGc,
  };
  const totalCalls = Math.round(positive('calls', values.calls, quick ? 1_000_000 : 10_000_000));
  const log = (line: string): void => {
    if (!child) process.stderr.write(`${line}\n`);
  };
  if (!hasGc) log('warning: run with node --expose-gc for GC between samples; memory measurements are skipped');

  const only = values.only === undefined ? undefined : new RegExp(values.only);
  const cases = ALL_CASES.filter(
    (c) => only === undefined || only.test(c.id) || c.baseline === true || c.floor === true,
  );
  const machine = describeMachine();
  const started = performance.now();

  let results: BenchReport['results'] = [];
  if (child) {
    // A child of an isolated run: time its case and the baseline, hand the numbers back.
    results = await runSuite(cases, MODES, options);
    process.stdout.write(`${CHILD_RESULT_PREFIX}${JSON.stringify(results)}\n`);
    return;
  }
  if (values['memory-only'] !== true) {
    log(
      `timing ${cases.length} cases × ${MODES.length} modes, ${options.repeats} rounds of ~${options.sampleMs} ms` +
        (options.isolate ? ', one process per case' : ', all in this process'),
    );
    const childArgs = [
      '--repeats',
      String(options.repeats),
      '--sample-ms',
      String(options.sampleMs),
      '--warmup-ms',
      String(options.warmupMs),
    ];
    results = options.isolate ? await runIsolated(cases, childArgs, log) : await runSuite(cases, MODES, options, log);
  }

  let strategyMemory: BenchReport['strategyMemory'];
  let heapOverCalls: BenchReport['heapOverCalls'];
  if (values['no-memory'] !== true && hasGc) {
    log('memory per strategy…');
    strategyMemory = await measureStrategyMemory(STRATEGY_COUNTS, () => (quick ? 1 : 3));
    log(`heap over ${totalCalls.toLocaleString('en-US')} calls…`);
    heapOverCalls = await measureHeapOverCalls(checkpointsUpTo(totalCalls));
  }

  const report: BenchReport = {
    machine,
    options,
    cases,
    results,
    strategyMemory,
    heapOverCalls,
    durationMs: performance.now() - started,
  };
  const markdown = renderMarkdown(report);
  process.stdout.write(`${markdown}\n`);

  const here = path.dirname(fileURLToPath(import.meta.url));
  const outDir = values.out ?? path.resolve(here, '../../reports');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, 'bench.md'), markdown);
  writeFileSync(
    path.join(outDir, 'bench.json'),
    `${JSON.stringify({ ...report, cases: cases.map(({ setup: _setup, ...c }) => c) }, null, 2)}\n`,
  );
  log(`wrote ${path.join(outDir, 'bench.md')} and bench.json`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
