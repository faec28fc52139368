// One simulation worker process (forked by run.ts): runs the jobs it is sent, one at a time,
// and sends each result back. Exits when the parent disconnects.
import { runScenario } from './runScenario.js';
import { variantsOf } from './simulate.js';
import { buildScenarios } from './suite.js';

/** One run: a scenario of the suite at a scale, and the index of the variant in `variantsOf`. */
export interface Job {
  readonly scale: number;
  readonly scenario: number;
  readonly variant: number;
}

process.on('message', (job: Job) => {
  const scenario = buildScenarios(job.scale)[job.scenario]!;
  runScenario(scenario, variantsOf(scenario)[job.variant]!).then(
    (result) => process.send!(result),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
});
process.on('disconnect', () => process.exit(0));
