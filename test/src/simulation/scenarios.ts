/** One stretch of a scenario during which the downstream behaves the same way. */
export interface Phase {
  readonly label: string;
  readonly startMs: number;
  readonly endMs: number;
  /** Workers of the downstream. */
  readonly capacity: number;
  /** Share of served calls that fail with a server error. */
  readonly errorRate: number;
  /** A full outage: every call fails fast. */
  readonly down: boolean;
}

/** A deterministic experiment: open-loop Poisson arrivals against a downstream whose phases change. */
export interface Scenario {
  readonly name: string;
  readonly title: string;
  readonly seed: number;
  readonly arrivalsPerSecond: number;
  /** Service time: log-normal with this median and sigma (of the underlying normal). */
  readonly medianServiceMs: number;
  readonly serviceSigma: number;
  readonly phases: readonly Phase[];
  /** Static settings swept to find the best one in hindsight (the fixed default is added to them). */
  readonly statics: readonly Variant[];
}

/** A configuration under test. */
export interface Variant {
  readonly name: string;
  /** Static bulkhead limit; absent = the library default (`maxConcurrentOperations`, 64). */
  readonly maxConcurrency?: number;
  /** Static breaker settings over the strategy's (absent = as configured). */
  readonly failureThreshold?: number;
  readonly breakDurationMs?: number;
  /** `ScalingLimits.adaptation`; absent = adaptation off. */
  readonly adaptation?: Readonly<Record<string, unknown>>;
}

const MIN = 60_000;

function phases(list: readonly Omit<Phase, 'startMs' | 'endMs'>[], lengthsMs: readonly number[]): Phase[] {
  let at = 0;
  return list.map((p, i) => {
    const phase = { ...p, startMs: at, endMs: at + lengthsMs[i]! };
    at = phase.endMs;
    return phase;
  });
}

const SERVICE = { arrivalsPerSecond: 100, medianServiceMs: 100, serviceSigma: 0.4 } as const;

/**
 * The three scenarios. `scale` shortens every phase (for the test suite); 1 is the full run.
 * Unloaded: 100 calls/s × ~108 ms mean service ≈ 11 calls in flight against 16 workers (68 %).
 */
export function buildScenarios(scale = 1): Scenario[] {
  const m = (minutes: number): number => Math.round(minutes * MIN * scale);
  const healthy = { capacity: 16, errorRate: 0, down: false };
  return [
    {
      name: 'capacity-halving',
      title: 'Capacity halves (16 → 8 workers, 135 % load) then recovers',
      seed: 1,
      ...SERVICE,
      phases: phases(
        [
          { label: 'healthy', ...healthy },
          { label: 'halved', ...healthy, capacity: 8 },
          { label: 'recovered', ...healthy },
        ],
        [m(10), m(10), m(10)],
      ),
      statics: [4, 6, 8, 10, 12, 14, 16, 20, 24, 32].map((n) => ({ name: `static limit ${n}`, maxConcurrency: n })),
    },
    {
      name: 'outage',
      // Durations that are no multiple of any break duration tried, so no setting recovers by luck.
      title: 'Two blips (12 s, 21 s), then a 187 s full outage, then recovery',
      seed: 2,
      ...SERVICE,
      phases: phases(
        [
          { label: 'healthy', ...healthy },
          { label: 'blip 1', ...healthy, down: true },
          { label: 'healthy 2', ...healthy },
          { label: 'blip 2', ...healthy, down: true },
          { label: 'healthy 3', ...healthy },
          { label: 'outage', ...healthy, down: true },
          { label: 'recovered', ...healthy },
        ],
        [m(5), 12_000, m(5), 21_000, m(5), Math.round(187_000 * Math.max(scale, 0.25)), m(5)],
      ),
      statics: [
        ...[2_000, 5_000, 15_000].map((ms) => ({ name: `static break ${ms / 1000} s`, breakDurationMs: ms })),
        { name: 'static threshold 20', failureThreshold: 20 },
      ],
    },
    {
      name: 'healthy',
      title: 'Healthy service with 0.5 % background errors for an hour',
      seed: 3,
      ...SERVICE,
      phases: phases([{ label: 'healthy', ...healthy, errorRate: 0.005 }], [m(60)]),
      statics: [15, 20, 30].map((n) => ({ name: `static threshold ${n}`, failureThreshold: n })),
    },
  ];
}

/** The fixed default: the scenario's strategy as configured, with the library's default limit (64). */
export const FIXED_DEFAULT: Variant = { name: 'fixed default' };

/** The adaptive variants: the default options (gradient, 30 s), a 10 s interval, and the plan's rule. */
export const ADAPTIVE_VARIANTS: readonly Variant[] = [
  { name: 'adaptive (gradient)', adaptation: { enabled: true } },
  { name: 'adaptive (gradient, 10 s)', adaptation: { enabled: true, intervalMs: 10_000 } },
  { name: "adaptive (plan's trend rule)", adaptation: { enabled: true, concurrencyMode: 'trend' } },
];
