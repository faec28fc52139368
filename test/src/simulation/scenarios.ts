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
  /** Whether the downstream is healthy (not degraded, not down): a trip in such a phase is a false trip. */
  readonly healthy: boolean;
  /** Service time multiplier at the phase's start, and at its end (linear in between). Default 1. */
  readonly serviceFactor?: number;
  readonly serviceFactorEnd?: number;
  /** Bimodal service: share of calls that miss (slow mode); default the scenario's. */
  readonly missRate?: number;
  /** Extra calls arriving at once this long after the phase starts (a burst). */
  readonly burst?: { readonly calls: number; readonly afterMs: number };
}

/** Log-normal service time: median and sigma of the underlying normal. */
export interface LogNormal {
  readonly medianMs: number;
  readonly sigma: number;
}

/** The service time of the downstream: log-normal, or a mix of fast hits and slow misses. */
export type ServiceModel =
  | ({ readonly kind: 'lognormal' } & LogNormal)
  | { readonly kind: 'bimodal'; readonly hit: LogNormal; readonly miss: LogNormal; readonly missRate: number };

/** A deterministic experiment: open-loop Poisson arrivals against a downstream whose phases change. */
export interface Scenario {
  readonly name: string;
  readonly title: string;
  readonly seed: number;
  /** Arrival rate, calls/s; with `rateAt`, its upper bound (arrivals are thinned). */
  readonly arrivalsPerSecond: number;
  /** Arrival rate at a time, calls/s (≤ `arrivalsPerSecond`); absent = constant. */
  readonly rateAt?: (tMs: number) => number;
  readonly service: ServiceModel;
  readonly phases: readonly Phase[];
  /** Callers that retry a failed or rejected call themselves: up to `attempts` more times, `delayMs` later. */
  readonly callerRetries?: { readonly attempts: number; readonly delayMs: number };
  /** The bulkhead queue of the scenario's strategy (default 20 calls, 100 ms). */
  readonly queue?: { readonly maxQueueSize: number; readonly queueTimeoutMs: number };
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

/** The fixed default: the scenario's strategy as configured, with the library's default limit (64). */
export const FIXED_DEFAULT: Variant = { name: 'fixed default' };

/** The adaptive variants: the default options (gradient, 30 s), a 10 s interval, and the plan's rule. */
export const ADAPTIVE_VARIANTS: readonly Variant[] = [
  { name: 'adaptive (gradient)', adaptation: { enabled: true } },
  { name: 'adaptive (gradient, 10 s)', adaptation: { enabled: true, intervalMs: 10_000 } },
  { name: "adaptive (plan's trend rule)", adaptation: { enabled: true, concurrencyMode: 'trend' } },
];

/** Static limits swept where the bulkhead limit is what matters. */
export function staticLimits(limits: readonly number[]): Variant[] {
  return limits.map((n) => ({ name: `static limit ${n}`, maxConcurrency: n }));
}

type PhaseSpec = Omit<Phase, 'startMs' | 'endMs' | 'healthy' | 'capacity' | 'errorRate' | 'down'> &
  Partial<Pick<Phase, 'healthy' | 'capacity' | 'errorRate' | 'down'>>;

/** Lays phases end to end; a phase is healthy unless it is down or says otherwise. */
export function phases(base: { capacity: number }, list: readonly PhaseSpec[], lengthsMs: readonly number[]): Phase[] {
  let at = 0;
  return list.map((p, i) => {
    const down = p.down ?? false;
    const phase: Phase = {
      capacity: base.capacity,
      errorRate: 0,
      ...p,
      down,
      healthy: p.healthy ?? !down,
      startMs: at,
      endMs: at + lengthsMs[i]!,
    };
    at = phase.endMs;
    return phase;
  });
}
