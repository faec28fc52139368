import { EventEmitter } from 'eventemitter3';
import {
  CapacityExceededError,
  InvalidConfigurationError,
  SdkCompatibility,
  UnknownStrategyError,
} from '@datawarehouse/sdk';
import { validateInteger } from '@datawarehouse/sdk/internals';
import { resolveStrategyDefinition } from './StrategyDefinition.js';
import type { ResolvedStrategy, StrategyDefinition } from './StrategyDefinition.js';

/** Events of a {@link StrategyRegistry}. @since 6.0.0 */
export interface StrategyRegistryEvents {
  /** A strategy was added or replaced. */
  registered: (strategy: ResolvedStrategy, previous: ResolvedStrategy | undefined) => void;
  removed: (strategy: ResolvedStrategy) => void;
}

/**
 * The named, validated strategies of a node. Bounded (`maxStrategies`), so callers cannot
 * grow it without limit; changes take effect on the next call of each strategy.
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class StrategyRegistry {
  /** Typed events (eventemitter3). */
  readonly events = new EventEmitter<StrategyRegistryEvents>();
  private readonly strategies = new Map<string, ResolvedStrategy>();
  private limit: number;

  /**
   * @param maxStrategies most strategies held (default 10 000, the default `maxCacheEntries`).
   * @throws {@link InvalidConfigurationError} when `maxStrategies` is not an integer >= 1.
   */
  constructor(initial: readonly StrategyDefinition[] = [], maxStrategies = 10_000) {
    this.limit = validateInteger('maxStrategies', maxStrategies, 1);
    initial.forEach((def, i) => this.registerResolved(resolveStrategyDefinition(def, `strategies[${i}]`)));
  }

  /** Most strategies held. */
  get maxStrategies(): number {
    return this.limit;
  }

  /** @throws {@link InvalidConfigurationError} when below the number already registered. */
  setMaxStrategies(max: number): void {
    const value = validateInteger('maxStrategies', max, 1);
    if (value < this.strategies.size) {
      throw new InvalidConfigurationError(
        'maxStrategies',
        value,
        `an integer >= the ${this.strategies.size} strategies registered`,
      );
    }
    this.limit = value;
  }

  get size(): number {
    return this.strategies.size;
  }

  /**
   * Adds a strategy, or replaces the one with the same id.
   * @param field path used in error messages (e.g. `strategies[2]`).
   * @throws {@link InvalidConfigurationError} for an invalid definition; {@link CapacityExceededError} when full.
   */
  register(definition: StrategyDefinition, field = 'strategy'): ResolvedStrategy {
    return this.registerResolved(resolveStrategyDefinition(definition, field));
  }

  /**
   * Changes some sections of a registered strategy (a shallow merge over its definition).
   * @throws {@link UnknownStrategyError}, {@link InvalidConfigurationError}.
   */
  update(id: string, changes: Partial<Omit<StrategyDefinition, 'id'>>): ResolvedStrategy {
    const current = this.require(id);
    return this.registerResolved(resolveStrategyDefinition({ ...current.source, ...changes, id }));
  }

  /** Removes a strategy; calls already running finish under it. Returns false if unknown. */
  remove(id: string): boolean {
    const current = this.strategies.get(id);
    if (current === undefined) return false;
    this.strategies.delete(id);
    this.events.emit('removed', current);
    return true;
  }

  get(id: string): ResolvedStrategy | undefined {
    return this.strategies.get(id);
  }

  /** @throws {@link UnknownStrategyError} */
  require(id: string): ResolvedStrategy {
    const s = this.strategies.get(id);
    if (s === undefined) throw new UnknownStrategyError(String(id), [...this.strategies.keys()]);
    return s;
  }

  has(id: string): boolean {
    return this.strategies.has(id);
  }

  list(): readonly ResolvedStrategy[] {
    return [...this.strategies.values()];
  }

  ids(): readonly string[] {
    return [...this.strategies.keys()];
  }

  private registerResolved(strategy: ResolvedStrategy): ResolvedStrategy {
    const previous = this.strategies.get(strategy.id);
    if (previous === undefined && this.strategies.size >= this.limit) {
      throw new CapacityExceededError('strategy', this.limit);
    }
    this.strategies.set(strategy.id, strategy);
    this.events.emit('registered', strategy, previous);
    return strategy;
  }
}
