import type { RunResult } from './runScenario.js';
import { bestStatic } from './report.js';
import type { ScenarioResults } from './report.js';
import { unloadedP99Ms } from './serviceTime.js';

/** The targets of #11 item 5, per scenario, phase and adaptive mode. */
export const GOODPUT_VS_FIXED = 0.95;
export const GOODPUT_VS_BEST = 0.9;
export const P99_VS_FIXED = 1.2;
export const P99_VS_UNLOADED = 2;

/** One checked target cell. `met` is null where the target does not apply (shown as n/a). */
export interface Cell {
  readonly text: string;
  readonly met: boolean | null;
}

/** The cells of one adaptive run in one phase. */
export interface TargetRow {
  readonly scenario: string;
  readonly phase: string;
  readonly mode: string;
  readonly goodput: string;
  readonly vsFixed: Cell;
  readonly vsBest: Cell;
  readonly p99: string;
  readonly p99VsFixed: Cell;
  readonly p99VsUnloaded: Cell;
  readonly falseTrips: Cell;
}

const fmt = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toFixed(digits) : '–');
const pct = (a: number, b: number): string => (b > 0 ? `${((100 * a) / b).toFixed(1)} %` : '–');

/** Evaluates every target cell of a scenario's adaptive runs, phase by phase. */
export function targetRows(r: ScenarioResults): TargetRow[] {
  const best = bestStatic([r.fixedDefault, ...r.statics]);
  const fixed = r.fixedDefault;
  const rows: TargetRow[] = [];
  r.scenario.phases.forEach((phase, i) => {
    const unloaded2 = P99_VS_UNLOADED * unloadedP99Ms(r.scenario, phase);
    for (const a of r.adaptive) {
      const p = a.phases[i]!;
      const f = fixed.phases[i]!;
      const b = best.phases[i]!;
      // No success at all in the phase (an outage): a p99 target has nothing to judge.
      const p99Judged = Number.isFinite(p.p99Ms) || Number.isFinite(f.p99Ms);
      const bestAchieves = Number.isFinite(b.p99Ms) && b.p99Ms <= unloaded2;
      const trips = a.phaseTrips[i]!;
      rows.push({
        scenario: r.scenario.name,
        phase: phase.label,
        mode: a.variant,
        goodput: `${fmt(p.goodput, 1)} / ${fmt(f.goodput, 1)} / ${fmt(b.goodput, 1)}`,
        vsFixed: { text: pct(p.goodput, f.goodput), met: p.goodput >= GOODPUT_VS_FIXED * f.goodput },
        vsBest: { text: pct(p.goodput, b.goodput), met: p.goodput >= GOODPUT_VS_BEST * b.goodput },
        p99: `${fmt(p.p99Ms)} / ${fmt(f.p99Ms)} / ${fmt(b.p99Ms)}`,
        p99VsFixed: p99Judged
          ? {
              text: Number.isFinite(f.p99Ms) ? `≤ ${fmt(P99_VS_FIXED * f.p99Ms)}` : 'fixed: none',
              met: !Number.isFinite(p.p99Ms) || (Number.isFinite(f.p99Ms) && p.p99Ms <= P99_VS_FIXED * f.p99Ms),
            }
          : { text: 'no successes', met: null },
        p99VsUnloaded: bestAchieves
          ? { text: `≤ ${fmt(unloaded2)}`, met: !Number.isFinite(p.p99Ms) || p.p99Ms <= unloaded2 }
          : { text: `n/a (best static ${fmt(b.p99Ms)} > ${fmt(unloaded2)})`, met: null },
        falseTrips: phase.healthy ? { text: `${trips}`, met: trips === 0 } : { text: `${trips} (degraded)`, met: null },
      });
    }
  });
  return rows;
}

const mark = (c: Cell): string => (c.met === null ? c.text : c.met ? `${c.text} ✓` : `**${c.text} ✗**`);

/** The target table of a scenario, in markdown (every cell, met or not). */
export function targetTable(rows: readonly TargetRow[]): string {
  const lines = [
    `| phase | mode | goodput /s (adaptive / fixed / best static) | ≥ ${GOODPUT_VS_FIXED * 100} % of fixed | ≥ ${GOODPUT_VS_BEST * 100} % of best static | p99 ms (adaptive / fixed / best static) | ≤ ${P99_VS_FIXED}× fixed | ≤ ${P99_VS_UNLOADED}× unloaded | trips (zero when healthy) |`,
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.phase} | ${r.mode} | ${r.goodput} | ${mark(r.vsFixed)} | ${mark(r.vsBest)} | ${r.p99} | ${mark(r.p99VsFixed)} | ${mark(r.p99VsUnloaded)} | ${mark(r.falseTrips)} |`,
    );
  }
  return lines.join('\n');
}

/** Cells judged and missed per mode, and where each miss is. */
export function summarize(
  rows: readonly TargetRow[],
  all: readonly ScenarioResults[],
): { mode: string; judged: number; missed: number; where: string[] }[] {
  const modes = [...new Set(rows.map((r) => r.mode))];
  return modes.map((mode) => {
    let judged = 0;
    let missed = 0;
    const where: string[] = [];
    for (const r of rows.filter((x) => x.mode === mode)) {
      const cells: [string, Cell][] = [
        ['goodput vs fixed', r.vsFixed],
        ['goodput vs best static', r.vsBest],
        ['p99 vs fixed', r.p99VsFixed],
        ['p99 vs unloaded', r.p99VsUnloaded],
        ['false trips', r.falseTrips],
      ];
      for (const [name, c] of cells) {
        if (c.met === null) continue;
        judged++;
        if (!c.met) {
          missed++;
          where.push(`${r.scenario} / ${r.phase}: ${name} (${c.text})`);
        }
      }
    }
    for (const s of all) {
      const run = s.adaptive.find((a: RunResult) => a.variant === mode);
      if (run === undefined) continue;
      judged++;
      if (run.ticksThatClosed > 0) {
        missed++;
        where.push(`${s.scenario.name}: ${run.ticksThatClosed} adaptation tick(s) closed an open circuit`);
      }
    }
    return { mode, judged, missed, where };
  });
}
