import {
  InMemoryBulkheadIsolation,
  SdkCompatibility,
  resolveBulkheadOptions,
  resolveCircuitBreakerOptions,
} from '@datawarehouse/sdk';
import type { BulkheadStatistics, Clock, ICircuitBreaker } from '@datawarehouse/sdk';
import type { AdaptiveOverlay } from '../adaptive/AdaptiveTarget.js';
import { PartitionedBulkhead } from '../bulkhead/PartitionedBulkhead.js';
import { PriorityBulkheadIsolation } from '../bulkhead/PriorityBulkheadIsolation.js';
import type { Bulkhead } from '../pipeline/admission.js';
import { StrategyPipeline } from '../pipeline/StrategyPipeline.js';
import { createRateLimiter } from '../ratelimit/createRateLimiter.js';
import { RetryBudget } from '../retry/RetryBudget.js';
import type { EffectiveOptions } from '../strategies/effectiveOptions.js';
import type { ResolvedStrategy } from '../strategies/StrategyDefinition.js';
import { overlayBreakerOptions, overlayBulkheadOptions, withoutOverriddenValues } from './adaptiveOverlay.js';
import type { BulkheadLimits } from './adaptiveOverlay.js';
import type { CallEvents } from '../pipeline/CallEvents.js';

/** What a runtime needs from its manager. @internal */
export interface RuntimeDeps {
  readonly clock: Clock;
  readonly random: () => number;
  readonly metricsWindowMs: number;
  /** The manager's per-call events (hooks and diagnostics channels). */
  readonly events?: CallEvents;
  readonly createBreaker: (
    name: string,
    options: EffectiveOptions['circuitBreaker'] & object,
    clock: Clock,
  ) => ICircuitBreaker;
}

/**
 * One strategy's parts — breaker, bulkhead, rate limiter, retry budget, deadline queue and
 * metrics — and their reconfiguration in place; the call path that uses them is its base,
 * {@link StrategyPipeline}. The adaptive layer's values are an overlay on the effective options
 * (see `adaptiveOverlay.ts`).
 * @internal
 */
@SdkCompatibility('6.0.0')
export class StrategyRuntime extends StrategyPipeline {
  /** What the adaptive layer currently applies (empty when adaptation is off). */
  adaptive: AdaptiveOverlay = {};

  constructor(
    id: string,
    strategy: ResolvedStrategy,
    options: EffectiveOptions,
    private readonly deps: RuntimeDeps,
  ) {
    super(id, strategy, options, deps.clock, deps.random, deps.metricsWindowMs, deps.events);
    this.breaker =
      options.circuitBreaker === undefined ? undefined : deps.createBreaker(id, options.circuitBreaker, deps.clock);
    this.bulkhead = this.createBulkhead(options);
    this.limiter = strategy.rateLimit === undefined ? undefined : createRateLimiter(strategy.rateLimit);
    this.budget = this.createBudget(options);
  }

  /**
   * Applies a new definition and/or new effective options in place: breaker and bulkhead keep
   * their state (an open circuit stays open, running calls keep their slots, the new limit is
   * never exceeded). Only switching a section on/off or changing the bulkhead kind replaces it.
   */
  apply(strategy: ResolvedStrategy, options: EffectiveOptions): void {
    const previous = this.options;
    this.strategy = strategy;
    this.options = options;
    this.adaptive = withoutOverriddenValues(this.adaptive, previous, options);

    const breakerOptions = this.breakerOptions();
    if (breakerOptions === undefined) {
      this.breaker?.dispose();
      this.breaker = undefined;
    } else if (this.breaker === undefined) {
      this.breaker = this.deps.createBreaker(this.id, breakerOptions, this.clock);
    } else {
      this.breaker.reconfigure(breakerOptions);
    }

    const current = this.bulkhead;
    const wanted = options.bulkhead;
    if (current === undefined) {
      this.bulkhead = this.createBulkhead(options);
    } else if (wanted !== undefined && current.kind === wanted.kind) {
      this.pendingBulkheadSwap = false;
      current.impl.reconfigure(this.bulkheadOptions(wanted));
      if (current.kind === 'partitioned' && current.impl.maxPartitions !== wanted.maxPartitions) {
        current.impl.setMaxPartitions(wanted.maxPartitions);
      }
    } else {
      // Switched off or changed kind. A new bulkhead would start empty beside the calls still
      // holding the old one's slots (up to twice the limit) and disposing the old one would
      // reject its waiters; so the old one keeps serving, with the new limits, until it is idle.
      if (wanted !== undefined) current.impl.reconfigure(this.bulkheadOptions(wanted));
      this.pendingBulkheadSwap = true;
      this.swapBulkheadWhenIdle();
    }

    if (strategy.rateLimit === undefined) this.limiter = undefined;
    else if (this.limiter === undefined || this.limiter.kind !== strategy.rateLimit.kind)
      this.limiter = createRateLimiter(strategy.rateLimit);
    else this.limiter.reconfigure(strategy.rateLimit, this.clock.now());

    const r = options.retry;
    if (r?.budgetRatio === undefined) this.budget = undefined;
    else if (this.budget === undefined) this.budget = this.createBudget(options);
    else this.budget.reconfigure(r.budgetRatio, r.budgetMinRetriesPerSecond);
  }

  /**
   * Sets the adaptive layer's values and applies them in place (an open circuit stays open,
   * a shrink never lets more than the new limit run).
   * @throws {@link InvalidConfigurationError} when a value is invalid (nothing is applied then).
   */
  setAdaptiveOverlay(overlay: AdaptiveOverlay): void {
    const previous = this.adaptive;
    this.adaptive = Object.freeze({ ...overlay });
    let breakerOptions: EffectiveOptions['circuitBreaker'];
    let bulkheadOptions: BulkheadLimits | undefined;
    try {
      // Validate both before touching either: a bad value must leave everything as it was.
      breakerOptions = this.breakerOptions();
      if (breakerOptions !== undefined) breakerOptions = resolveCircuitBreakerOptions(breakerOptions, 'circuitBreaker');
      if (this.options.bulkhead !== undefined) {
        bulkheadOptions = this.bulkheadOptions(this.options.bulkhead);
        resolveBulkheadOptions(bulkheadOptions, 'bulkhead');
      }
    } catch (error) {
      this.adaptive = previous;
      throw error;
    }
    if (breakerOptions !== undefined) this.breaker?.reconfigure(breakerOptions);
    if (bulkheadOptions !== undefined) this.bulkhead?.impl.reconfigure(bulkheadOptions);
  }

  /** The breaker options in force: effective options with the adaptive values on top. */
  breakerOptions(): EffectiveOptions['circuitBreaker'] {
    return overlayBreakerOptions(this.options.circuitBreaker, this.adaptive);
  }

  private bulkheadOptions(b: NonNullable<EffectiveOptions['bulkhead']>): BulkheadLimits {
    return overlayBulkheadOptions(b, this.adaptive);
  }

  protected onBulkheadDrainable(): void {
    this.swapBulkheadWhenIdle();
  }

  private swapBulkheadWhenIdle(): void {
    const current = this.bulkhead;
    if (current !== undefined) {
      const stats = current.impl.getStatistics();
      if (stats.running > 0 || stats.queued > 0) return;
      current.impl.dispose();
    }
    this.pendingBulkheadSwap = false;
    this.bulkhead = this.createBulkhead(this.options);
  }

  /** Bulkhead statistics (aggregated over partitions), or undefined without a bulkhead. */
  bulkheadStatistics(): BulkheadStatistics | undefined {
    return this.bulkhead?.impl.getStatistics();
  }

  /** Releases timers and bulkhead waiters. */
  dispose(): void {
    // Calls in flight keep their deadlines: the queue drains by itself (its timer is unref'd).
    if (this.inFlight === 0) this.deadlines?.dispose();
    this.bulkhead?.impl.dispose();
    this.breaker?.dispose();
  }

  private createBulkhead(options: EffectiveOptions): Bulkhead | undefined {
    const b = options.bulkhead;
    if (b === undefined) return undefined;
    const base = this.bulkheadOptions(b);
    switch (b.kind) {
      case 'partitioned':
        return { kind: 'partitioned', impl: new PartitionedBulkhead(this.id, base, b.maxPartitions, this.clock) };
      case 'priority':
        return { kind: 'priority', impl: new PriorityBulkheadIsolation(this.id, base, this.clock) };
      default:
        return { kind: 'semaphore', impl: new InMemoryBulkheadIsolation(this.id, base, this.clock) };
    }
  }

  private createBudget(options: EffectiveOptions): RetryBudget | undefined {
    const r = options.retry;
    if (r?.budgetRatio === undefined) return undefined;
    return new RetryBudget(r.budgetRatio, r.budgetMinRetriesPerSecond);
  }
}
