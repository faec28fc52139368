import { SdkCompatibility } from '@datawarehouse/sdk';
import { validateNumber } from '@datawarehouse/sdk/internals';

/**
 * One step of an exponential moving average: `previous + alpha * (sample - previous)`, or
 * `sample` when there is no previous value yet. A non-finite `sample` (a window without data)
 * leaves the average unchanged, so gaps in traffic do not drag it towards zero.
 * @param alpha - weight of the new sample, in (0, 1]; 1 follows the samples exactly.
 * @since 6.0.0
 */
export function emaStep(previous: number | undefined, sample: number, alpha: number): number | undefined {
  if (!Number.isFinite(sample)) return previous;
  if (previous === undefined || !Number.isFinite(previous)) return sample;
  return previous + alpha * (sample - previous);
}

/**
 * An exponential moving average (EMA) of a series, used to smooth the latency the adaptive
 * concurrency rule reacts to so that one noisy window cannot swing the limit. With weight
 * `alpha`, a step change in the input is followed to `1 - (1 - alpha)^n` after `n` updates
 * (alpha 0.5: 50 %, 75 %, 87.5 %, ...), and an alternating input is damped by `alpha / (2 - alpha)`.
 *
 * @example
 * ```ts
 * const ema = new Ema(0.5);
 * ema.update(100); // 100 (the first sample is taken as is)
 * ema.update(200); // 150
 * ```
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class Ema {
  private current: number | undefined = undefined;
  private samples = 0;

  /**
   * @param alpha - weight of each new sample, in (0, 1]. Default 0.5.
   * @throws {@link InvalidConfigurationError} naming `alpha`.
   */
  constructor(readonly alpha = 0.5) {
    validateNumber('alpha', alpha, 0, 1, true);
  }

  /** The average so far; `undefined` before the first finite sample. */
  get value(): number | undefined {
    return this.current;
  }

  /** Finite samples taken into the average. */
  get count(): number {
    return this.samples;
  }

  /** Takes one sample (ignored when not finite) and returns the new average. */
  update(sample: number): number | undefined {
    if (Number.isFinite(sample)) this.samples++;
    this.current = emaStep(this.current, sample, this.alpha);
    return this.current;
  }

  /** Forgets every sample. */
  reset(): void {
    this.current = undefined;
    this.samples = 0;
  }
}
