import os from 'node:os';
import { createRequire } from 'node:module';
import type { BenchCase, BenchMode, BenchPath, CaseResult, HarnessOptions } from './harness.js';
import { CONCURRENCY } from './harness.js';
import type { HeapCheckpoint, StrategyMemoryResult } from './memory.js';
import { ratio } from './stats.js';

/** The machine and software a run happened on. @since 6.0.0 */
export interface MachineInfo {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
  readonly v8: string;
  readonly date: string;
  /** 1-minute load average when the run started: above the core count, other work competed for the CPU. */
  readonly loadAverage: number;
  readonly libraries: Readonly<Record<string, string>>;
}

/** Describes this machine, Node and the compared libraries' versions. */
export function describeMachine(): MachineInfo {
  const cpus = os.cpus();
  const require = createRequire(import.meta.url);
  const version = (name: string): string => {
    try {
      return (require(`${name}/package.json`) as { version: string }).version;
    } catch {
      return 'unknown';
    }
  };
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    v8: process.versions.v8,
    date: new Date().toISOString(),
    loadAverage: Math.round(os.loadavg()[0]! * 100) / 100,
    libraries: { cockatiel: version('cockatiel'), opossum: version('opossum') },
  };
}

/** Everything one run measured. @since 6.0.0 */
export interface BenchReport {
  readonly machine: MachineInfo;
  readonly options: HarnessOptions & { readonly quick: boolean; readonly isolate: boolean };
  readonly cases: readonly BenchCase[];
  readonly results: readonly CaseResult[];
  readonly strategyMemory: readonly StrategyMemoryResult[] | undefined;
  readonly heapOverCalls: readonly HeapCheckpoint[] | undefined;
  readonly durationMs: number;
}

/** A target of the issue and whether the run met it. */
export interface TargetCheck {
  readonly target: string;
  readonly measured: string;
  readonly verdict: 'met' | 'missed' | 'not measured';
  readonly detail: string;
}

/** Heap growth between the first and last checkpoint that counts as flat, bytes. */
export const FLAT_HEAP_TOLERANCE_BYTES = 1024 * 1024;

const PATH_TITLES: Record<BenchPath, string> = {
  success: 'Success path',
  'circuit-open': 'Failing path: breaker open (rejection cost)',
  retry: 'Retry path: each call fails once, succeeds on the first retry',
};

function result(results: readonly CaseResult[], caseId: string, mode: BenchMode): CaseResult | undefined {
  return results.find((r) => r.caseId === caseId && r.mode === mode);
}

function baselineOf(report: BenchReport, mode: BenchMode): number {
  const base = report.cases.find((c) => c.baseline === true);
  return base === undefined ? NaN : (result(report.results, base.id, mode)?.nsPerCall.median ?? NaN);
}

function floorOf(report: BenchReport, mode: BenchMode): number {
  const floor = report.cases.find((c) => c.floor === true);
  return floor === undefined ? NaN : (result(report.results, floor.id, mode)?.nsPerCall.median ?? NaN);
}

/** `1234.5` → `1,235 ns`; `0.42` µs style is avoided so columns compare at a glance. */
export function formatNs(ns: number): string {
  if (!Number.isFinite(ns)) return 'n/a';
  return `${Math.round(ns).toLocaleString('en-US')} ns`;
}

/** `1.234` → `1.2×`; `NaN` → `n/a`. */
export function formatRatio(r: number): string {
  if (!Number.isFinite(r)) return 'n/a';
  return r >= 100 ? `${Math.round(r)}×` : `${r.toFixed(r >= 10 ? 0 : 1)}×`;
}

/** Bytes as `12.3 KiB` / `1.2 MiB` (signed). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return 'n/a';
  const abs = Math.abs(bytes);
  if (abs >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(2)} MiB`;
  if (abs >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${Math.round(bytes)} B`;
}

/** Ratio of a result to its baseline: the one of its own process when isolated, else the run's. */
function ratioOf(report: BenchReport, r: CaseResult): number {
  return ratio(r.nsPerCall.median, r.baselineNs ?? baselineOf(report, r.mode));
}

/** Ratio of a result to the floor: the one of its own process when isolated, else the run's. */
function floorRatioOf(report: BenchReport, r: CaseResult): number {
  return ratio(r.nsPerCall.median, r.floorNs ?? floorOf(report, r.mode));
}

function cell(report: BenchReport, caseId: string, mode: BenchMode): [string, string, string] {
  const r = result(report.results, caseId, mode);
  if (r === undefined) return ['—', '—', '—'];
  const spread = `±${(r.nsPerCall.relativeMad * 100).toFixed(r.nsPerCall.relativeMad < 0.1 ? 1 : 0)}%`;
  return [
    `${formatNs(r.nsPerCall.median)} ${spread}`,
    formatRatio(ratioOf(report, r)),
    formatRatio(floorRatioOf(report, r)),
  ];
}

function timingTables(report: BenchReport): string[] {
  const lines: string[] = [];
  for (const path of Object.keys(PATH_TITLES) as BenchPath[]) {
    const cases = report.cases.filter((c) => c.path === path && report.results.some((r) => r.caseId === c.id));
    if (cases.length === 0) continue;
    lines.push(`### ${PATH_TITLES[path]}`, '');
    lines.push(
      `| Case | Stages | Sequential, ns/call | × bare | × floor | ${CONCURRENCY} concurrent, ns/call | × bare | × floor |`,
    );
    lines.push('|---|---|---:|---:|---:|---:|---:|---:|');
    for (const c of cases) {
      const [seq, seqRatio, seqFloor] = cell(report, c.id, 'sequential');
      const [con, conRatio, conFloor] = cell(report, c.id, 'concurrent');
      lines.push(
        `| ${c.label} | ${c.stages} | ${seq} | ${seqRatio} | ${seqFloor} | ${con} | ${conRatio} | ${conFloor} |`,
      );
    }
    if (path === 'circuit-open') lines.push('', 'opossum has no retry stage; its rows have no retry-path equivalent.');
    lines.push('');
  }
  return lines;
}

/** Evaluates the issue's targets against a run. */
export function checkTargets(report: BenchReport): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const full = result(report.results, 'ours-full', 'sequential');
  const bare = full?.baselineNs ?? baselineOf(report, 'sequential');
  if (full === undefined || !Number.isFinite(bare)) {
    checks.push({
      target: 'Full pipeline, sequential ≤ 3× bare await (> 5× is a miss to explain)',
      measured: '—',
      verdict: 'not measured',
      detail: '',
    });
  } else {
    const r = ratioOf(report, full);
    checks.push({
      target: 'Full pipeline, sequential ≤ 3× bare await (> 5× is a miss to explain)',
      measured: `${formatNs(full.nsPerCall.median)} = ${formatRatio(r)} of ${formatNs(bare)}`,
      verdict: r <= 3 ? 'met' : 'missed',
      detail:
        r <= 3
          ? `${formatRatio(3 / r)} headroom`
          : r <= 5
            ? `over by ${formatRatio(r / 3)} (within the 5× limit)`
            : `over by ${formatRatio(r / 3)}; above 5×`,
    });
  }
  for (const mode of ['sequential', 'concurrent'] as const) {
    const target = `Full pipeline, ${mode === 'sequential' ? 'sequential' : `${CONCURRENCY} concurrent`} ≤ 1.6× the floor (await + 2 clock reads + 1 reaction)`;
    const r = result(report.results, 'ours-full', mode);
    const f = r === undefined ? NaN : floorRatioOf(report, r);
    checks.push(
      r === undefined || !Number.isFinite(f)
        ? { target, measured: '—', verdict: 'not measured', detail: '' }
        : {
            target,
            measured: `${formatRatio(f)} of ${formatNs(r.floorNs ?? floorOf(report, mode))}`,
            verdict: f <= 1.6 ? 'met' : 'missed',
            detail: f <= 1.6 ? `${formatRatio(1.6 / f)} headroom` : `over by ${formatRatio(f / 1.6)}`,
          },
    );
  }
  const open = result(report.results, 'ours-open', 'sequential');
  checks.push(
    open === undefined
      ? { target: 'Breaker-open rejection ≤ 1 µs', measured: '—', verdict: 'not measured', detail: '' }
      : {
          target: 'Breaker-open rejection ≤ 1 µs',
          measured: formatNs(open.nsPerCall.median),
          verdict: open.nsPerCall.median <= 1000 ? 'met' : 'missed',
          detail:
            open.nsPerCall.median <= 1000
              ? `${formatRatio(1000 / open.nsPerCall.median)} headroom`
              : `over by ${formatNs(open.nsPerCall.median - 1000)}`,
        },
  );
  const mem = report.strategyMemory;
  const limit = 16 * 1024;
  if (mem === undefined || mem.length === 0) {
    checks.push({
      target: '≤ 16 KiB heap per strategy with all windows',
      measured: '—',
      verdict: 'not measured',
      detail: '',
    });
  } else {
    const over = mem.filter((m) => m.totalBytes > limit);
    checks.push({
      target: '≤ 16 KiB heap per strategy with all windows',
      measured: mem.map((m) => `${formatBytes(m.totalBytes)} at ${m.strategies.toLocaleString('en-US')}`).join(' · '),
      verdict: over.length === 0 ? 'met' : 'missed',
      detail:
        over.length === 0
          ? 'definition + runtime, every window filled; heap + ArrayBuffers'
          : over
              .map(
                (m) =>
                  `over by ${formatBytes(m.totalBytes - limit)} at ${m.strategies.toLocaleString('en-US')}${m.strategies === 1 ? ' (a whole manager + registry per strategy)' : ''}`,
              )
              .join('; '),
    });
  }
  const heap = report.heapOverCalls;
  if (heap === undefined || heap.length < 2) {
    checks.push({ target: 'Flat heap over 10 million calls', measured: '—', verdict: 'not measured', detail: '' });
  } else {
    const first = heap[0]!;
    const last = heap[heap.length - 1]!;
    const growth = last.heap.total - first.heap.total;
    checks.push({
      target: `Flat heap over ${last.calls.toLocaleString('en-US')} calls`,
      measured: `${formatBytes(growth)} from ${first.calls.toLocaleString('en-US')} to ${last.calls.toLocaleString('en-US')} calls`,
      verdict: growth <= FLAT_HEAP_TOLERANCE_BYTES ? 'met' : 'missed',
      detail: `flat = growth ≤ ${formatBytes(FLAT_HEAP_TOLERANCE_BYTES)} (${(growth / (last.calls - first.calls)).toFixed(4)} B/call)`,
    });
  }
  if (full !== undefined) {
    const rivals = ['opossum', 'cockatiel-wrap3', 'cockatiel-wrap4']
      .map((id) => [id, result(report.results, id, 'sequential')?.nsPerCall.median] as const)
      .filter((pair): pair is readonly [string, number] => pair[1] !== undefined);
    if (rivals.length > 0) {
      const slower = rivals.filter(([, ns]) => ns <= full.nsPerCall.median);
      checks.push({
        target: 'Full pipeline cheaper than opossum and cockatiel (sequential)',
        measured: rivals.map(([id, ns]) => `${formatRatio(full.nsPerCall.median / ns)} of ${id}`).join(' · '),
        verdict: slower.length === 0 ? 'met' : 'missed',
        detail: 'opossum has no retry and cockatiel-wrap3 no timeout: both run fewer stages than ours',
      });
    }
  }
  return checks;
}

/** The issue's reference numbers next to this run's, so a reader can tell a slow machine from a slow library. */
function referenceNote(report: BenchReport): string[] {
  const ns = (id: string): string => formatNs(result(report.results, id, 'sequential')?.nsPerCall.median ?? NaN);
  if (report.results.length === 0) return [];
  return [
    `Reference points from the issue (other machine): bare await ~120 ns, opossum ~1 µs, cockatiel wrap(bulkhead, breaker, retry) ~2.3 µs, ` +
      `~35 µs with its timeout. This run: bare ${ns('bare')}, opossum ${ns('opossum')}, cockatiel wrap3 ${ns('cockatiel-wrap3')}, ` +
      `wrap4 ${ns('cockatiel-wrap4')}. The ratio target is relative to this machine's bare await.`,
    '',
  ];
}

function memoryTables(report: BenchReport): string[] {
  const lines: string[] = [];
  const mem = report.strategyMemory;
  if (mem !== undefined && mem.length > 0) {
    lines.push('### Memory per strategy, all windows full', '');
    lines.push(
      '| Strategies per manager | Registered definition | Manager + runtime, windows full | of which ArrayBuffers | Total per strategy | Managers × trials |',
    );
    lines.push('|---:|---:|---:|---:|---:|---:|');
    for (const m of mem) {
      lines.push(
        `| ${m.strategies.toLocaleString('en-US')} | ${formatBytes(m.registryBytes)} | ${formatBytes(m.runtimeBytes)} | ${formatBytes(m.runtimeArrayBufferBytes)} | ${formatBytes(m.totalBytes)} | ${m.replicas} × ${m.trials} |`,
      );
    }
    lines.push(
      '',
      'Each strategy has bulkhead + breaker + retry + timeout; every window (12 counter buckets, 3 histogram',
      'slices, 10 breaker buckets) is written by a call every 2.5 s over 60 s of virtual time. Bytes are',
      '`heapUsed + arrayBuffers` after a full GC (typed arrays above 64 bytes live outside the JS heap), median of the',
      'trials. One strategy is measured as 200 one-strategy managers (a lone heap reading wobbles by ~10 KiB), so its',
      'row includes a whole manager and registry per strategy.',
      '',
    );
  }
  const heap = report.heapOverCalls;
  if (heap !== undefined && heap.length > 0) {
    const first = heap[0]!;
    lines.push('### Heap over many calls (full pipeline, real clock, batches of 100, 1% of attempts retried)', '');
    lines.push('| Calls | heapUsed | arrayBuffers | Δ total vs first row | Elapsed |');
    lines.push('|---:|---:|---:|---:|---:|');
    for (const h of heap) {
      lines.push(
        `| ${h.calls.toLocaleString('en-US')} | ${formatBytes(h.heap.heapUsed)} | ${formatBytes(h.heap.arrayBuffers)} | ${formatBytes(h.heap.total - first.heap.total)} | ${(h.elapsedMs / 1000).toFixed(1)} s |`,
      );
    }
    lines.push('');
  }
  return lines;
}

/** Renders a run as markdown: machine, targets, timing tables, memory, how to reproduce. */
export function renderMarkdown(report: BenchReport): string {
  const m = report.machine;
  const o = report.options;
  const lines: string[] = [
    '## Benchmarks',
    '',
    `Measured ${m.date} on ${m.cpu} (${m.cores} cores, ${m.memoryGiB} GiB, load average ${m.loadAverage} at start), ` +
      `${m.os}, Node ${m.node} (V8 ${m.v8}); ` +
      `cockatiel ${m.libraries.cockatiel}, opossum ${m.libraries.opossum}. ` +
      `${o.quick ? 'Quick run' : 'Full run'}: median of ${o.repeats} samples of ~${o.sampleMs} ms per case after ${o.warmupMs} ms of warm-up, ` +
      `a fresh instance and a full GC before each sample's untimed warm pass, samples interleaved ` +
      `${o.isolate ? "with the bare baseline in a separate Node process per case (ratios to that process's own baseline; the bare row is the median over processes)" : 'across all cases in one process'}; ` +
      `±% is the median absolute deviation. ` +
      `Total run time ${(report.durationMs / 1000).toFixed(0)} s.`,
    '',
    'Every case runs the same trivially cheap `async` operation (errors are pre-built, so no case pays for a stack',
    `trace the others do not). Ratios are to the bare \`await\` of the same mode measured ${o.isolate ? 'in the same process' : 'in the same run'}.`,
    `"${CONCURRENCY} concurrent" launches ${CONCURRENCY} calls, awaits \`Promise.all\`, repeats; ns are per call.`,
    '',
    '### Targets',
    '',
    '| Target | Measured | Verdict | |',
    '|---|---|---|---|',
    ...checkTargets(report).map((t) => `| ${t.target} | ${t.measured} | **${t.verdict}** | ${t.detail} |`),
    '',
    ...referenceNote(report),
    ...timingTables(report),
    ...memoryTables(report),
    '### Reproduce',
    '',
    '```sh',
    'pnpm install',
    'pnpm bench            # build, then the full run (~2.5 min); prints this report, writes test/reports/bench.md and bench.json',
    'pnpm bench --quick    # ~45 s: fewer, shorter samples (rougher numbers); 1 M calls for the heap check',
    'pnpm bench --only "ours|cockatiel-wrap4" --no-memory   # a subset (regex on case ids; the bare baseline always runs)',
    '# options: --shared (all cases in one process) --repeats N --sample-ms MS --warmup-ms MS --calls N --memory-only --out DIR',
    '```',
    '',
    'Run it on an idle machine: the load average above the core count means other processes competed for the CPU and',
    'widened the ± spreads. Profile one case with e.g.',
    '`cd test && node --cpu-prof --expose-gc --import tsx src/bench/run.ts --only "^ours-full$" --no-memory --shared`.',
    '',
  ];
  return lines.join('\n');
}
