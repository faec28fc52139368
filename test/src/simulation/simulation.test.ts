import { describe, expect, it } from 'vitest';
import { runScenario } from './runScenario.js';
import { ADAPTIVE_VARIANTS, FIXED_DEFAULT } from './scenarios.js';
import type { Scenario } from './scenarios.js';
import { unloadedP99Ms } from './serviceTime.js';
import { buildScenarios } from './suite.js';

// Shortened scenarios (phases scaled down); the full suite runs with `npm run simulate`.
const scenarios = buildScenarios(0.2);
const healthyShort = buildScenarios(0.1).find((s) => s.name === 'healthy')!;
const byName = (name: string, from: readonly Scenario[] = scenarios): Scenario => from.find((s) => s.name === name)!;
const ADAPTIVE = ADAPTIVE_VARIANTS[0]!;

describe('adaptive thresholds simulation', () => {
  it('beats the fixed default when the downstream capacity halves', async () => {
    const scenario = byName('capacity-halving');
    const adaptive = await runScenario(scenario, ADAPTIVE);
    const fixed = await runScenario(scenario, FIXED_DEFAULT);
    const halved = 1;
    expect(adaptive.total.goodput).toBeGreaterThan(fixed.total.goodput);
    expect(adaptive.phases[halved]!.goodput).toBeGreaterThan(fixed.phases[halved]!.goodput);
    expect(adaptive.phases[halved]!.p99Ms).toBeLessThan(fixed.phases[halved]!.p99Ms);
    expect(adaptive.falseTrips).toBe(0);
    expect(adaptive.adaptationErrors).toBe(0);
    // The limit came down towards the 8 workers left, and went back up afterwards.
    const limitAt = (minute: number) => adaptive.series.find((p) => p.tMs >= minute * 60_000)!.limit;
    expect(limitAt(3.9)).toBeLessThanOrEqual(24);
    expect(limitAt(5.9)).toBeGreaterThan(limitAt(3.9));
    expect(adaptive.phases[halved]!.steadyP99Ms).toBeLessThan(3 * unloadedP99Ms(scenario, scenario.phases[halved]!));
  });

  it('has no false trip in a healthy run, not even before the first adaptation, where the static threshold keeps tripping', async () => {
    const adaptive = await runScenario(healthyShort, ADAPTIVE);
    const fixed = await runScenario(healthyShort, FIXED_DEFAULT);
    expect(adaptive.falseTripTimesMs).toEqual([]);
    expect(fixed.falseTrips).toBeGreaterThanOrEqual(1);
    expect(adaptive.total.goodput).toBeGreaterThan(fixed.total.goodput);
  });

  it('keeps open circuits open across adaptation ticks, and trips on every outage', async () => {
    const scenario = byName('outage');
    const adaptive = await runScenario(scenario, ADAPTIVE);
    expect(adaptive.ticksWhileOpen).toBeGreaterThan(0);
    expect(adaptive.ticksThatClosed).toBe(0);
    expect(adaptive.falseTrips).toBe(0);
    for (const outage of adaptive.outages) {
      expect(outage.tripAfterMs).not.toBeNull();
      expect(outage.recoverAfterMs).not.toBeNull();
    }
    // After the first recovery was observed, the break follows it (0.25 × ~30 s), well below the configured 30 s.
    expect(adaptive.series.at(-1)!.breakDurationMs).toBeLessThan(30_000);
  });

  it('keeps full goodput when the downstream becomes 10× slower without being overloaded', async () => {
    const scenario = byName('latency-shift', buildScenarios(0.5));
    const adaptive = await runScenario(scenario, ADAPTIVE);
    const fixed = await runScenario(scenario, FIXED_DEFAULT);
    const slow = 1;
    expect(adaptive.phases[slow]!.goodput).toBeGreaterThanOrEqual(0.95 * fixed.phases[slow]!.goodput);
    expect(adaptive.phases[slow]!.rejectedBulkhead).toBe(0);
    // The limit never drops to what a 30 ms downstream needed: 20 calls/s × 300 ms is ~6 in flight.
    const during = adaptive.series.filter((p) => p.tMs >= scenario.phases[slow]!.startMs);
    expect(Math.min(...during.map((p) => p.limit))).toBeGreaterThanOrEqual(12);
  });

  it('serves a burst after a quiet spell as the fixed default does (no drift of the limit down to the light demand)', async () => {
    const scenario = byName('light-then-burst', buildScenarios(0.5));
    const adaptive = await runScenario(scenario, ADAPTIVE);
    const fixed = await runScenario(scenario, FIXED_DEFAULT);
    for (const i of [1, 3]) {
      const lost = (r: typeof adaptive) => r.phases[i]!.offered - r.phases[i]!.successes;
      expect(lost(adaptive)).toBeLessThanOrEqual(lost(fixed) + 1);
    }
  });

  it('is deterministic: the same scenario and variant give the same result', async () => {
    const a = await runScenario(healthyShort, ADAPTIVE);
    const b = await runScenario(healthyShort, ADAPTIVE);
    expect(b.total).toEqual(a.total);
    expect(b.series).toEqual(a.series);
  });
});
