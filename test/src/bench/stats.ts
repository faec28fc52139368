import { InvalidConfigurationError } from '@datawarehouse/sdk';

/** Summary of repeated measurements of one quantity. @since 6.0.0 */
export interface SampleSummary {
  readonly count: number;
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** Median absolute deviation from the median. */
  readonly mad: number;
  /** `mad / median` (0 when the median is 0): the spread the tables print as ±%. */
  readonly relativeMad: number;
}

/**
 * Copies and sorts `values` ascending after checking they are a non-empty array of finite numbers.
 * @throws {@link InvalidConfigurationError} (field `values`) for an empty array or a non-finite value.
 */
function sortedCopy(values: readonly number[]): number[] {
  if (!Array.isArray(values) || values.length === 0) {
    throw new InvalidConfigurationError('values', values, 'a non-empty array of finite numbers');
  }
  for (let i = 0; i < values.length; i++) {
    if (typeof values[i] !== 'number' || !Number.isFinite(values[i])) {
      throw new InvalidConfigurationError(`values[${i}]`, values[i], 'a finite number');
    }
  }
  return [...values].sort((a, b) => a - b);
}

/**
 * The `q`-quantile of `values` with linear interpolation between closest ranks (R type 7:
 * `q = 0` is the minimum, `q = 1` the maximum, `q = 0.5` the median). Does not modify `values`.
 * @throws {@link InvalidConfigurationError} for empty or non-finite `values`, or `q` outside [0, 1].
 */
export function quantile(values: readonly number[], q: number): number {
  if (typeof q !== 'number' || !(q >= 0 && q <= 1)) throw new InvalidConfigurationError('q', q, 'a number in [0, 1]');
  const sorted = sortedCopy(values);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  return a + (b - a) * (pos - lo);
}

/**
 * Median of `values` (the mean of the two middle values for an even count). Does not modify `values`.
 * @throws {@link InvalidConfigurationError} for empty or non-finite `values`.
 */
export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/**
 * Median, extremes and median absolute deviation of `values` — robust against the odd
 * sample slowed by a GC pause or another process, unlike mean and standard deviation.
 * @throws {@link InvalidConfigurationError} for empty or non-finite `values`.
 */
export function summarize(values: readonly number[]): SampleSummary {
  const sorted = sortedCopy(values);
  const mid = median(sorted);
  const mad = median(sorted.map((v) => Math.abs(v - mid)));
  return {
    count: sorted.length,
    median: mid,
    min: sorted[0]!,
    max: sorted[sorted.length - 1]!,
    mad,
    relativeMad: mid === 0 ? 0 : mad / Math.abs(mid),
  };
}

/**
 * `value / baseline`, or `NaN` when the baseline is not a positive finite number (a ratio to
 * nothing would print as a misleading `Infinity`).
 */
export function ratio(value: number, baseline: number): number {
  return baseline > 0 && Number.isFinite(baseline) ? value / baseline : NaN;
}

/**
 * How many iterations make one sample last about `targetNs`, from a trial of `trialIterations`
 * that took `trialNs`: at least `min`, at most `max`.
 * @throws {@link InvalidConfigurationError} for a non-positive target or trial.
 */
export function iterationsFor(targetNs: number, trialIterations: number, trialNs: number, min = 1, max = 1e9): number {
  if (!(targetNs > 0) || !Number.isFinite(targetNs))
    throw new InvalidConfigurationError('targetNs', targetNs, 'a positive finite number');
  if (!(trialIterations >= 1)) throw new InvalidConfigurationError('trialIterations', trialIterations, 'a number >= 1');
  if (!(trialNs > 0) || !Number.isFinite(trialNs))
    throw new InvalidConfigurationError('trialNs', trialNs, 'a positive finite number');
  const n = Math.round((targetNs * trialIterations) / trialNs);
  return Math.min(max, Math.max(min, n));
}
