import { InvalidConfigurationError } from '@datawarehouse/sdk';
import type { ScalingLimits, StrategyLimits } from '@datawarehouse/sdk';
import type { AdaptationSettings, PreparedAdaptation } from '../adaptive/AdaptationSettings.js';
import type { ResolvedStrategy } from '../strategies/StrategyDefinition.js';
import type { StrategyRegistry } from '../strategies/StrategyRegistry.js';
import { computeEffectiveOptions } from '../strategies/effectiveOptions.js';
import type { EffectiveOptions } from '../strategies/effectiveOptions.js';
import { DEFAULT_NUMERIC_LIMITS, mergeNumericLimits, mergeStrategyOverrides, unknownStrategyField } from './limits.js';
import type { NumericLimits } from './limits.js';

/**
 * A validated change of the manager's limits, not yet applied: the new numeric limits and
 * overrides, the prepared adaptation and the effective options of every live runtime.
 * @internal
 */
export interface LimitsPlan<R> {
  readonly numeric: NumericLimits;
  readonly overrides: Map<string, StrategyLimits>;
  readonly adaptation: PreparedAdaptation;
  readonly runtimes: readonly (readonly [R, ResolvedStrategy, EffectiveOptions])[];
}

/** The manager's configuration a plan starts from. @internal */
export interface LimitsBase<R> {
  readonly numeric: NumericLimits;
  readonly overrides: ReadonlyMap<string, StrategyLimits>;
  readonly registry: StrategyRegistry;
  readonly adaptation: AdaptationSettings;
  readonly runtimes: ReadonlyMap<string, R>;
}

const NO_ADAPTATION: Readonly<Record<string, unknown>> = Object.freeze({});

/**
 * Validates `input` merged over the current configuration (`merge`: the fields given change,
 * the rest stays) or over the defaults (`replace`: the fields given are the whole explicit
 * configuration) against copies, computing every strategy's effective options.
 * @throws {@link InvalidConfigurationError} naming the first bad field.
 * @internal
 */
export function planLimits<R>(
  base: LimitsBase<R>,
  input: Partial<ScalingLimits>,
  mode: 'merge' | 'replace',
): LimitsPlan<R> {
  const replace = mode === 'replace';
  const { registry } = base;
  const numeric = mergeNumericLimits(replace ? DEFAULT_NUMERIC_LIMITS : base.numeric, input);
  const overrides = mergeStrategyOverrides(replace ? new Map() : base.overrides, input.strategies);
  if (input.strategies !== undefined) {
    for (const id of Object.keys(input.strategies)) if (!registry.has(id)) throw unknownStrategyField(id);
  }
  if (numeric.maxCacheEntries < registry.size) {
    throw new InvalidConfigurationError(
      'maxCacheEntries',
      numeric.maxCacheEntries,
      `an integer >= the ${registry.size} registered strategies`,
    );
  }
  const adaptation = base.adaptation.prepare(
    input.adaptation,
    registry.list(),
    overrides,
    replace ? NO_ADAPTATION : undefined,
  );
  const runtimes: (readonly [R, ResolvedStrategy, EffectiveOptions])[] = [];
  for (const strategy of registry.list()) {
    const effective = computeEffectiveOptions(strategy, numeric, overrides.get(strategy.id));
    const runtime = base.runtimes.get(strategy.id);
    if (runtime !== undefined) runtimes.push([runtime, strategy, effective]);
  }
  return { numeric, overrides, adaptation, runtimes };
}
