import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { InvalidConfigurationError, getSdkCompatibility } from '@datawarehouse/sdk';
import { Ema, emaStep } from './Ema.js';

describe('Ema', () => {
  it('is decorated for SDK 6.0.0', () => {
    expect(getSdkCompatibility(Ema)?.sdkVersion).toBe('6.0.0');
  });

  it('takes the first sample as is, then moves alpha of the way to each new one', () => {
    const ema = new Ema(0.5);
    expect(ema.value).toBeUndefined();
    expect(ema.update(100)).toBe(100);
    expect(ema.update(200)).toBe(150);
    expect(ema.update(200)).toBe(175);
    expect(ema.count).toBe(3);
  });

  it('ignores non-finite samples, so a window without data does not drag it to zero', () => {
    const ema = new Ema(0.5);
    ema.update(NaN);
    expect(ema.value).toBeUndefined();
    ema.update(80);
    ema.update(NaN);
    ema.update(Infinity);
    expect(ema.value).toBe(80);
    expect(ema.count).toBe(1);
  });

  it('follows the samples exactly with alpha 1 and forgets everything on reset', () => {
    const ema = new Ema(1);
    ema.update(5);
    expect(ema.update(9)).toBe(9);
    ema.reset();
    expect(ema.value).toBeUndefined();
    expect(ema.count).toBe(0);
  });

  it('rejects an alpha outside (0, 1] naming the field', () => {
    for (const alpha of [0, -0.1, 1.5, NaN]) {
      expect(() => new Ema(alpha)).toThrow(InvalidConfigurationError);
      try {
        new Ema(alpha);
      } catch (e) {
        expect((e as InvalidConfigurationError).field).toBe('alpha');
      }
    }
  });

  it('closes a step change geometrically: the gap after n samples is (1 - alpha)^n of the step', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.01, max: 1, noNaN: true }),
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        fc.integer({ min: 1, max: 30 }),
        (alpha, start, target, n) => {
          let value: number | undefined = start;
          for (let i = 0; i < n; i++) value = emaStep(value, target, alpha);
          const expected = Math.abs(start - target) * (1 - alpha) ** n;
          expect(Math.abs(value! - target)).toBeLessThanOrEqual(
            expected + 1e-6 * (1 + Math.abs(start) + Math.abs(target)),
          );
        },
      ),
    );
  });

  it('damps an oscillating input: the smoothed swing is alpha / (2 - alpha) of the input swing', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.05, max: 0.95, noNaN: true }), (alpha) => {
        const ema = new Ema(alpha);
        let lo = Infinity;
        let hi = -Infinity;
        for (let i = 0; i < 2_000; i++) {
          const v = ema.update(i % 2 === 0 ? 100 : 200)!;
          if (i >= 1_900) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
          }
        }
        expect(hi - lo).toBeCloseTo((100 * alpha) / (2 - alpha), 4);
        expect(hi - lo).toBeLessThan(100);
      }),
    );
  });

  it('stays within the range of the samples it saw', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.01, max: 1, noNaN: true }),
        fc.array(fc.double({ min: -1e9, max: 1e9, noNaN: true }), { minLength: 1, maxLength: 50 }),
        (alpha, samples) => {
          const ema = new Ema(alpha);
          for (const s of samples) ema.update(s);
          expect(ema.value!).toBeGreaterThanOrEqual(Math.min(...samples) - 1e-6);
          expect(ema.value!).toBeLessThanOrEqual(Math.max(...samples) + 1e-6);
        },
      ),
    );
  });
});
