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
