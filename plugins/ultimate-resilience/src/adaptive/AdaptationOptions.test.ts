import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { requireConfigError } from '@datawarehouse/sdk/testing';
import {
  DEFAULT_ADAPTATION_OPTIONS,
  resolveAdaptationOptions,
  resolveStrategyAdaptation,
} from './AdaptationOptions.js';

describe('resolveAdaptationOptions', () => {
  it('defaults to adaptation off, a 30 s interval, 10 s sampling and 1/5/15-minute windows', () => {
    const o = resolveAdaptationOptions({});
    expect(o).toEqual(DEFAULT_ADAPTATION_OPTIONS);
    expect(o).toMatchObject({
      enabled: false,
      intervalMs: 30_000,
      sampleIntervalMs: 10_000,
      shortWindowMs: 60_000,
      mediumWindowMs: 300_000,
      longWindowMs: 900_000,
    });
    expect(Object.isFrozen(o)).toBe(true);
  });

  it('overrides only the given fields, over the base', () => {
    const base = resolveAdaptationOptions({ enabled: true, emaAlpha: 0.3 });
    const o = resolveAdaptationOptions({ maxFailureThreshold: 50 }, 'adaptation', base);
    expect(o).toMatchObject({ enabled: true, emaAlpha: 0.3, maxFailureThreshold: 50, minFailureThreshold: 2 });
  });

  it('names the field and value of a bad option', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ emaAlpha: 0 }, 'adaptation.emaAlpha'],
      [{ emaAlpha: 1.1 }, 'adaptation.emaAlpha'],
      [{ enabled: 'yes' }, 'adaptation.enabled'],
      [{ concurrencyMode: 'aimd' }, 'adaptation.concurrencyMode'],
      [{ lowErrorRate: -0.1 }, 'adaptation.lowErrorRate'],
      [{ thresholdIncreaseFactor: 1 }, 'adaptation.thresholdIncreaseFactor'],
      [{ thresholdDecreaseFactor: 1 }, 'adaptation.thresholdDecreaseFactor'],
      [{ minFailureThreshold: 0 }, 'adaptation.minFailureThreshold'],
      [{ maxConcurrency: 2.5 }, 'adaptation.maxConcurrency'],
      [{ sampleIntervalMs: 50 }, 'adaptation.sampleIntervalMs'],
      [{ latencyTolerance: 0.9 }, 'adaptation.latencyTolerance'],
      [{ emaAlhpa: 0.5 }, 'adaptation.emaAlhpa'],
    ];
    for (const [input, field] of cases) {
      const e = requireConfigError(() => resolveAdaptationOptions(input));
      expect(e.field).toBe(field);
      expect(e.value).toBe(Object.values(input)[0]);
    }
    expect(requireConfigError(() => resolveAdaptationOptions(null)).field).toBe('adaptation');
  });

  it('cross-checks bounds and names the field the caller gave', () => {
    expect(requireConfigError(() => resolveAdaptationOptions({ maxFailureThreshold: 1 })).field).toBe(
      'adaptation.maxFailureThreshold',
    );
    expect(requireConfigError(() => resolveAdaptationOptions({ minFailureThreshold: 21 })).field).toBe(
      'adaptation.minFailureThreshold',
    );
    expect(requireConfigError(() => resolveAdaptationOptions({ lowErrorRate: 0.05 })).field).toBe(
      'adaptation.lowErrorRate',
    );
    expect(requireConfigError(() => resolveAdaptationOptions({ highErrorRate: 0.2, lowErrorRate: 0.3 })).field).toBe(
      'adaptation.highErrorRate',
    );
    expect(requireConfigError(() => resolveAdaptationOptions({ minBreakDurationMs: 200_000 })).field).toBe(
      'adaptation.minBreakDurationMs',
    );
    expect(requireConfigError(() => resolveAdaptationOptions({ minConcurrency: 10, maxConcurrency: 5 })).field).toBe(
      'adaptation.maxConcurrency',
    );
    expect(requireConfigError(() => resolveAdaptationOptions({ intervalMs: 25_000 })).field).toBe(
      'adaptation.intervalMs',
    );
    expect(requireConfigError(() => resolveAdaptationOptions({ sampleIntervalMs: 20_000 })).field).toBe(
      'adaptation.sampleIntervalMs',
    );
    expect(requireConfigError(() => resolveAdaptationOptions({ shortWindowMs: 600_000 })).field).toBe(
      'adaptation.shortWindowMs',
    );
    expect(
      requireConfigError(() =>
        resolveAdaptationOptions({
          sampleIntervalMs: 100,
          intervalMs: 100,
          shortWindowMs: 100,
          mediumWindowMs: 100,
          longWindowMs: 86_400_000,
        }),
      ).field,
    ).toBe('adaptation.longWindowMs');
  });

  it('accepts any consistent combination of bounds and keeps min <= max', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 1000 }), (a, b) => {
        const lo = Math.min(a, b);
        const hi = Math.max(a, b);
        const o = resolveAdaptationOptions({
          minFailureThreshold: lo,
          maxFailureThreshold: hi,
          minConcurrency: lo,
          maxConcurrency: hi,
        });
        expect(o.minFailureThreshold).toBeLessThanOrEqual(o.maxFailureThreshold);
        expect(o.minConcurrency).toBeLessThanOrEqual(o.maxConcurrency);
      }),
    );
  });
});

describe('resolveStrategyAdaptation', () => {
  const global = resolveAdaptationOptions({ enabled: true, maxFailureThreshold: 30 });

  it('layers the definition and the runtime override over the global options', () => {
    const o = resolveStrategyAdaptation(global, 'db', { concurrencyMode: 'trend', emaAlpha: 0.2 }, { emaAlpha: 0.7 });
    expect(o).toMatchObject({ enabled: true, maxFailureThreshold: 30, concurrencyMode: 'trend', emaAlpha: 0.7 });
    expect(resolveStrategyAdaptation(global, 'db', undefined, undefined)).toBe(global);
  });

  it('switches a strategy off with `adaptive: false` unless the override turns it back on', () => {
    expect(resolveStrategyAdaptation(global, 'db', false, undefined).enabled).toBe(false);
    expect(resolveStrategyAdaptation(global, 'db', false, { enabled: true }).enabled).toBe(true);
    const off = resolveAdaptationOptions({});
    expect(resolveStrategyAdaptation(off, 'db', { enabled: true }, undefined).enabled).toBe(true);
  });

  it('names `strategies.<id>.adaptive.<field>` and refuses the sampler fields per strategy', () => {
    expect(requireConfigError(() => resolveStrategyAdaptation(global, 'db', undefined, { enabled: 'yes' })).field).toBe(
      'strategies.db.adaptive.enabled',
    );
    expect(
      requireConfigError(() => resolveStrategyAdaptation(global, 'db', { intervalMs: 60_000 }, undefined)).field,
    ).toBe('strategies.db.adaptive.intervalMs');
    expect(
      requireConfigError(() => resolveStrategyAdaptation(global, 'db', undefined, { longWindowMs: 60_000 })).field,
    ).toBe('strategies.db.adaptive.longWindowMs');
    // Cross-checks run against the layers below: the global max is 30.
    expect(
      requireConfigError(() => resolveStrategyAdaptation(global, 'db', undefined, { minFailureThreshold: 31 })).field,
    ).toBe('strategies.db.adaptive.minFailureThreshold');
  });
});
