// `npm run simulate`: runs every scenario against every variant, prints the markdown report and
// writes test/reports/adaptive-simulation.{md,svg}. SIM_SCALE (default 1) shortens the phases;
// SIM_WORKERS (default 2) is how many processes share the runs. The runs are independent and
// deterministic, and the report assembles them in a fixed order, so the report is byte-identical
// whatever the number of workers or the order in which they finish.
import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunResult } from './runScenario.js';
import { assemble, renderMarkdown, renderSvg, variantsOf } from './simulate.js';
import { buildScenarios } from './suite.js';
import type { Job } from './worker.js';

const scale = Number(process.env.SIM_SCALE ?? '1');
if (!(scale > 0 && scale <= 1)) throw new Error(`SIM_SCALE must be in (0, 1], got ${process.env.SIM_SCALE}`);
const workers = Number(process.env.SIM_WORKERS ?? '2');
if (!(Number.isInteger(workers) && workers >= 1 && workers <= 16))
  throw new Error(`SIM_WORKERS must be an integer in [1, 16], got ${process.env.SIM_WORKERS}`);
const here = dirname(fileURLToPath(import.meta.url));
const reports = join(here, '..', '..', 'reports');

const started = performance.now();
const scenarios = buildScenarios(scale);
const jobs: Job[] = scenarios.flatMap((s, scenario) =>
  variantsOf(s).map((_, variant) => ({ scale, scenario, variant })),
);
// Longest first, so the last job to finish is a short one.
const order = jobs.map((_, i) => i).sort((a, b) => weight(jobs[b]!) - weight(jobs[a]!) || a - b);
const results: RunResult[] = new Array<RunResult>(jobs.length);

function weight(job: Job): number {
  const s = scenarios[job.scenario]!;
  return s.arrivalsPerSecond * s.phases[s.phases.length - 1]!.endMs;
}

await new Promise<void>((resolve, reject) => {
  let next = 0;
  let done = 0;
  let alive = 0;
  const start = (): void => {
    const child = fork(join(here, 'worker.ts'), { serialization: 'advanced', stdio: 'inherit' });
    alive++;
    let current = -1;
    const feed = (): void => {
      if (next >= order.length) {
        child.disconnect();
        return;
      }
      current = order[next++]!;
      child.send(jobs[current]!);
    };
    child.on('message', (result: RunResult) => {
      results[current] = result;
      process.stderr.write(
        `[${++done}/${jobs.length}] ${scenarios[jobs[current]!.scenario]!.name}: ${result.variant}\n`,
      );
      feed();
    });
    child.on('exit', (code) => {
      alive--;
      if (code !== 0) reject(new Error(`a simulation worker exited with ${code}`));
      else if (alive === 0) resolve();
    });
    feed();
  };
  for (let i = 0; i < Math.min(workers, jobs.length); i++) start();
});

let offset = 0;
const all = scenarios.map((s) => {
  const n = variantsOf(s).length;
  const set = assemble(s, results.slice(offset, offset + n));
  offset += n;
  return set;
});
const markdown = renderMarkdown(all, scale);
mkdirSync(reports, { recursive: true });
writeFileSync(join(reports, 'adaptive-simulation.md'), markdown);
writeFileSync(join(reports, 'adaptive-simulation.svg'), renderSvg(all));
console.log(markdown);
process.stderr.write(
  `wrote ${join(reports, 'adaptive-simulation.{md,svg}')} in ${((performance.now() - started) / 1000).toFixed(1)} s with ${workers} worker(s)\n`,
);
