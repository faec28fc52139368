import { EventEmitter } from 'eventemitter3';
import {
  InMemoryCircuitBreaker,
  InvalidConfigurationError,
  isUnknownStrategyError,
  markPipelineRejection,
  SdkCompatibility,
  silentLogger,
  systemClock,
} from '@datawarehouse/sdk';
import { validateDuration } from '@datawarehouse/sdk/internals';
import type {
  BackpressureState,
  Clock,
  ExecuteOptions,
  ICircuitBreaker,
  IConfigurableSubsystem,
  IOperableSubsystem,
  IResilienceService,
  IScalableSubsystem,
  SubsystemActionInfo,
  Logger,
  ResilienceHooks,
  ResilientOperation,
  ScalingLimits,
  ScalingMetrics,
} from '@datawarehouse/sdk';
import { AdaptiveController } from '../adaptive/AdaptiveController.js';
import { CallEvents } from '../pipeline/CallEvents.js';
import type { SpanSource } from '../pipeline/CallEvents.js';
import { StrategyRuntime } from '../runtime/StrategyRuntime.js';
import type { RuntimeDeps } from '../runtime/StrategyRuntime.js';
import { BUILTIN_STRATEGIES } from '../strategies/builtinStrategies.js';
import { StrategyRegistry } from '../strategies/StrategyRegistry.js';
import type { ResolvedStrategy } from '../strategies/StrategyDefinition.js';
import { LimitsController } from './LimitsController.js';
import { MetricsSections } from './MetricsSections.js';
import { OPERATOR_ACTIONS, runOperatorAction } from './OperatorActions.js';
import type {
  ResilienceScalingManagerEvents,
  ResilienceScalingManagerOptions,
} from './ResilienceScalingManagerOptions.js';
import { runtimesReportOf, worstBackpressure } from './strategyReport.js';

export type {
  ResilienceScalingManagerEvents,
  ResilienceScalingManagerOptions,
} from './ResilienceScalingManagerOptions.js';

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
export class ResilienceScalingManager
  implements IScalableSubsystem, IConfigurableSubsystem, IResilienceService, IOperableSubsystem
{
  readonly name = 'resilience';
  /** Typed events (eventemitter3). */
  readonly events = new EventEmitter<ResilienceScalingManagerEvents>();
  readonly registry: StrategyRegistry;
  readonly clock: Clock;
  private readonly logger: Logger;
  private readonly runtimes = new Map<string, StrategyRuntime>();
  private readonly limits: LimitsController;
  private readonly adaptive: AdaptiveController;
  private readonly deps: RuntimeDeps;
  private readonly unsubscribe: () => void;
  private disposed = false;
  private readonly callEvents: CallEvents;
  /** Extra sections of `getScalingMetrics()` contributed by other modules (e.g. `distributed`). */
  private readonly metricsSections = new MetricsSections();

  /** @throws {@link InvalidConfigurationError} for invalid options or limits. */
  constructor(options: ResilienceScalingManagerOptions = {}) {
    this.registry = options.registry ?? new StrategyRegistry(BUILTIN_STRATEGIES);
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.callEvents = new CallEvents(this.logger);
    const createBreaker =
      options.createCircuitBreaker ?? ((name, o, clock) => new InMemoryCircuitBreaker(name, o, clock));
    this.deps = {
      clock: this.clock,
      random: options.random ?? Math.random,
      metricsWindowMs: validateDuration('metricsWindowMs', options.metricsWindowMs ?? 60_000, 1),
      events: this.callEvents,
      createBreaker: (name, o, clock) => {
        const breaker = createBreaker(name, o, clock);
        breaker.events.on('stateChanged', (change) => {
          this.adaptive.observeCircuitChange(name, change);
          this.events.emit('circuitStateChanged', name, change);
          this.callEvents.circuitTransition(name, change);
        });
        return breaker;
      },
    };
    this.limits = new LimitsController({
      registry: this.registry,
      runtimes: this.runtimes,
      logger: this.logger,
      onAdaptation: (global, active) => this.adaptive.configure(global, active),
    });
    this.adaptive = new AdaptiveController({
      clock: this.clock,
      logger: this.logger,
      runtimes: () => this.runtimes,
      optionsFor: (id) => this.limits.adaptationOptionsFor(id),
      onAdapted: (event) => this.events.emit('adapted', event.strategyId, event),
    });
    this.limits.initialize(options.limits);

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
        // Only the refusals of this call's arguments are marked: whatever else runtime creation
        // throws (a breaker factory, a listener) is not the pipeline's own rejection.
        return Promise.reject(isUnknownStrategyError(error) ? markPipelineRejection(error) : error);
      }
    }
    return runtime.execute(operation, options);
  }

  /**
   * Registers per-call hooks for every strategy (see `ResilienceHooks` in the SDK for the events
   * and their order); the same events go to `node:diagnostics_channel`. Nothing is paid for them
   * while no hook is registered and no channel has a subscriber.
   * @returns Removes these hooks; calling it again does nothing.
   * @throws {@link InvalidConfigurationError} naming `hooks` or `hooks.<member>`.
   * @since 6.1.0
   */
  addHooks(hooks: ResilienceHooks): () => void {
    return this.callEvents.add(hooks);
  }

  /**
   * Adds a span event per attempt outcome (and per rejection and fallback) to the span active
   * when each call starts; used by the plugin when an OpenTelemetry tracer is registered.
   * @returns Switches it off.
   * @internal
   */
  traceCalls(spans: SpanSource): () => void {
    return this.callEvents.trace(spans);
  }

  /** Hooks that threw since creation (their errors never reach the calls). @since 6.1.0 */
  get hookErrors(): number {
    return this.callEvents.hookErrors;
  }

  /**
   * The limits in force, with every registered strategy's effective options (what it inherits
   * included). Written back through `reconfigureLimitsAsync` it changes no value, but turns
   * every value into an explicit one; {@link configuredLimits} is what was set.
   */
  get currentLimits(): ScalingLimits {
    return this.limits.current;
  }

  /** The most loaded strategy's state: one saturated bulkhead is not averaged away. */
  get currentBackpressureState(): BackpressureState {
    return worstBackpressure(this.runtimes.values(), this.clock.now());
  }

  /**
   * Metrics of every strategy used so far: circuit state, bulkhead utilization and queue,
   * calls, success/failure/retry rates over the metrics window, rejections by cause, and
   * p50/p95/p99 attempt latency (log-scale histogram; relative error bound in
   * `WindowedHistogram`). Also totals, the count of circuits per state, and `adaptation`:
   * per adapting strategy its current and recommended values, the last reasons and its windows.
   */
  getScalingMetrics(): ScalingMetrics {
    const { backpressure, ...report } = runtimesReportOf(this.runtimes, this.clock.now());
    return {
      backpressure,
      registeredStrategies: this.registry.size,
      activeStrategies: this.runtimes.size,
      ...report,
      adaptation: this.adaptive.report(),
      ...this.metricsSections.read(),
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
    this.limits.commit(this.limits.plan(limits, 'merge'));
    return this.limitsChanged();
  }

  /**
   * What was set: the four numeric limits, the per-strategy overrides (`strategies`) and the
   * `adaptation` fields given so far. A strategy absent from `strategies` inherits everything;
   * `replaceLimitsAsync(configuredLimits)` changes nothing.
   */
  get configuredLimits(): Partial<ScalingLimits> {
    return this.limits.configured;
  }

  /**
   * Checks `limits` as {@link replaceLimitsAsync} would, applying nothing.
   * @throws {@link InvalidConfigurationError} naming the field.
   */
  validateReplacement(limits: Partial<ScalingLimits>): void {
    this.limits.plan(limits, 'replace');
  }

  /**
   * Makes `limits` the whole explicit configuration, in place, as `reconfigureLimitsAsync`
   * does: a numeric limit it leaves out goes back to its default, a strategy it does not list
   * loses its override (and follows the global limits again), and `adaptation` is exactly
   * the fields it gives. Validated first; nothing is applied when a field is invalid.
   * @throws {@link InvalidConfigurationError} naming the field.
   */
  async replaceLimitsAsync(limits: Partial<ScalingLimits>): Promise<ScalingLimits> {
    this.limits.commit(this.limits.plan(limits, 'replace'));
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
    return runOperatorAction(action, args, (id) => this.getCircuitBreaker(id));
  }

  /** The breaker of a strategy (created with its runtime), for operators and the distributed layer. */
  getCircuitBreaker(strategyId: string): ICircuitBreaker | undefined {
    return this.runtimeFor(strategyId).breaker;
  }

  /** The runtime of a strategy, creating it on first use. @throws {@link UnknownStrategyError} @internal */
  runtimeFor(strategyId: string): StrategyRuntime {
    let runtime = this.runtimes.get(strategyId);
    if (runtime !== undefined) return runtime;
    if (this.disposed) {
      throw markPipelineRejection(
        new InvalidConfigurationError('manager', 'disposed', 'a manager that is not disposed'),
      );
    }
    const strategy = this.registry.require(strategyId);
    runtime = new StrategyRuntime(strategy.id, strategy, this.limits.effectiveOptionsOf(strategy), this.deps);
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
    return this.metricsSections.add(name, provider);
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

  private limitsChanged(): ScalingLimits {
    const result = this.currentLimits;
    this.events.emit('limitsChanged', result);
    return result;
  }

  private onStrategyChanged(strategy: ResolvedStrategy): void {
    this.limits.onStrategyChanged(strategy);
  }

  private onStrategyRemoved(id: string): void {
    const runtime = this.runtimes.get(id);
    this.limits.onStrategyRemoved(id);
    this.adaptive.forget(id);
    if (runtime === undefined) return;
    this.runtimes.delete(id);
    runtime.dispose();
  }
}
