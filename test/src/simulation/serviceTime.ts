import { SeededRandom } from '@datawarehouse/sdk';
import type { LogNormal, Phase, Scenario } from './scenarios.js';
import { quantile } from './tally.js';

/** Draws a log-normal value (Box-Muller). */
function logNormal(rng: SeededRandom, d: LogNormal): number {
  const u1 = 1 - rng.next();
  const u2 = rng.next();
  return d.medianMs * Math.exp(d.sigma * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2));
}

/** The phase's service time multiplier at `tMs` (linear from `serviceFactor` to `serviceFactorEnd`). */
export function serviceFactorAt(phase: Phase, tMs: number): number {
  const start = phase.serviceFactor ?? 1;
  const end = phase.serviceFactorEnd ?? start;
  if (end === start) return start;
  const f = Math.min(1, Math.max(0, (tMs - phase.startMs) / (phase.endMs - phase.startMs)));
  return start + (end - start) * f;
}

/** Draws the service time of one call arriving at `tMs` in `phase`. Always draws three numbers, whatever the model. */
export function drawServiceMs(rng: SeededRandom, scenario: Scenario, phase: Phase, tMs: number): number {
  const s = scenario.service;
  const pick = rng.next();
  const factor = serviceFactorAt(phase, tMs);
  if (s.kind === 'lognormal') return factor * logNormal(rng, s);
  const miss = pick < (phase.missRate ?? s.missRate);
  return factor * logNormal(rng, miss ? s.miss : s.hit);
}

const UNLOADED_DRAWS = 20_000;

/**
 * p99 of the service time alone in a phase (no queueing at all), ms: the 99th percentile of
 * 20 000 seeded draws of its model, at the phase's slowest service factor.
 */
export function unloadedP99Ms(scenario: Scenario, phase: Phase): number {
  const rng = new SeededRandom(12_345);
  const slowest = { ...phase, serviceFactor: Math.max(phase.serviceFactor ?? 1, phase.serviceFactorEnd ?? 1) };
  delete (slowest as { serviceFactorEnd?: number }).serviceFactorEnd;
  const draws = new Float64Array(UNLOADED_DRAWS);
  for (let i = 0; i < UNLOADED_DRAWS; i++) draws[i] = drawServiceMs(rng, scenario, slowest, phase.startMs);
  return quantile(draws.sort(), 0.99);
}

/** A 32-bit hash of integers (for per-retry draws that do not depend on what other calls did). */
export function mix(...values: number[]): number {
  let h = 0x9e37_79b9;
  for (const v of values) {
    h = Math.imul(h ^ (v >>> 0), 0x85eb_ca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2_ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}
