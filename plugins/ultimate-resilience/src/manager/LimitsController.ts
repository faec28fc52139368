import { SdkCompatibility } from '@datawarehouse/sdk';
import type { Logger, ScalingLimits, StrategyLimits } from '@datawarehouse/sdk';
import type { AdaptationOptions } from '../adaptive/AdaptationOptions.js';
import { AdaptationSettings } from '../adaptive/AdaptationSettings.js';
import type { PreparedAdaptation } from '../adaptive/AdaptationSettings.js';
import type { StrategyRuntime } from '../runtime/StrategyRuntime.js';
import { computeEffectiveOptions } from '../strategies/effectiveOptions.js';
import type { EffectiveOptions } from '../strategies/effectiveOptions.js';
import type { ResolvedStrategy } from '../strategies/StrategyDefinition.js';
import type { StrategyRegistry } from '../strategies/StrategyRegistry.js';
import { DEFAULT_NUMERIC_LIMITS, configuredLimitsOf, strategyLimitsOf } from './limits.js';
import type { NumericLimits } from './limits.js';
import { planLimits } from './LimitsPlan.js';
import type { LimitsPlan } from './LimitsPlan.js';

/** What a {@link LimitsController} works on. @internal */
export interface LimitsControllerDeps {
  readonly registry: StrategyRegistry;
  /** The live runtimes, reconfigured in place by every commit. */
  readonly runtimes: ReadonlyMap<string, StrategyRuntime>;
  readonly logger: Logger;
  /** Told the adaptation parameters in force after every change of them. */
  readonly onAdaptation: (global: AdaptationOptions, active: boolean) => void;
}

/**
 * The manager's limits: the numeric limits, the per-strategy overrides and the adaptation
 * parameters. Every change is planned (validated against copies) before any of it is
 * committed, and a commit reconfigures the live runtimes in place.
 * @internal
 */
@SdkCompatibility('6.0.0')
export class LimitsController {
  private numeric: NumericLimits = DEFAULT_NUMERIC_LIMITS;
  private overrides = new Map<string, StrategyLimits>();
  private readonly adaptation: AdaptationSettings;

  constructor(private readonly deps: LimitsControllerDeps) {
    this.adaptation = new AdaptationSettings(deps.logger);
  }

  /** Applies the initial limits, or the defaults (with each strategy's own adaptation). */
  initialize(limits: Partial<ScalingLimits> | undefined): void {
    if (limits !== undefined) this.commit(this.plan(limits, 'merge'));
    else this.configureAdaptation(this.adaptation.prepare(undefined, this.deps.registry.list(), this.overrides));
  }

  /** The options `strategy` runs with now. @throws {@link InvalidConfigurationError} */
  effectiveOptionsOf(strategy: ResolvedStrategy, override = this.overrides.get(strategy.id)): EffectiveOptions {
    return computeEffectiveOptions(strategy, this.numeric, override);
  }

  /** The options strategy `id` adapts with. @throws when its configuration is invalid. */
  adaptationOptionsFor(id: string): AdaptationOptions {
    return this.adaptation.optionsFor(
      id,
      () => this.deps.registry.require(id),
      () => this.overrides.get(id),
    );
  }

  /** The limits in force, with every registered strategy's effective options. */
  get current(): ScalingLimits {
    const strategies: Record<string, StrategyLimits> = {};
    for (const strategy of this.deps.registry.list()) {
      const runtime = this.deps.runtimes.get(strategy.id);
      strategies[strategy.id] = strategyLimitsOf(runtime?.options ?? this.effectiveOptionsOf(strategy));
    }
    return { ...this.numeric, strategies, adaptation: { ...this.adaptation.global } };
  }

  /** What was set explicitly. */
  get configured(): Partial<ScalingLimits> {
    return configuredLimitsOf(this.numeric, this.overrides, this.adaptation.configured);
  }

  /**
   * Validates `input` (merged over the current configuration, or replacing it) against copies.
   * @throws {@link InvalidConfigurationError} naming the first bad field.
   */
  plan(input: Partial<ScalingLimits>, mode: 'merge' | 'replace'): LimitsPlan<StrategyRuntime> {
    const { registry, runtimes } = this.deps;
    return planLimits(
      { numeric: this.numeric, overrides: this.overrides, registry, adaptation: this.adaptation, runtimes },
      input,
      mode,
    );
  }

  /** Applies a validated plan, reconfiguring every live runtime in place. */
  commit(plan: LimitsPlan<StrategyRuntime>): void {
    this.numeric = plan.numeric;
    this.overrides = plan.overrides;
    this.deps.registry.setMaxStrategies(plan.numeric.maxCacheEntries);
    for (const [runtime, strategy, effective] of plan.runtimes) runtime.apply(strategy, effective);
    this.configureAdaptation(plan.adaptation);
  }

  /**
   * A strategy was (re)registered: its adaptation is refreshed and its runtime, if any, takes
   * the new definition. An override that no longer fits the new definition is dropped (the
   * definition wins), with a warning.
   */
  onStrategyChanged(strategy: ResolvedStrategy): void {
    this.adaptation.refresh(strategy, this.overrides.get(strategy.id));
    this.deps.onAdaptation(this.adaptation.global, this.adaptation.active);
    const runtime = this.deps.runtimes.get(strategy.id);
    if (runtime === undefined) return;
    try {
      runtime.apply(strategy, this.effectiveOptionsOf(strategy));
    } catch (error) {
      this.deps.logger.warn('strategy override no longer valid; dropped', {
        strategyId: strategy.id,
        error: String(error),
      });
      this.overrides.delete(strategy.id);
      runtime.apply(strategy, this.effectiveOptionsOf(strategy, undefined));
    }
  }

  /** A strategy was removed: its override and adaptation go with it. */
  onStrategyRemoved(id: string): void {
    this.overrides.delete(id);
    this.adaptation.forget(id);
  }

  private configureAdaptation(prepared: PreparedAdaptation): void {
    this.adaptation.commit(prepared);
    this.deps.onAdaptation(this.adaptation.global, this.adaptation.active);
  }
}
