import { EventEmitter } from 'eventemitter3';
import {
  BACKPRESSURE_ORDER,
  InMemoryCircuitBreaker,
  InvalidConfigurationError,
  markPipelineRejection,
  SdkCompatibility,
  silentLogger,
  systemClock,
  rejectUnknownKeys,
  validateDuration,
  validateObject,
  validateString,
} from '@datawarehouse/sdk';
import type {
  BackpressureState,
  CircuitBreakerOptions,
  CircuitStateChange,
  Clock,
  ExecuteOptions,
  ICircuitBreaker,
  IConfigurableSubsystem,
  IOperableSubsystem,
  IResilienceService,
  IScalableSubsystem,
  SubsystemActionInfo,
  Logger,
  ResilientOperation,
  ScalingLimits,
  ScalingMetrics,
  StrategyLimits,
} from '@datawarehouse/sdk';
import { AdaptiveController } from '../adaptive/AdaptiveController.js';
import type { AdaptationEvent } from '../adaptive/AdaptiveController.js';
import { AdaptationSettings } from '../adaptive/AdaptationSettings.js';
import type { PreparedAdaptation } from '../adaptive/AdaptationSettings.js';
import { StrategyRegistry } from '../strategies/StrategyRegistry.js';
import type { ResolvedStrategy } from '../strategies/StrategyDefinition.js';
import { computeEffectiveOptions } from './effectiveOptions.js';
import { DEFAULT_NUMERIC_LIMITS, configuredLimitsOf, strategyLimitsOf } from './limits.js';
import type { NumericLimits } from './limits.js';
import { planLimits } from './LimitsPlan.js';
import type { LimitsPlan } from './LimitsPlan.js';
import { StrategyRuntime } from './StrategyRuntime.js';
import { backpressureOf, strategyMetricsOf } from './strategyReport.js';

const OPERATOR_ACTIONS: readonly SubsystemActionInfo[] = Object.freeze([
  { name: 'trip', description: "Open a strategy's circuit for one break duration", arguments: ['strategyId', 'reason'] },
  { name: 'isolate', description: "Hold a strategy's circuit open until reset", arguments: ['strategyId', 'reason'] },
  { name: 'reset', description: "Close a strategy's circuit and clear its counts", arguments: ['strategyId', 'reason'] },
]);

/** Options of a {@link ResilienceScalingManager}. @since 6.0.0 */
export interface ResilienceScalingManagerOptions {
  /** The strategies (default: a registry of the built-in strategies). */
  readonly registry?: StrategyRegistry;
  /** Initial limits (validated like `reconfigureLimitsAsync`). */
  readonly limits?: Partial<ScalingLimits>;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Randomness for retry jitter, in [0, 1). Default `Math.random`. */
  readonly random?: () => number;
  /** Window of the rate and latency metrics, ms. Default 60 000. */
  readonly metricsWindowMs?: number;
  /** Makes each strategy's breaker (default: {@link InMemoryCircuitBreaker}). */
  readonly createCircuitBreaker?: (name: string, options: Readonly<CircuitBreakerOptions>, clock: Clock) => ICircuitBreaker;
}

/** Events of the manager. @since 6.0.0 */
export interface ResilienceScalingManagerEvents {
  /** A strategy's circuit changed state (local transitions and applied remote ones alike). */
  circuitStateChanged: (strategyId: string, change: CircuitStateChange) => void;
  /** A strategy's runtime (breaker, bulkhead, metrics) was created on its first use. */
  runtimeCreated: (strategyId: string) => void;
  /** Limits changed through `reconfigureLimitsAsync`. */
  limitsChanged: (limits: ScalingLimits) => void;
  /** Adaptation changed a strategy's values in place (see {@link AdaptationEvent}). */
  adapted: (strategyId: string, event: AdaptationEvent) => void;
}

/**
 * Applies each strategy's resilience to every call — bulkhead → circuit breaker → retry
 * (→ per-attempt and overall timeout) — and exposes every limit for change at runtime as the
 * `resilience` subsystem.
 *
 * Each strategy gets its own breaker, bulkhead, retry state and metrics, created on its first
 * call; only registered strategies have one, so the map is bounded by the registry
 * (`maxCacheEntries`). Changes are applied in place: an open circuit stays open, running calls
 * keep their slots, and a smaller limit is never exceeded.
 *
 * @example
 * ```ts
 * const manager = new ResilienceScalingManager();
 * const user = await manager.executeWithResilience('default', ({ signal }) => fetch(url, { signal }));
 * await manager.reconfigureLimitsAsync({ strategies: { default: { bulkhead: { maxConcurrency: 8 } } } });
 * ```
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class ResilienceScalingManager implements IScalableSubsystem, IConfigurableSubsystem, IResilienceService, IOperableSubsystem {
  readonly name = 'resilience';
  /** Typed events (eventemitter3). */
  readonly events = new EventEmitter<ResilienceScalingManagerEvents>();
  readonly registry: StrategyRegistry;
  readonly clock: Clock;
  private readonly logger: Logger;
  private readonly runtimes = new Map<string, StrategyRuntime>();
  private numeric: NumericLimits = DEFAULT_NUMERIC_LIMITS;
  private overrides = new Map<string, StrategyLimits>();
  private readonly adaptation: AdaptationSettings;
  private readonly adaptive: AdaptiveController;
  private readonly deps: ConstructorParameters<typeof StrategyRuntime>[3];
  private readonly unsubscribe: () => void;
  private disposed = false;
  /** Extra sections of `getScalingMetrics()` contributed by other modules (e.g. `distributed`). */
  private readonly metricsSections = new Map<string, () => unknown>();

  /** @throws {@link InvalidConfigurationError} for invalid options or limits. */
  constructor(options: ResilienceScalingManagerOptions = {}) {
    this.registry = options.registry ?? new StrategyRegistry();
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    const createBreaker = options.createCircuitBreaker ?? ((name, o, clock) => new InMemoryCircuitBreaker(name, o, clock));
    this.deps = {
      clock: this.clock,
      random: options.random ?? Math.random,
      metricsWindowMs: validateDuration('metricsWindowMs', options.metricsWindowMs ?? 60_000, 1),
      createBreaker: (name, o, clock) => {
        const breaker = createBreaker(name, o, clock);
        breaker.events.on('stateChanged', (change) => {
          this.adaptive.observeCircuitChange(name, change);
          this.events.emit('circuitStateChanged', name, change);
        });
        return breaker;
      },
    };
    this.adaptation = new AdaptationSettings(this.logger);
    this.adaptive = new AdaptiveController({
      clock: this.clock,
      logger: this.logger,
      runtimes: () => this.runtimes,
      optionsFor: (id) => this.adaptation.optionsFor(id, () => this.registry.require(id), () => this.overrides.get(id)),
      onAdapted: (event) => this.events.emit('adapted', event.strategyId, event),
    });
    if (options.limits !== undefined) this.applyLimits(options.limits);
    else this.configureAdaptation(this.adaptation.prepare(undefined, this.registry.list(), this.overrides));

    const onRegistered = (strategy: ResolvedStrategy): void => this.onStrategyChanged(strategy);
    const onRemoved = (strategy: ResolvedStrategy): void => this.onStrategyRemoved(strategy.id);
    this.registry.events.on('registered', onRegistered);
    this.registry.events.on('removed', onRemoved);
    this.unsubscribe = () => {
      this.registry.events.off('registered', onRegistered);
      this.registry.events.off('removed', onRemoved);
    };
  }

  /**
   * Runs `operation` under the strategy's pipeline. The operation gets an `OperationContext`
   * (`attempt` from 1, a lazily created `signal` aborted on timeout or caller abort).
   * @throws {@link UnknownStrategyError}, {@link CircuitOpenError}, {@link BulkheadRejectedError},
   *   {@link RateLimitedError}, {@link ResilienceTimeoutError}, the caller's abort reason, or the
   *   operation's last error (all as rejections; nothing is thrown synchronously).
   */
  executeWithResilience<T>(strategyId: string, operation: ResilientOperation<T>, options?: ExecuteOptions): Promise<T> {
    // Refused arguments are the pipeline's own rejections: an outer pipeline around this call
    // passes them through instead of counting them against its downstream.
    if (typeof operation !== 'function') {
      return Promise.reject(markPipelineRejection(new InvalidConfigurationError('operation', operation, 'a function')));
    }
    let runtime = this.runtimes.get(strategyId);
    if (runtime === undefined) {
      try {
        runtime = this.runtimeFor(strategyId);
      } catch (error) {
        return Promise.reject(markPipelineRejection(error));
      }
    }
    return runtime.execute(operation, options);
  }


  /**
   * The limits in force, with every registered strategy's effective options (what it inherits
   * included). Written back through `reconfigureLimitsAsync` it changes no value, but turns
   * every value into an explicit one; {@link configuredLimits} is what was set.
   */
  get currentLimits(): ScalingLimits {
    const strategies: Record<string, StrategyLimits> = {};
    for (const strategy of this.registry.list()) {
      const runtime = this.runtimes.get(strategy.id);
      strategies[strategy.id] = strategyLimitsOf(runtime?.options ?? computeEffectiveOptions(strategy, this.numeric, this.overrides.get(strategy.id)));
    }
    return {
      ...this.numeric,
      strategies,
      adaptation: { ...this.adaptation.global },
    };
  }

  /** The most loaded strategy's state: one saturated bulkhead is not averaged away. */
  get currentBackpressureState(): BackpressureState {
    const now = this.clock.now();
    let worst = 0;
    for (const runtime of this.runtimes.values()) {
      const level = BACKPRESSURE_ORDER.indexOf(backpressureOf(runtime, now));
      if (level > worst) worst = level;
      if (worst === BACKPRESSURE_ORDER.length - 1) break;
    }
    return BACKPRESSURE_ORDER[worst]!;
  }

  /**
   * Metrics of every strategy used so far: circuit state, bulkhead utilization and queue,
   * calls, success/failure/retry rates over the metrics window, rejections by cause, and
   * p50/p95/p99 attempt latency (log-scale histogram; relative error bound in
   * `WindowedHistogram`). Also totals, the count of circuits per state, and `adaptation`:
   * per adapting strategy its current and recommended values, the last reasons and its windows.
   */
  getScalingMetrics(): ScalingMetrics {
    const now = this.clock.now();
    const strategies: Record<string, unknown> = {};
    const circuits = { count: 0, closed: 0, open: 0, halfOpen: 0, isolated: 0 };
    const totals = { calls: 0, successes: 0, failures: 0, retries: 0, timeouts: 0, rejectedCircuitOpen: 0, rejectedBulkhead: 0, rejectedRateLimited: 0 };
    for (const [id, runtime] of this.runtimes) {
      const report = strategyMetricsOf(runtime, now);
      strategies[id] = report;
      if (runtime.breaker !== undefined) {
        circuits.count++;
        const state = runtime.breaker.state;
        if (state === 'closed') circuits.closed++;
        else if (state === 'open') circuits.open++;
        else if (state === 'half-open') circuits.halfOpen++;
        else circuits.isolated++;
      }
      const m = runtime.metrics;
      totals.calls += m.calls;
      totals.successes += m.successes;
      totals.failures += m.failures;
      totals.retries += m.retries;
      totals.timeouts += m.timeouts;
      totals.rejectedCircuitOpen += m.rejectedCircuitOpen;
      totals.rejectedBulkhead += m.rejectedBulkhead;
      totals.rejectedRateLimited += m.rejectedRateLimited;
    }
    return {
      backpressure: this.currentBackpressureState,
      registeredStrategies: this.registry.size,
      activeStrategies: this.runtimes.size,
      circuitBreakers: circuits,
      totals,
      strategies,
      adaptation: this.adaptive.report(),
      ...this.sectionMetrics(),
    };
  }

  /**
   * Validates every field first, then applies them all in place (nothing is applied when any
   * field is invalid). `maxConcurrentOperations` / `maxQueueDepth` become each bulkhead's
   * `maxConcurrency` / `maxQueueSize` unless the strategy's definition or an override sets its
   * own; `maxCacheEntries` bounds the strategy registry; `strategies.<id>` overrides that
   * strategy's breaker, bulkhead, retry and timeout fields; `adaptation` (merged field by field)
   * and `strategies.<id>.adaptive` set the adaptive thresholds (see `AdaptationOptions`).
   * @throws {@link InvalidConfigurationError} naming the field.
   */
  async reconfigureLimitsAsync(limits: Partial<ScalingLimits>): Promise<ScalingLimits> {
    this.applyLimits(limits);
    return this.limitsChanged();
  }

  /**
   * What was set: the four numeric limits, the per-strategy overrides (`strategies`) and the
   * `adaptation` fields given so far. A strategy absent from `strategies` inherits everything;
   * `replaceLimitsAsync(configuredLimits)` changes nothing.
   */
  get configuredLimits(): Partial<ScalingLimits> {
    return configuredLimitsOf(this.numeric, this.overrides, this.adaptation.configured);
  }

  /**
   * Checks `limits` as {@link replaceLimitsAsync} would, applying nothing.
   * @throws {@link InvalidConfigurationError} naming the field.
   */
  validateReplacement(limits: Partial<ScalingLimits>): void {
    this.planLimits(limits, 'replace');
  }

  /**
   * Makes `limits` the whole explicit configuration, in place, as `reconfigureLimitsAsync`
   * does: a numeric limit it leaves out goes back to its default, a strategy it does not list
   * loses its override (and follows the global limits again), and `adaptation` is exactly
   * the fields it gives. Validated first; nothing is applied when a field is invalid.
   * @throws {@link InvalidConfigurationError} naming the field.
   */
  async replaceLimitsAsync(limits: Partial<ScalingLimits>): Promise<ScalingLimits> {
    this.commitLimits(this.planLimits(limits, 'replace'));
    return this.limitsChanged();
  }

  /** Operator actions: `trip`, `isolate` and `reset` of one strategy's circuit. */
  listActions(): readonly SubsystemActionInfo[] {
    return OPERATOR_ACTIONS;
  }

  /**
   * Runs an operator action on one strategy's circuit and resolves to its state afterwards.
   * @throws {@link InvalidConfigurationError} for an unknown action, a bad argument or a
   *   strategy without a circuit breaker; {@link UnknownStrategyError} for an unknown strategy.
   */
  async invokeActionAsync(action: string, args: Readonly<Record<string, unknown>>): Promise<unknown> {
    if (!OPERATOR_ACTIONS.some((a) => a.name === action)) {
      throw new InvalidConfigurationError('action', action, `one of ${OPERATOR_ACTIONS.map((a) => a.name).join(', ')}`);
    }
    const body = validateObject('arguments', args);
    rejectUnknownKeys('', body, ['strategyId', 'reason']);
    const strategyId = validateString('strategyId', body.strategyId, 128);
    const reason = body.reason === undefined ? `operator-${action}` : validateString('reason', body.reason, 256);
    const breaker = this.getCircuitBreaker(strategyId);
    if (breaker === undefined) throw new InvalidConfigurationError('strategyId', strategyId, 'a strategy with a circuit breaker');
    if (action === 'trip') breaker.trip(reason);
    else if (action === 'isolate') breaker.isolate(reason);
    else breaker.reset(reason);
    return { strategyId, state: breaker.state, retryAfterMs: breaker.retryAfterMs() };
  }

  /** The breaker of a strategy (created with its runtime), for operators and the distributed layer. */
  getCircuitBreaker(strategyId: string): ICircuitBreaker | undefined {
    return this.runtimeFor(strategyId).breaker;
  }

  /** The runtime of a strategy, creating it on first use. @throws {@link UnknownStrategyError} @internal */
  runtimeFor(strategyId: string): StrategyRuntime {
    let runtime = this.runtimes.get(strategyId);
    if (runtime !== undefined) return runtime;
    if (this.disposed) throw new InvalidConfigurationError('manager', 'disposed', 'a manager that is not disposed');
    const strategy = this.registry.require(strategyId);
    runtime = new StrategyRuntime(strategy.id, strategy, computeEffectiveOptions(strategy, this.numeric, this.overrides.get(strategy.id)), this.deps);
    this.runtimes.set(strategy.id, runtime);
    this.adaptive.onRuntimeCreated(strategy.id, runtime);
    this.events.emit('runtimeCreated', strategy.id);
    return runtime;
  }

  /** Runtimes created so far (bounded by the registry). @internal */
  activeRuntimes(): ReadonlyMap<string, StrategyRuntime> {
    return this.runtimes;
  }

  /**
   * Adds a named section to {@link getScalingMetrics} (e.g. the distributed circuit state's
   * `distributed`); the handle removes it. A provider that throws yields `{ error }` instead.
   * @throws {@link InvalidConfigurationError} for a bad or already used name.
   */
  addMetricsSection(name: string, provider: () => unknown): { dispose(): void } {
    validateString('name', name, 64);
    if (this.metricsSections.has(name)) throw new InvalidConfigurationError('name', name, 'a metrics section name not yet used');
    this.metricsSections.set(name, provider);
    return { dispose: () => void (this.metricsSections.get(name) === provider && this.metricsSections.delete(name)) };
  }

  private sectionMetrics(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [name, provider] of this.metricsSections) {
      try {
        out[name] = provider();
      } catch (error) {
        out[name] = { error: String(error) };
      }
    }
    return out;
  }

  /** Stops reacting to registry changes and releases every runtime's timers and waiters. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.unsubscribe();
    this.adaptive.dispose();
    for (const runtime of this.runtimes.values()) runtime.dispose();
    this.runtimes.clear();
    this.events.removeAllListeners();
  }

  private applyLimits(input: Partial<ScalingLimits>): void {
    this.commitLimits(this.planLimits(input, 'merge'));
  }

  private limitsChanged(): ScalingLimits {
    const result = this.currentLimits;
    this.events.emit('limitsChanged', result);
    return result;
  }

  private planLimits(input: Partial<ScalingLimits>, mode: 'merge' | 'replace'): LimitsPlan<StrategyRuntime> {
    return planLimits({ numeric: this.numeric, overrides: this.overrides, registry: this.registry, adaptation: this.adaptation, runtimes: this.runtimes }, input, mode);
  }

  private commitLimits(plan: LimitsPlan<StrategyRuntime>): void {
    this.numeric = plan.numeric;
    this.overrides = plan.overrides;
    this.registry.setMaxStrategies(plan.numeric.maxCacheEntries);
    for (const [runtime, strategy, effective] of plan.runtimes) runtime.apply(strategy, effective);
    this.configureAdaptation(plan.adaptation);
  }

  private configureAdaptation(prepared: PreparedAdaptation): void {
    this.adaptation.commit(prepared);
    this.adaptive.configure(this.adaptation.global, this.adaptation.active);
  }

  private onStrategyChanged(strategy: ResolvedStrategy): void {
    this.adaptation.refresh(strategy, this.overrides.get(strategy.id));
    this.adaptive.configure(this.adaptation.global, this.adaptation.active);
    const runtime = this.runtimes.get(strategy.id);
    if (runtime === undefined) return;
    try {
      runtime.apply(strategy, computeEffectiveOptions(strategy, this.numeric, this.overrides.get(strategy.id)));
    } catch (error) {
      // An override that no longer fits the new definition: keep the definition, drop the override.
      this.logger.warn('strategy override no longer valid; dropped', { strategyId: strategy.id, error: String(error) });
      this.overrides.delete(strategy.id);
      runtime.apply(strategy, computeEffectiveOptions(strategy, this.numeric, undefined));
    }
  }

  private onStrategyRemoved(id: string): void {
    const runtime = this.runtimes.get(id);
    this.overrides.delete(id);
    this.adaptation.forget(id);
    this.adaptive.forget(id);
    if (runtime === undefined) return;
    this.runtimes.delete(id);
    runtime.dispose();
  }
}
