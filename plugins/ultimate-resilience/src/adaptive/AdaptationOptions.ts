import { InvalidConfigurationError } from '@datawarehouse/sdk';
import {
  rejectUnknownKeys,
  validateBoolean,
  validateEnum,
  validateInteger,
  validateNumber,
  validateObject,
} from '@datawarehouse/sdk/internals';

/**
 * How the adaptive bulkhead limit follows latency. In both modes the limit moves only while
 * demand presses on it (bulkhead rejections or queue, or in-flight calls at `growthUtilization`
 * × the limit or more): a slower downstream that our calls do not load is not an overloaded one.
 * - `gradient` (default): compares the smoothed p99 with a long-term no-load baseline (which
 *   adopts a latency rise at once while demand does not press, and with time constant
 *   `baselineFollowMs` while it does; cuts that cost throughput in proportion are undone) and
 *   cuts the limit towards throughput × no-load p50 × `latencyTolerance` when the p99 exceeds
 *   `latencyTolerance` times the baseline; grows by `sqrt(limit)` only while the limit is what
 *   holds calls back (after Netflix concurrency-limits' Gradient2 / Envoy's adaptive concurrency).
 * - `trend`: the plan's rule — p99 falling by more than `trendTolerance` → limit ×
 *   `concurrencyIncreaseFactor`, rising → × `concurrencyDecreaseFactor`, else unchanged.
 * @since 6.0.0
 */
export type ConcurrencyMode = 'gradient' | 'trend';

/**
 * Parameters of the adaptive thresholds (`ScalingLimits.adaptation`, and per strategy
 * `strategies.<id>.adaptive` / a definition's `adaptive`). Defaults in {@link DEFAULT_ADAPTATION_OPTIONS}.
 * @since 6.0.0
 */
export interface AdaptationOptions {
  /** Whether thresholds adapt. Default `false`: it misses 3 of the 152 targets of the simulation suite (docs/adaptive.md). */
  readonly enabled: boolean;
  /** Period of adaptation, ms; a multiple of `sampleIntervalMs`. Default 30 000. Global only. */
  readonly intervalMs: number;
  /** Period of sampling the strategies' counters (one bucket per period), ms >= 100. Default 10 000. Global only. */
  readonly sampleIntervalMs: number;
  /** The short, medium and long windows, ms (each >= `sampleIntervalMs`, in increasing order). Defaults 1, 5 and 15 minutes. Global only. */
  readonly shortWindowMs: number;
  readonly mediumWindowMs: number;
  readonly longWindowMs: number;
  /** Completed calls a window needs before its error rate is acted on. Default 20. */
  readonly minCalls: number;

  /** Adapt the breaker's `failureThreshold` (`consecutive` and `count` modes). Default true. */
  readonly adaptFailureThreshold: boolean;
  /** Error rate below which (short and medium window) the threshold rises. Default 0.01. */
  readonly lowErrorRate: number;
  /** Error rate above which (short window) the threshold falls. Default 0.05. */
  readonly highErrorRate: number;
  /**
   * Until its first adaptation (no data yet) a `count` / `consecutive` breaker runs at
   * `maxFailureThreshold` (never below its configured threshold), so background errors cannot
   * trip it before the rule has seen them; the first adaptation keeps that value only if the
   * error rate is low, else the rule starts from the configured one. Default true.
   */
  readonly warmUp: boolean;
  /** Multiplier when raising (at least +1), > 1. Default 1.25. */
  readonly thresholdIncreaseFactor: number;
  /** Multiplier when lowering (at least -1), in (0, 1). Default 0.5. */
  readonly thresholdDecreaseFactor: number;
  /** Bounds of the failure threshold. Defaults 2 and 20. */
  readonly minFailureThreshold: number;
  readonly maxFailureThreshold: number;

  /** Adapt the breaker's `breakDurationMs` (reset timeout) to observed recovery times. Default true. */
  readonly adaptBreakDuration: boolean;
  /** Break duration = this × the EMA of how long open circuits took to close, > 0. Default 0.25. */
  readonly recoveryTimeoutFactor: number;
  /** Bounds of the break duration, ms. Defaults 1 000 and 120 000. */
  readonly minBreakDurationMs: number;
  readonly maxBreakDurationMs: number;

  /** Adapt the bulkhead's `maxConcurrency` to p99 latency. Default true. */
  readonly adaptConcurrency: boolean;
  /** See {@link ConcurrencyMode}. Default `gradient`. */
  readonly concurrencyMode: ConcurrencyMode;
  /** Weight of a new p99 reading in its EMA (and of a new recovery time in its EMA), in (0, 1]. Default 0.5. */
  readonly emaAlpha: number;
  /** `gradient`: p99 may reach this multiple of the baseline before the limit shrinks, >= 1. Default 1.5. */
  readonly latencyTolerance: number;
  /** `gradient`: the smallest factor one adaptation may apply (largest cut), in (0, 1]. Default 0.5. */
  readonly minGradient: number;
  /** `gradient`: grow only when the estimated in-flight calls reach this share of the limit (or calls were queued or rejected), in [0, 1]. Default 0.5. */
  readonly growthUtilization: number;
  /**
   * `gradient`: while latency is healthy and demand is well below the limit, let the limit
   * decay towards the estimated in-flight calls / `growthUtilization`, so a sudden slowdown
   * meets a limit near the real need rather than the configured ceiling. Default true.
   */
  readonly trackDemand: boolean;
  /**
   * `gradient`: demand tracking never takes the limit below this share of the configured limit,
   * in [0, 1], so a burst after a quiet spell still finds room (a quiet hour says nothing about
   * the next burst). Default 1/3 (22 of the default 64).
   */
  readonly trackDemandFloor: number;
  /**
   * `gradient`: time constant, ms, with which the no-load baseline follows a latency rise while
   * demand presses on the limit (without pressure a rise is adopted at once), so a real shift
   * becomes the new normal even under load, as Gradient2's long-term average does. 0 = at once.
   * Default 900 000 (15 minutes).
   */
  readonly baselineFollowMs: number;
  /** `trend`: relative p99 change that counts as rising or falling, in [0, 1). Default 0.1. */
  readonly trendTolerance: number;
  /** `trend`: multipliers applied when p99 falls / rises. Defaults 1.2 and 0.8. */
  readonly concurrencyIncreaseFactor: number;
  readonly concurrencyDecreaseFactor: number;
  /** Bounds of the adaptive limit (the configured bulkhead limit also caps it). Defaults 1 and 100 000. */
  readonly minConcurrency: number;
  readonly maxConcurrency: number;
}

/** Defaults of {@link AdaptationOptions}. @since 6.0.0 */
export const DEFAULT_ADAPTATION_OPTIONS: AdaptationOptions = Object.freeze({
  enabled: false,
  intervalMs: 30_000,
  sampleIntervalMs: 10_000,
  shortWindowMs: 60_000,
  mediumWindowMs: 300_000,
  longWindowMs: 900_000,
  minCalls: 20,
  adaptFailureThreshold: true,
  lowErrorRate: 0.01,
  highErrorRate: 0.05,
  warmUp: true,
  thresholdIncreaseFactor: 1.25,
  thresholdDecreaseFactor: 0.5,
  minFailureThreshold: 2,
  maxFailureThreshold: 20,
  adaptBreakDuration: true,
  recoveryTimeoutFactor: 0.25,
  minBreakDurationMs: 1_000,
  maxBreakDurationMs: 120_000,
  adaptConcurrency: true,
  concurrencyMode: 'gradient',
  emaAlpha: 0.5,
  latencyTolerance: 1.5,
  minGradient: 0.5,
  growthUtilization: 0.5,
  trackDemand: true,
  trackDemandFloor: 1 / 3,
  baselineFollowMs: 900_000,
  trendTolerance: 0.1,
  concurrencyIncreaseFactor: 1.2,
  concurrencyDecreaseFactor: 0.8,
  minConcurrency: 1,
  maxConcurrency: 100_000,
});

/** Options that shape the shared sampler and the ring buffers: settable only globally. @since 6.0.0 */
export const GLOBAL_ONLY_ADAPTATION_KEYS: readonly (keyof AdaptationOptions)[] = Object.freeze([
  'intervalMs',
  'sampleIntervalMs',
  'shortWindowMs',
  'mediumWindowMs',
  'longWindowMs',
]);

const KEYS = Object.keys(DEFAULT_ADAPTATION_OPTIONS) as (keyof AdaptationOptions)[];
const MODES: readonly ConcurrencyMode[] = ['gradient', 'trend'];
const MAX_INTERVALS = 100_000;
const DAY_MS = 86_400_000;

type Validator = (field: string, value: unknown) => unknown;
const bool: Validator = validateBoolean;
const rate: Validator = (f, v) => validateNumber(f, v, 0, 1);
const VALIDATORS: Record<keyof AdaptationOptions, Validator> = {
  enabled: bool,
  intervalMs: (f, v) => validateNumber(f, v, 100, DAY_MS),
  sampleIntervalMs: (f, v) => validateNumber(f, v, 100, DAY_MS),
  shortWindowMs: (f, v) => validateNumber(f, v, 100, 30 * DAY_MS),
  mediumWindowMs: (f, v) => validateNumber(f, v, 100, 30 * DAY_MS),
  longWindowMs: (f, v) => validateNumber(f, v, 100, 30 * DAY_MS),
  minCalls: (f, v) => validateInteger(f, v, 0),
  adaptFailureThreshold: bool,
  lowErrorRate: rate,
  highErrorRate: rate,
  warmUp: bool,
  thresholdIncreaseFactor: (f, v) => validateNumber(f, v, 1, 100, true),
  thresholdDecreaseFactor: (f, v) => validateNumber(f, v, 0, 0.999_999, true),
  minFailureThreshold: (f, v) => validateInteger(f, v, 1, 1_000_000),
  maxFailureThreshold: (f, v) => validateInteger(f, v, 1, 1_000_000),
  adaptBreakDuration: bool,
  recoveryTimeoutFactor: (f, v) => validateNumber(f, v, 0, 100, true),
  minBreakDurationMs: (f, v) => validateNumber(f, v, 0, 30 * DAY_MS, true),
  maxBreakDurationMs: (f, v) => validateNumber(f, v, 0, 30 * DAY_MS, true),
  adaptConcurrency: bool,
  concurrencyMode: (f, v) => validateEnum(f, v, MODES),
  emaAlpha: (f, v) => validateNumber(f, v, 0, 1, true),
  latencyTolerance: (f, v) => validateNumber(f, v, 1, 100),
  minGradient: (f, v) => validateNumber(f, v, 0, 1, true),
  growthUtilization: rate,
  trackDemand: bool,
  trackDemandFloor: rate,
  baselineFollowMs: (f, v) => validateNumber(f, v, 0, 30 * DAY_MS),
  trendTolerance: (f, v) => validateNumber(f, v, 0, 0.999_999),
  concurrencyIncreaseFactor: (f, v) => validateNumber(f, v, 1, 100),
  concurrencyDecreaseFactor: (f, v) => validateNumber(f, v, 0, 1, true),
  minConcurrency: (f, v) => validateInteger(f, v, 1, 1_000_000),
  maxConcurrency: (f, v) => validateInteger(f, v, 1, 1_000_000),
};

/**
 * Validates `input` (a partial {@link AdaptationOptions}) over `base` into a frozen, complete
 * options object, then cross-checks the result (every min <= its max, `lowErrorRate <
 * highErrorRate`, `intervalMs` a multiple of `sampleIntervalMs`, windows increasing and
 * >= `sampleIntervalMs`, at most 100 000 intervals in the long window).
 * @param field - path used in errors, e.g. `adaptation` or `strategies.db.adaptive`.
 * @param base - values for the fields `input` leaves out. Default {@link DEFAULT_ADAPTATION_OPTIONS}.
 * @param globalOnlyAllowed - false for a per-strategy section, where the sampler's fields
 *   ({@link GLOBAL_ONLY_ADAPTATION_KEYS}) are refused. Default true.
 * @throws {@link InvalidConfigurationError} naming the field, e.g. `adaptation.emaAlpha`.
 */
/**
 * Checks a strategy definition's `adaptive` section field by field (types, ranges, unknown
 * keys, global-only keys) when the strategy is registered. Cross-field checks (min <= max, ...)
 * need the global options the section is layered on, so they run when it is applied.
 * @throws {@link InvalidConfigurationError} naming e.g. `strategies[0].adaptive.emaAlpha`.
 */
export function validateAdaptationFields(input: unknown, field: string): void {
  const obj = validateObject(field, input);
  rejectUnknownKeys(field, obj, KEYS);
  for (const key of KEYS) {
    const value = obj[key];
    if (value === undefined) continue;
    if (GLOBAL_ONLY_ADAPTATION_KEYS.includes(key)) {
      throw new InvalidConfigurationError(
        `${field}.${key}`,
        value,
        'absent: it applies to every strategy (set it in `adaptation`)',
      );
    }
    VALIDATORS[key](`${field}.${key}`, value);
  }
}

export function resolveAdaptationOptions(
  input: unknown,
  field = 'adaptation',
  base: AdaptationOptions = DEFAULT_ADAPTATION_OPTIONS,
  globalOnlyAllowed = true,
): AdaptationOptions {
  const obj = validateObject(field, input);
  rejectUnknownKeys(field, obj, KEYS);
  const at = (key: string): string => `${field}.${key}`;
  const out: Record<string, unknown> = { ...base };
  for (const key of KEYS) {
    const value = obj[key];
    if (value === undefined) continue;
    if (!globalOnlyAllowed && GLOBAL_ONLY_ADAPTATION_KEYS.includes(key)) {
      throw new InvalidConfigurationError(
        at(key),
        value,
        'absent: it applies to every strategy (set it in `adaptation`)',
      );
    }
    out[key] = VALIDATORS[key](at(key), value);
  }
  const o = out as unknown as AdaptationOptions;
  // Cross-checks name the field the caller gave, so the message points at what they changed.
  const pick = (a: keyof AdaptationOptions, b: keyof AdaptationOptions): keyof AdaptationOptions =>
    obj[b] !== undefined ? b : obj[a] !== undefined ? a : b;
  const order = (lo: keyof AdaptationOptions, hi: keyof AdaptationOptions, strict: boolean): void => {
    const l = o[lo] as number;
    const h = o[hi] as number;
    if (strict ? l < h : l <= h) return;
    const key = pick(lo, hi);
    const expected = key === hi ? `${strict ? '>' : '>='} ${lo} (${l})` : `${strict ? '<' : '<='} ${hi} (${h})`;
    throw new InvalidConfigurationError(at(key), o[key], `a value ${expected}`);
  };
  order('lowErrorRate', 'highErrorRate', true);
  order('minFailureThreshold', 'maxFailureThreshold', false);
  order('minBreakDurationMs', 'maxBreakDurationMs', false);
  order('minConcurrency', 'maxConcurrency', false);
  order('sampleIntervalMs', 'intervalMs', false);
  order('sampleIntervalMs', 'shortWindowMs', false);
  order('shortWindowMs', 'mediumWindowMs', false);
  order('mediumWindowMs', 'longWindowMs', false);
  const steps = o.intervalMs / o.sampleIntervalMs;
  if (Math.abs(steps - Math.round(steps)) > 1e-9) {
    const key = pick('sampleIntervalMs', 'intervalMs');
    throw new InvalidConfigurationError(
      at(key),
      o[key],
      `a value for which intervalMs (${o.intervalMs}) is a whole multiple of sampleIntervalMs (${o.sampleIntervalMs})`,
    );
  }
  if (Math.ceil(o.longWindowMs / o.sampleIntervalMs) > MAX_INTERVALS) {
    const key = pick('sampleIntervalMs', 'longWindowMs');
    throw new InvalidConfigurationError(
      at(key),
      o[key],
      `a value for which longWindowMs / sampleIntervalMs <= ${MAX_INTERVALS}`,
    );
  }
  return Object.freeze(o);
}

/**
 * The options one strategy adapts with: the global options, then its definition's `adaptive`
 * section (`false` switches adaptation off), then the runtime override
 * `ScalingLimits.strategies.<id>.adaptive`. A strategy's `enabled` defaults to the global one.
 * @throws {@link InvalidConfigurationError} naming `strategies.<id>.adaptive.<field>`.
 */
export function resolveStrategyAdaptation(
  global: AdaptationOptions,
  strategyId: string,
  definition: unknown,
  override: unknown,
): AdaptationOptions {
  const field = `strategies.${strategyId}.adaptive`;
  let resolved = global;
  if (definition === false) resolved = Object.freeze({ ...global, enabled: false });
  else if (definition !== undefined) resolved = resolveAdaptationOptions(definition, field, global, false);
  if (override !== undefined) resolved = resolveAdaptationOptions(override, field, resolved, false);
  return resolved;
}
