import type { RunResult } from './runScenario.js';
import type { Scenario } from './scenarios.js';

/** The results of one scenario: every variant, and which static one was best in hindsight. */
export interface ScenarioResults {
  readonly scenario: Scenario;
  readonly adaptive: readonly RunResult[];
  readonly fixedDefault: RunResult;
  readonly statics: readonly RunResult[];
}

/** Goodput within this share of the best counts as a tie (then the lower p99 wins). */
const GOODPUT_TIE = 0.01;

function best<T>(items: readonly T[], goodput: (t: T) => number, p99: (t: T) => number): T {
  const top = Math.max(...items.map(goodput));
  const near = items.filter((t) => goodput(t) >= top * (1 - GOODPUT_TIE));
  return near.sort((a, b) => p99(a) - p99(b))[0]!;
}

/** The static run with the most goodput (within 1 %: the lower p99). */
export function bestStatic(runs: readonly RunResult[]): RunResult {
  return best(
    runs,
    (r) => r.total.goodput,
    (r) => r.total.p99Ms,
  );
}

/** For each phase, the static run best in that phase (the oracle in hindsight; same rule). */
export function perPhaseOracle(
  runs: readonly RunResult[],
): { label: string; run: RunResult; goodput: number; p99Ms: number }[] {
  return runs[0]!.phases.map((phase, i) => {
    const run = best(
      runs,
      (r) => r.phases[i]!.goodput,
      (r) => r.phases[i]!.p99Ms,
    );
    return { label: phase.label, run, goodput: run.phases[i]!.goodput, p99Ms: run.phases[i]!.p99Ms };
  });
}

export function rejected(run: RunResult): number {
  return run.total.rejectedBulkhead + run.total.rejectedCircuit;
}

function mean(values: readonly (number | null)[]): number | null {
  const xs = values.filter((v): v is number => v !== null);
  return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;
}

const fmt = (n: number | null, digits = 0): string => (n === null || !Number.isFinite(n) ? '–' : n.toFixed(digits));

/** The main comparison table of one scenario, in markdown. */
export function comparisonTable(results: ScenarioResults): string {
  const best = bestStatic([results.fixedDefault, ...results.statics]);
  const rows: [string, RunResult][] = [
    ...results.adaptive.map((r): [string, RunResult] => [r.variant, r]),
    [`best static in hindsight (${best.variant})`, best],
    ['fixed default', results.fixedDefault],
  ];
  const hasOutages = results.fixedDefault.outages.length > 0;
  const lines = [
    '| configuration | goodput /s | p99 ms | rejected (bulkhead + circuit) | failed | time to trip ms | time to recover s | false trips |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const [label, r] of rows) {
    const trip = hasOutages ? fmt(mean(r.outages.map((o) => o.tripAfterMs))) : '–';
    const recover = hasOutages
      ? fmt(mean(r.outages.map((o) => (o.recoverAfterMs === null ? null : o.recoverAfterMs / 1000))), 1)
      : '–';
    lines.push(
      `| ${label} | ${fmt(r.total.goodput, 1)} | ${fmt(r.total.p99Ms)} | ${r.total.rejectedBulkhead} + ${r.total.rejectedCircuit} | ${r.total.failures} | ${trip} | ${recover} | ${r.falseTrips} |`,
    );
  }
  return lines.join('\n');
}

/** Per phase: adaptive vs the best static limit of that phase (goodput ratio and p99). */
export function phaseTable(results: ScenarioResults, adaptive: RunResult, unloadedP99Ms: number): string {
  const oracle = perPhaseOracle([results.fixedDefault, ...results.statics]);
  const lines = [
    `| phase | best static for the phase | its goodput /s | ${adaptive.variant} goodput /s | ratio | adaptive p99 ms (whole phase / after ${60} s) | ≤ 2× unloaded (${Math.round(2 * unloadedP99Ms)} ms)? |`,
    '|---|---|---:|---:|---:|---:|---|',
  ];
  oracle.forEach((o, i) => {
    const p = adaptive.phases[i]!;
    const ok = (v: number) => (v <= 2 * unloadedP99Ms ? 'yes' : 'no');
    lines.push(
      `| ${o.label} | ${o.run.variant} | ${fmt(o.goodput, 1)} | ${fmt(p.goodput, 1)} | ${fmt((100 * p.goodput) / o.goodput, 1)} % | ${fmt(p.p99Ms)} / ${fmt(p.steadyP99Ms)} | ${ok(p.p99Ms)} / ${ok(p.steadyP99Ms)} |`,
    );
  });
  return lines.join('\n');
}

/** Per outage: time to trip and to recover for every run shown. */
export function outageTable(results: ScenarioResults): string {
  const best = bestStatic([results.fixedDefault, ...results.statics]);
  const runs = [...results.adaptive, best, results.fixedDefault];
  const labels = results.fixedDefault.outages.map((o) => o.label);
  const lines = [
    `| configuration | ${labels.map((l) => `${l}: trip ms / recover s`).join(' | ')} |`,
    `|---|${labels.map(() => '---:').join('|')}|`,
  ];
  for (const r of runs) {
    const name = r === best ? `best static (${r.variant})` : r.variant;
    lines.push(
      `| ${name} | ${r.outages.map((o) => `${fmt(o.tripAfterMs)} / ${fmt(o.recoverAfterMs === null ? null : o.recoverAfterMs / 1000, 1)}`).join(' | ')} |`,
    );
  }
  return lines.join('\n');
}
