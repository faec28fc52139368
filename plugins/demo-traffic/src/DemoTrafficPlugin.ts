import {
  DEFAULT_SCALING_LIMITS,
  PluginNotInitializedError,
  ResilienceServiceToken,
  SdkCompatibility,
  SeededRandom,
} from '@datawarehouse/sdk';
import { rejectUnknownKeys, validateInteger, validateObject } from '@datawarehouse/sdk/internals';
import type {
  BackpressureState,
  Disposable,
  IPlugin,
  IResilienceService,
  IScalableSubsystem,
  OperationContext,
  PluginContext,
  ScalingLimits,
  TimerHandle,
} from '@datawarehouse/sdk';
import { resolveDemoTrafficOptions } from './DemoTrafficOptions.js';
import type { ResolvedDemoTrafficOptions } from './DemoTrafficOptions.js';
import { OutcomeCounter } from './OutcomeCounter.js';
import { SimulatedDownstream } from './SimulatedDownstream.js';
import type { DownstreamStatistics } from './SimulatedDownstream.js';

/** What the demo reports (also its subsystem's metrics). @since 6.0.0 */
export interface DemoTrafficStatistics {
  readonly running: boolean;
  readonly requestsPerSecond: number;
  readonly maxInFlight: number;
  readonly inFlight: number;
  /** Calls handed to `executeWithResilience`. */
  readonly issued: number;
  /** Calls not issued because `maxInFlight` were in flight. */
  readonly skipped: number;
  /** Settled calls by outcome: `ok` or the error code (`ERR_CIRCUIT_OPEN`, `ERR_DOWNSTREAM_FAILURE`, ...). */
  readonly outcomes: Readonly<Record<string, number>>;
  /** The same, per strategy id. */
  readonly byStrategy: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly downstream: DownstreamStatistics | undefined;
}

/** Name of the subsystem the demo registers (its in-flight cap is changeable at runtime). */
export const DEMO_TRAFFIC_SUBSYSTEM = 'demo-traffic';

/**
 * A consumer plugin: drives a `SimulatedDownstream` at `requestsPerSecond` through
 * `executeWithResilience`, cycling over the configured strategy ids, and counts outcomes by
 * error code. Resolves the resilience service from the service registry, so it depends on
 * `ultimate-resilience`. Registers a `demo-traffic` subsystem whose `maxConcurrentOperations`
 * is its in-flight cap.
 *
 * @example
 * ```json
 * { "module": "@datawarehouse/plugin-demo-traffic",
 *   "options": { "strategies": ["default", "breaker-consecutive"], "requestsPerSecond": 100,
 *                "downstream": { "errorRate": 0.05, "capacity": 8, "outages": [{ "atMs": 10000, "durationMs": 5000 }] } } }
 * ```
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class DemoTrafficPlugin implements IPlugin {
  readonly id = 'demo-traffic';
  readonly version = '6.0.0';
  readonly sdkVersion = '6.0.0';
  readonly dependencies: readonly string[] = ['ultimate-resilience'];
  /** The resolved options. */
  readonly options: ResolvedDemoTrafficOptions;
  private ctx: PluginContext | undefined;
  private resilience: IResilienceService | undefined;
  private downstream: SimulatedDownstream | undefined;
  private registration: Disposable | undefined;
  private timer: TimerHandle | undefined;
  private stopController: AbortController | undefined;
  private running = false;
  private maxInFlight: number;
  private budget = 0;
  private nextStrategy = 0;
  private inFlight = 0;
  private issued = 0;
  private skipped = 0;
  private onIdle: (() => void) | undefined;
  private readonly outcomes = new OutcomeCounter();
  private readonly byStrategy = new Map<string, OutcomeCounter>();
  private readonly operation = (octx: OperationContext): Promise<number> => this.downstream!.call(octx.signal);

  /** @throws {@link InvalidConfigurationError} naming the bad option. */
  constructor(options: unknown = {}) {
    this.options = resolveDemoTrafficOptions(options);
    this.maxInFlight = this.options.maxInFlight;
    for (const id of this.options.strategies) this.byStrategy.set(id, new OutcomeCounter());
  }

  /**
   * Resolves the resilience service, builds the downstream and registers the subsystem.
   * @throws `ERR_SERVICE_NOT_FOUND` when no resilience service is published.
   */
  async initializeAsync(ctx: PluginContext): Promise<void> {
    this.resilience = ctx.services.resolve(ResilienceServiceToken);
    this.downstream = new SimulatedDownstream(this.options.downstream, ctx.clock, new SeededRandom(this.options.seed));
    this.registration = ctx.subsystems.register(this.createSubsystem());
    this.ctx = ctx;
  }

  /** Starts the load. @throws {@link PluginNotInitializedError} before `initializeAsync`. */
  async startAsync(): Promise<void> {
    if (this.ctx === undefined) throw new PluginNotInitializedError(this.id, 'startAsync');
    if (this.running) return;
    this.running = true;
    this.stopController = new AbortController();
    this.downstream!.restartClock();
    this.ctx.logger.info('demo traffic started', {
      strategies: this.options.strategies,
      requestsPerSecond: this.options.requestsPerSecond,
    });
    this.schedule();
  }

  /** Stops the load, cancels and awaits the calls in flight, unregisters the subsystem. */
  async stopAsync(): Promise<void> {
    this.running = false;
    if (this.timer !== undefined) this.ctx?.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.stopController?.abort();
    this.downstream?.dispose();
    if (this.inFlight > 0)
      await new Promise<void>((resolve) => {
        this.onIdle = resolve;
      });
    this.registration?.dispose();
    this.registration = undefined;
    this.ctx?.logger.info('demo traffic stopped', { issued: this.issued, outcomes: this.outcomes.toJSON() });
  }

  /** Counters so far. */
  getStatistics(): DemoTrafficStatistics {
    const byStrategy: Record<string, Record<string, number>> = {};
    for (const [id, counter] of this.byStrategy) byStrategy[id] = counter.toJSON();
    return {
      running: this.running,
      requestsPerSecond: this.options.requestsPerSecond,
      maxInFlight: this.maxInFlight,
      inFlight: this.inFlight,
      issued: this.issued,
      skipped: this.skipped,
      outcomes: this.outcomes.toJSON(),
      byStrategy,
      downstream: this.downstream?.getStatistics(),
    };
  }

  private schedule(): void {
    this.timer = this.ctx!.clock.setTimeout(() => this.tick(), this.options.tickMs);
  }

  private tick(): void {
    this.timer = undefined;
    if (!this.running) return;
    // The budget counts thousandths of a call in integers: fractional calls carry over
    // without floating-point drift, so low rates and short ticks average out exactly.
    this.budget += Math.round(this.options.requestsPerSecond * this.options.tickMs);
    const n = Math.floor(this.budget / 1000);
    this.budget -= n * 1000;
    for (let i = 0; i < n; i++) this.issue();
    this.schedule();
  }

  private issue(): void {
    if (this.inFlight >= this.maxInFlight) {
      this.skipped++;
      return;
    }
    const strategies = this.options.strategies;
    const id = strategies[this.nextStrategy]!;
    this.nextStrategy = (this.nextStrategy + 1) % strategies.length;
    this.inFlight++;
    this.issued++;
    let call: Promise<number>;
    try {
      call = this.resilience!.executeWithResilience(id, this.operation, { signal: this.stopController!.signal });
    } catch (e) {
      call = Promise.reject(e);
    }
    call.then(
      () => this.settle(id, undefined, true),
      (e: unknown) => this.settle(id, e, false),
    );
  }

  private settle(id: string, error: unknown, ok: boolean): void {
    const counter = this.byStrategy.get(id)!;
    if (ok) {
      this.outcomes.success();
      counter.success();
    } else {
      this.outcomes.failure(error);
      counter.failure(error);
    }
    this.inFlight--;
    if (this.inFlight === 0 && this.onIdle !== undefined) {
      const resolve = this.onIdle;
      this.onIdle = undefined;
      resolve();
    }
  }

  private createSubsystem(): IScalableSubsystem {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- getters below read live plugin state
    const plugin = this;
    return {
      name: DEMO_TRAFFIC_SUBSYSTEM,
      get currentLimits(): ScalingLimits {
        return { ...DEFAULT_SCALING_LIMITS, maxConcurrentOperations: plugin.maxInFlight };
      },
      get currentBackpressureState(): BackpressureState {
        const ratio = plugin.inFlight / plugin.maxInFlight;
        return ratio >= 1 ? 'shedding' : ratio >= 0.9 ? 'critical' : ratio >= 0.7 ? 'warning' : 'normal';
      },
      getScalingMetrics: () => ({ ...this.getStatistics() }),
      reconfigureLimitsAsync: async (limits: Partial<ScalingLimits>): Promise<ScalingLimits> => {
        const l = validateObject('limits', limits);
        rejectUnknownKeys('', l, ['maxConcurrentOperations']);
        if (l.maxConcurrentOperations !== undefined) {
          this.maxInFlight = validateInteger('maxConcurrentOperations', l.maxConcurrentOperations, 1, 1_000_000);
        }
        return { ...DEFAULT_SCALING_LIMITS, maxConcurrentOperations: this.maxInFlight };
      },
    };
  }
}
