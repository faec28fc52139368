import { spawn } from 'node:child_process';
import type { BenchCase, BenchMode, CaseResult } from './harness.js';
import { summarize } from './stats.js';

/** Marks the line of a child's stdout that carries its results. */
export const CHILD_RESULT_PREFIX = 'BENCH_CHILD_RESULT ';

/**
 * Runs each case in its own Node process together with the baseline and the floor (interleaved with them, as
 * in a normal run), so no case runs on code the JIT shaped for another one — ours shares its
 * pipeline between the success, open and retry cases — and no library's background timers
 * run during another's samples. Each case's ratios are to the baseline and the floor of its own
 * process. Their rows are the medians over all processes.
 * @param childArgs arguments for each child besides `--child --only <id>` (timing options).
 * @throws Error naming the case when a child fails or prints no result.
 */
export async function runIsolated(
  cases: readonly BenchCase[],
  childArgs: readonly string[],
  onProgress: (line: string) => void,
): Promise<CaseResult[]> {
  const baseline = cases.find((c) => c.baseline === true);
  const floor = cases.find((c) => c.floor === true);
  const others = cases.filter((c) => c !== baseline && c !== floor);
  const results: CaseResult[] = [];
  const referenceRuns = new Map<string, CaseResult[]>();
  for (const c of others) {
    onProgress(`  process for ${c.id}…`);
    const childResults = await runChild(c.id, childArgs);
    const inChild = (ref: BenchCase | undefined, mode: BenchMode): number | undefined =>
      ref === undefined
        ? undefined
        : childResults.find((b) => b.caseId === ref.id && b.mode === mode)?.nsPerCall.median;
    for (const r of childResults) {
      if (r.caseId === baseline?.id || r.caseId === floor?.id) {
        const key = `${r.caseId}\u0000${r.mode}`;
        referenceRuns.set(key, [...(referenceRuns.get(key) ?? []), r]);
        continue;
      }
      if (r.caseId !== c.id) continue;
      const baselineNs = inChild(baseline, r.mode);
      const floorNs = inChild(floor, r.mode);
      results.push({
        ...r,
        ...(baselineNs !== undefined && { baselineNs }),
        ...(floorNs !== undefined && { floorNs }),
      });
    }
  }
  // The reference rows (bare, floor) are the medians over processes; their spread is across processes.
  for (const runs of referenceRuns.values()) {
    const medians = runs.map((r) => r.nsPerCall.median);
    results.unshift({
      caseId: runs[0]!.caseId,
      mode: runs[0]!.mode,
      callsPerSample: runs[0]!.callsPerSample,
      samples: medians,
      nsPerCall: summarize(medians),
    });
  }
  return results;
}

function runChild(caseId: string, childArgs: readonly string[]): Promise<CaseResult[]> {
  const script = process.argv[1]!;
  const args = [...process.execArgv, script, '--child', '--only', `^${escapeRegExp(caseId)}$`, ...childArgs];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = stdout.split('\n').find((l) => l.startsWith(CHILD_RESULT_PREFIX));
      if (code !== 0 || line === undefined) {
        reject(new Error(`bench process for ${caseId} failed (exit ${code}): ${stderr.trim().slice(-2000)}`));
        return;
      }
      resolve(JSON.parse(line.slice(CHILD_RESULT_PREFIX.length)) as CaseResult[]);
    });
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
