import { SdkCompatibility } from '../compat/SdkCompatibility.js';
import { InvalidConfigurationError } from '../errors/errors.js';
import { validateInteger } from '../config/validate.js';

const UINT32 = 4294967296;

/**
 * A tiny deterministic pseudo-random generator (mulberry32: 32-bit state, period 2^32) for
 * simulations and fault injection. Not cryptographic. The same seed always yields the same
 * sequence, on every platform, so a simulation run can be replayed from its seed.
 *
 * @example
 * ```ts
 * const rng = new SeededRandom(42);
 * const dropped = rng.chance(0.1);
 * const latencyMs = rng.between(5, 20);
 * const resumed = new SeededRandom(rng.state); // continues the same sequence
 * ```
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class SeededRandom {
  private s: number;

  /**
   * @param seed - an integer in `[0, 2^32 - 1]`; default `1`.
   * @throws {@link InvalidConfigurationError} when `seed` is not such an integer.
   */
  constructor(seed = 1) {
    this.s = validateInteger('seed', seed, 0, UINT32 - 1);
  }

  /** The current internal state; `new SeededRandom(rng.state)` continues this sequence. */
  get state(): number {
    return this.s >>> 0;
  }

  /** The next float, uniform in `[0, 1)`. */
  next(): number {
    this.s = (this.s + 0x6d2b79f5) | 0;
    // Two xorshift-multiply rounds scramble the Weyl-sequence state into the output.
    let t = Math.imul(this.s ^ (this.s >>> 15), this.s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / UINT32;
  }

  /**
   * An integer uniform in `[0, maxExclusive)`.
   * @throws {@link InvalidConfigurationError} when `maxExclusive` is not an integer in `[1, 2^32]`.
   */
  nextInt(maxExclusive: number): number {
    validateInteger('maxExclusive', maxExclusive, 1, UINT32);
    return Math.floor(this.next() * maxExclusive);
  }

  /**
   * A float uniform in `[min, max)` (`min` when they are equal).
   * @throws {@link InvalidConfigurationError} when a bound is not finite or `max < min`.
   */
  between(min: number, max: number): number {
    if (!Number.isFinite(min)) throw new InvalidConfigurationError('min', min, 'a finite number');
    if (!Number.isFinite(max) || max < min) {
      throw new InvalidConfigurationError('max', max, `a finite number >= min (${min})`);
    }
    return min + this.next() * (max - min);
  }

  /**
   * True with the given probability. `chance(0)` is always false and draws nothing;
   * `chance(1)` is always true.
   * @throws {@link InvalidConfigurationError} when `probability` is not in `[0, 1]`.
   */
  chance(probability: number): boolean {
    if (!(probability >= 0 && probability <= 1)) {
      throw new InvalidConfigurationError('probability', probability, 'a number in [0, 1]');
    }
    // Skipping the draw keeps a disabled fault from shifting every later random value.
    return probability > 0 && this.next() < probability;
  }

  /**
   * A uniformly chosen element of `items`.
   * @throws {@link InvalidConfigurationError} when `items` is empty.
   */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new InvalidConfigurationError('items', items, 'a non-empty array');
    return items[Math.floor(this.next() * items.length)]!;
  }

  /**
   * A new generator seeded from this one's next value, so one component's draws do not
   * shift another's (each gets its own stream) while the whole stays reproducible.
   */
  fork(): SeededRandom {
    return new SeededRandom(Math.floor(this.next() * UINT32));
  }
}
