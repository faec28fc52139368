// `pnpm simulate`: runs every scenario against every variant, prints the markdown tables and
// writes test/reports/adaptive-simulation.{md,svg}. SIM_SCALE (default 1) shortens the phases.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildScenarios } from './scenarios.js';
import { renderMarkdown, renderSvg, runScenarioSet } from './simulate.js';
import type { ScenarioResults } from './report.js';

const scale = Number(process.env.SIM_SCALE ?? '1');
if (!(scale > 0 && scale <= 1)) throw new Error(`SIM_SCALE must be in (0, 1], got ${process.env.SIM_SCALE}`);
const reports = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'reports');

const started = performance.now();
const all: ScenarioResults[] = [];
for (const scenario of buildScenarios(scale)) {
  process.stderr.write(`${scenario.name}:`);
  all.push(await runScenarioSet(scenario, (r) => process.stderr.write(` [${r.variant}]`)));
  process.stderr.write('\n');
}
const markdown = renderMarkdown(all, scale);
mkdirSync(reports, { recursive: true });
writeFileSync(join(reports, 'adaptive-simulation.md'), markdown);
writeFileSync(join(reports, 'adaptive-simulation.svg'), renderSvg(all));
console.log(markdown);
process.stderr.write(
  `wrote ${join(reports, 'adaptive-simulation.{md,svg}')} in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
);
