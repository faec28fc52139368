import { SdkCompatibility } from '@datawarehouse/sdk';
import { validateObject } from '@datawarehouse/sdk/internals';
import type { Logger, StrategyLimits } from '@datawarehouse/sdk';
import {
  DEFAULT_ADAPTATION_OPTIONS,
  resolveAdaptationOptions,
  resolveStrategyAdaptation,
} from './AdaptationOptions.js';
import type { AdaptationOptions } from './AdaptationOptions.js';

/** A validated, not yet applied, adaptation configuration (see {@link AdaptationSettings.prepare}). @internal */
export interface PreparedAdaptation {
  readonly input: Readonly<Record<string, unknown>>;
  readonly global: AdaptationOptions;
  readonly byStrategy: ReadonlyMap<string, AdaptationOptions | Error>;
}

/**
 * What adaptation reads of a strategy: its id and the `adaptive` section of its definition
 * (a resolved strategy has both; the strategies module is not imported here).
 * @internal
 */
export interface AdaptiveStrategySource {
  readonly id: string;
  readonly source: { readonly adaptive?: Readonly<Record<string, unknown>> | false };
}

/**
 * The manager's adaptation configuration: `ScalingLimits.adaptation` as given (merged field by
 * field), resolved, and resolved per strategy. Runtime overrides (`strategies.<id>.adaptive`)
 * are validated strictly; a bad `adaptive` section in a strategy definition only switches that
 * strategy's adaptation off (logged) so one bad definition cannot block every reconfiguration.
 * @internal
 */
@SdkCompatibility('6.0.0')
export class AdaptationSettings {
  private input: Readonly<Record<string, unknown>> = Object.freeze({});
  private resolved: AdaptationOptions = DEFAULT_ADAPTATION_OPTIONS;
  private byStrategy = new Map<string, AdaptationOptions | Error>();

  constructor(private readonly logger: Logger) {}

  /** The global options in force. */
  get global(): AdaptationOptions {
    return this.resolved;
  }

  /** `ScalingLimits.adaptation` as set (the fields given so far, not the resolved defaults). */
  get configured(): Readonly<Record<string, unknown>> {
    return this.input;
  }

  /** Whether any strategy adapts (globally enabled, or enabled for one strategy). */
  get active(): boolean {
    if (this.resolved.enabled) return true;
    for (const o of this.byStrategy.values()) if (!(o instanceof Error) && o.enabled) return true;
    return false;
  }

  /**
   * Validates a partial `adaptation` (merged over `base`, by default the current one) and
   * every strategy's override, without applying anything.
   * @throws {@link InvalidConfigurationError} naming `adaptation.<field>` or `strategies.<id>.adaptive.<field>`.
   */
  prepare(
    adaptation: unknown,
    strategies: readonly AdaptiveStrategySource[],
    overrides: ReadonlyMap<string, StrategyLimits>,
    base: Readonly<Record<string, unknown>> = this.input,
  ): PreparedAdaptation {
    const input =
      adaptation === undefined ? base : Object.freeze({ ...base, ...validateObject('adaptation', adaptation) });
    const global = resolveAdaptationOptions(input, 'adaptation');
    const byStrategy = new Map<string, AdaptationOptions | Error>();
    for (const strategy of strategies)
      byStrategy.set(strategy.id, this.resolve(strategy, global, overrides.get(strategy.id)));
    return { input, global, byStrategy };
  }

  /** Applies what {@link AdaptationSettings.prepare} validated. */
  commit(prepared: PreparedAdaptation): void {
    this.input = prepared.input;
    this.resolved = prepared.global;
    this.byStrategy = new Map(prepared.byStrategy);
  }

  /**
   * The options a strategy adapts with (resolved on first use and cached).
   * @throws the strategy's configuration error when its adaptation is off because of it.
   */
  optionsFor(
    strategyId: string,
    strategy: () => AdaptiveStrategySource,
    override: () => StrategyLimits | undefined,
  ): AdaptationOptions {
    let o = this.byStrategy.get(strategyId);
    if (o === undefined) this.byStrategy.set(strategyId, (o = this.resolve(strategy(), this.resolved, override())));
    if (o instanceof Error) throw o;
    return o;
  }

  /** Re-resolves a strategy whose definition changed; an override that no longer fits is dropped (logged). */
  refresh(strategy: AdaptiveStrategySource, override: StrategyLimits | undefined): void {
    try {
      this.byStrategy.set(strategy.id, this.resolve(strategy, this.resolved, override));
    } catch (error) {
      this.logger.warn('adaptive override no longer valid; dropped', { strategyId: strategy.id, error: String(error) });
      this.byStrategy.set(strategy.id, this.resolve(strategy, this.resolved, undefined));
    }
  }

  /** Forgets a removed strategy. */
  forget(strategyId: string): void {
    this.byStrategy.delete(strategyId);
  }

  private resolve(
    strategy: AdaptiveStrategySource,
    global: AdaptationOptions,
    override: StrategyLimits | undefined,
  ): AdaptationOptions | Error {
    let base: AdaptationOptions | Error;
    try {
      base = resolveStrategyAdaptation(global, strategy.id, strategy.source.adaptive, undefined);
    } catch (error) {
      this.logger.warn('invalid adaptive section in a strategy definition; adaptation off for it', {
        strategyId: strategy.id,
        error: String(error),
      });
      base = error instanceof Error ? error : new Error(String(error));
    }
    if (override?.adaptive === undefined) return base;
    // Validated even when the definition is broken, so a bad override is always refused.
    const resolved = resolveStrategyAdaptation(
      base instanceof Error ? global : base,
      strategy.id,
      undefined,
      override.adaptive,
    );
    return base instanceof Error ? base : resolved;
  }
}
