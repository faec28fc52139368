import {
  DurableStateStoreToken,
  InvalidConfigurationError,
  PluginNotInitializedError,
  ResilienceServiceToken,
  SDK_VERSION,
  SdkCompatibility,
} from '@datawarehouse/sdk';
import {
  rejectUnknownKeys,
  validateBoolean,
  validateDuration,
  validateInteger,
  validateObject,
} from '@datawarehouse/sdk/internals';
import type {
  Disposable,
  ExecuteOptions,
  IPlugin,
  IResilienceService,
  PluginContext,
  ResilienceHooks,
  ResilientOperation,
  ScalingLimits,
} from '@datawarehouse/sdk';
import { CircuitStateReplicator, isFederatedMessageBus } from './distributed/CircuitStateReplicator.js';
import { resolveDistributedOptions } from './distributed/DistributedOptions.js';
import type { DistributedOptions } from './distributed/DistributedOptions.js';
import { ResilienceScalingManager } from './manager/ResilienceScalingManager.js';
import { BUILTIN_STRATEGIES } from './strategies/builtinStrategies.js';
import type { StrategyDefinition } from './strategies/StrategyDefinition.js';
import { StrategyRegistry } from './strategies/StrategyRegistry.js';
import { validateHooks } from './pipeline/CallEvents.js';
import { replicatedCircuitsOf } from './manager/replicatedCircuitsOf.js';
import { ResilienceObservability, validateObservabilityOptions } from './observability/ResilienceObservability.js';
import type { ObservabilityOptions } from './observability/ResilienceObservability.js';
import type { PrometheusMetrics } from './observability/PrometheusExporter.js';

/** Options of the plugin (the `options` of its entry in the host configuration). @since 6.0.0 */
export interface UltimateResiliencePluginOptions {
  /** Strategies to register after the built-in ones (same id replaces a built-in). */
  readonly strategies?: readonly StrategyDefinition[];
  /** Register the built-in strategies. Default true. */
  readonly builtinStrategies?: boolean;
  /** Most strategies (`ScalingLimits.maxCacheEntries`). Default 10 000. */
  readonly maxStrategies?: number;
  /** Initial limits of the `resilience` subsystem. */
  readonly limits?: Partial<ScalingLimits>;
  /** Window of rate and latency metrics, ms. Default 60 000. */
  readonly metricsWindowMs?: number;
  /** Global adaptation parameters (`ScalingLimits.adaptation`; see the adaptive module). */
  readonly adaptation?: Readonly<Record<string, unknown>>;
  /**
   * Sharing circuit state with the other nodes over the host's bus (`ctx.bus`); see
   * {@link DistributedOptions} for the fields and defaults. On by default.
   */
  readonly distributed?: Partial<DistributedOptions>;
  /**
   * Metrics export: Prometheus at `GET /metrics` (through the host's routes) and OpenTelemetry
   * instruments when `@opentelemetry/api` is installed; see {@link ObservabilityOptions}. On by default.
   * @since 6.1.0
   */
  readonly observability?: ObservabilityOptions;
}

const OPTION_KEYS = [
  'strategies',
  'builtinStrategies',
  'maxStrategies',
  'limits',
  'metricsWindowMs',
  'adaptation',
  'distributed',
  'observability',
] as const;

/** The plugin's id. @since 6.0.0 */
export const ULTIMATE_RESILIENCE_PLUGIN_ID = 'ultimate-resilience';

/**
 * The UltimateResilience plugin. `initializeAsync` builds the {@link ResilienceScalingManager},
 * registers it as the `resilience` subsystem, publishes `IResilienceService` under
 * `ResilienceServiceToken`, serves its metrics at `GET /metrics` (Prometheus, through `ctx.http`), and swaps this plugin's own `executeWithResilience` from "throw
 * {@link PluginNotInitializedError}" to the manager's pipeline. There is no pass-through: a call
 * before initialization (or after `stopAsync`) fails loudly instead of running unprotected.
 *
 * @example
 * ```ts
 * // in another plugin
 * const resilience = ctx.services.resolve(ResilienceServiceToken);
 * const rows = await resilience.executeWithResilience('default', ({ signal }) => db.query(sql, { signal }));
 * ```
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class UltimateResiliencePlugin implements IPlugin, IResilienceService {
  readonly id = ULTIMATE_RESILIENCE_PLUGIN_ID;
  readonly version = '6.0.0';
  readonly sdkVersion = SDK_VERSION;
  readonly dependencies: readonly string[] = [];
  private readonly options: UltimateResiliencePluginOptions;
  private managerInstance: ResilienceScalingManager | undefined;
  private registrations: Disposable[] = [];
  private replicator: CircuitStateReplicator | undefined;
  private observability: ResilienceObservability | undefined;
  private execute: <T>(strategyId: string, operation: ResilientOperation<T>, options?: ExecuteOptions) => Promise<T> =
    this.notInitialized;
  /** Hooks registered through this plugin: they outlive a stop, and apply to each manager it creates. */
  private readonly hookSets = new Set<{ readonly hooks: ResilienceHooks; remove: (() => void) | undefined }>();

  /** @throws {@link InvalidConfigurationError} for invalid options. */
  constructor(options: UltimateResiliencePluginOptions = {}) {
    this.options = validatePluginOptions(options);
  }

  /** The manager, once initialized. @throws {@link PluginNotInitializedError} before. */
  get manager(): ResilienceScalingManager {
    if (this.managerInstance === undefined) throw new PluginNotInitializedError(this.id, 'manager');
    return this.managerInstance;
  }

  /**
   * The Prometheus exporter of this plugin's metrics (what `GET /metrics` serves), e.g. to merge
   * its `registry` into an application's own prom-client registry.
   * @throws {@link PluginNotInitializedError} before `initializeAsync`.
   * @since 6.1.0
   */
  get prometheus(): PrometheusMetrics {
    if (this.observability === undefined) throw new PluginNotInitializedError(this.id, 'prometheus');
    return this.observability.prometheus;
  }

  /** Whether `initializeAsync` completed and `stopAsync` has not run. */
  get initialized(): boolean {
    return this.managerInstance !== undefined;
  }

  /**
   * Runs `operation` under the strategy's resilience pipeline.
   * @throws {@link PluginNotInitializedError} before `initializeAsync` (as a rejection).
   */
  executeWithResilience<T>(strategyId: string, operation: ResilientOperation<T>, options?: ExecuteOptions): Promise<T> {
    return this.execute(strategyId, operation, options);
  }

  /**
   * Registers per-call hooks on every strategy (see the manager's `addHooks`). Hooks may be
   * added before `initializeAsync` and survive `stopAsync`: they apply to the manager of each
   * run of the plugin.
   * @returns Removes these hooks; calling it again does nothing.
   * @throws {@link InvalidConfigurationError} naming `hooks` or `hooks.<member>`.
   * @since 6.1.0
   */
  addHooks(hooks: ResilienceHooks): () => void {
    validateHooks(hooks);
    const entry = { hooks, remove: this.managerInstance?.addHooks(hooks) };
    this.hookSets.add(entry);
    return () => {
      if (!this.hookSets.delete(entry)) return;
      entry.remove?.();
    };
  }

  async initializeAsync(ctx: PluginContext): Promise<void> {
    if (this.managerInstance !== undefined) return;
    const o = this.options;
    const registry = new StrategyRegistry([], o.maxStrategies ?? 10_000);
    if (o.builtinStrategies !== false) BUILTIN_STRATEGIES.forEach((s) => registry.register(s));
    o.strategies?.forEach((s, i) => registry.register(s, `strategies[${i}]`));
    const manager = new ResilienceScalingManager({
      registry,
      clock: ctx.clock,
      logger: ctx.logger,
      limits: {
        maxCacheEntries: registry.maxStrategies,
        ...o.limits,
        ...(o.adaptation !== undefined && { adaptation: o.adaptation }),
      },
      ...(o.metricsWindowMs !== undefined && { metricsWindowMs: o.metricsWindowMs }),
    });
    // The handle goes through this plugin's current execute path, not this manager: a consumer
    // that resolved it keeps it across stopAsync, and must then get PluginNotInitializedError.
    const service: IResilienceService = Object.freeze({
      executeWithResilience: <T>(id: string, op: ResilientOperation<T>, opts?: ExecuteOptions) =>
        this.execute(id, op, opts),
      addHooks: (hooks: ResilienceHooks) => this.addHooks(hooks),
    });
    const registrations: Disposable[] = [];
    try {
      registrations.push(ctx.subsystems.register(manager));
      registrations.push(ctx.services.register(ResilienceServiceToken, service));
    } catch (error) {
      registrations.forEach((r) => r.dispose());
      manager.dispose();
      throw error;
    }
    try {
      this.replicator = this.createReplicator(ctx, manager);
      if (this.replicator !== undefined) {
        const replicator = this.replicator;
        registrations.push(manager.addMetricsSection('distributed', () => replicator.metrics()));
      }
      const observability = new ResilienceObservability(manager, ctx, this.options.observability);
      registrations.push(observability);
      this.observability = observability;
    } catch (error) {
      this.observability = undefined;
      this.replicator?.dispose();
      this.replicator = undefined;
      registrations.forEach((r) => r.dispose());
      manager.dispose();
      throw error;
    }
    this.registrations = registrations;
    this.managerInstance = manager;
    for (const entry of this.hookSets) entry.remove = manager.addHooks(entry.hooks);
    this.execute = (id, op, opts) => manager.executeWithResilience(id, op, opts);
    ctx.logger.info('resilience initialized', { strategies: registry.size });
  }

  /**
   * Starts sharing circuit state: asks the other nodes for theirs and arms anti-entropy. Done
   * here rather than in `initializeAsync` so a transport plugin (e.g. Redis) initialized
   * after this one is already in place. Other timers are created lazily by the strategies.
   */
  async startAsync(): Promise<void> {
    this.replicator?.start();
    await this.observability?.startAsync();
  }

  /** Withdraws the service and subsystem and releases every timer and waiter. */
  async stopAsync(): Promise<void> {
    this.execute = this.notInitialized;
    this.replicator?.dispose();
    this.replicator = undefined;
    for (const r of this.registrations.splice(0)) r.dispose();
    this.observability = undefined;
    this.managerInstance?.dispose();
    this.managerInstance = undefined;
  }

  /** The replicator of circuit state, listening already; undefined when off or without a bus. */
  private createReplicator(ctx: PluginContext, manager: ResilienceScalingManager): CircuitStateReplicator | undefined {
    const options =
      this.options.distributed === undefined ? undefined : resolveDistributedOptions(this.options.distributed);
    if (options?.enabled === false) return undefined;
    if (!isFederatedMessageBus(ctx.bus)) {
      ctx.logger.warn('no federated message bus in the plugin context: circuit state stays local');
      return undefined;
    }
    const replicator = new CircuitStateReplicator({
      circuits: replicatedCircuitsOf(manager),
      bus: ctx.bus,
      pluginId: this.id,
      clock: ctx.clock,
      logger: ctx.logger,
      // Looked up when needed: the transport providing it may start after this plugin.
      durableStore: () =>
        typeof ctx.services?.tryResolve === 'function' ? ctx.services.tryResolve(DurableStateStoreToken) : undefined,
      ...(options && { options }),
    });
    replicator.attach();
    return replicator;
  }

  private notInitialized<T>(): Promise<T> {
    return Promise.reject(new PluginNotInitializedError(ULTIMATE_RESILIENCE_PLUGIN_ID, 'executeWithResilience'));
  }
}

function validatePluginOptions(input: unknown): UltimateResiliencePluginOptions {
  const o = validateObject('options', input);
  rejectUnknownKeys('', o, OPTION_KEYS);
  if (o.strategies !== undefined && !Array.isArray(o.strategies)) {
    throw new InvalidConfigurationError('strategies', o.strategies, 'an array of strategy definitions');
  }
  if (o.builtinStrategies !== undefined) validateBoolean('builtinStrategies', o.builtinStrategies);
  if (o.maxStrategies !== undefined) validateInteger('maxStrategies', o.maxStrategies, 1, 10_000_000);
  if (o.limits !== undefined) validateObject('limits', o.limits);
  if (o.metricsWindowMs !== undefined) validateDuration('metricsWindowMs', o.metricsWindowMs, 1);
  if (o.adaptation !== undefined) validateObject('adaptation', o.adaptation);
  if (o.distributed !== undefined) resolveDistributedOptions(o.distributed);
  if (o.observability !== undefined) validateObservabilityOptions(o.observability);
  return Object.freeze({ ...o }) as UltimateResiliencePluginOptions;
}

/**
 * The plugin factory the host calls with the plugin's configured options.
 * @throws {@link InvalidConfigurationError} for invalid options.
 */
export function createPlugin(options: Readonly<Record<string, unknown>> = {}): UltimateResiliencePlugin {
  return new UltimateResiliencePlugin(options as UltimateResiliencePluginOptions);
}
