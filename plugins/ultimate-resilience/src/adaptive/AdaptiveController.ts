// Over ~300 lines on purpose: one shared timer samples, evaluates, applies and releases adaptation for every strategy (with
// the warm-up and the early cut of #11), and these steps share per-strategy tracking state. The rules, windows, sampler and
// recovery tracker are in their own files.
import { SdkCompatibility } from '@datawarehouse/sdk';
import type { CircuitStateChange, Clock, Logger, TimerHandle } from '@datawarehouse/sdk';
import type { AdaptiveOverlay, AdaptiveTarget } from './AdaptiveTarget.js';
import { DEFAULT_ADAPTATION_OPTIONS } from './AdaptationOptions.js';
import type { AdaptationOptions } from './AdaptationOptions.js';
import { computeOptimalThresholds, INITIAL_ADAPTIVE_STATE } from './AdaptiveResilienceThresholds.js';
import type { AdaptiveState, ThresholdValues } from './AdaptiveResilienceThresholds.js';
import { RecoveryTracker } from './RecoveryTracker.js';
import { StrategySampler } from './StrategySampler.js';

/** An applied adaptation (payload of the manager's `adapted` event). @since 6.0.0 */
export interface AdaptationEvent {
  readonly strategyId: string;
  readonly timestamp: number;
  /** Values in force before and after. */
  readonly previous: ThresholdValues;
  readonly current: ThresholdValues;
  /** What the rules recommended (may differ from `current`: deferred while open, capped by the configured limit). */
  readonly recommended: ThresholdValues;
  readonly reasons: readonly string[];
}

/** What the controller needs from its manager. @since 6.0.0 */
export interface AdaptiveControllerDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  /** The runtimes in use, by strategy id. */
  readonly runtimes: () => ReadonlyMap<string, AdaptiveTarget>;
  /** The options a strategy adapts with. May throw (its configuration is invalid): the strategy is then skipped. */
  readonly optionsFor: (strategyId: string) => AdaptationOptions;
  /** Called after each applied change. */
  readonly onAdapted: (event: AdaptationEvent) => void;
}

interface Tracked {
  readonly runtime: AdaptiveTarget;
  readonly sampler: StrategySampler;
  state: AdaptiveState;
  recommended: ThresholdValues;
  reasons: readonly string[];
  lastAdaptedAt: number | undefined;
  changes: number;
  /** The configured failure threshold while the warm-up one is in force (until the first adaptation). */
  warmUpFrom: number | undefined;
}

/**
 * Drives adaptation for every strategy from ONE timer on the manager's clock. Every
 * `sampleIntervalMs` it reads each runtime's cumulative counters and latency percentiles and
 * pushes the deltas into that strategy's windows ({@link StrategySampler}) (nothing is added to the
 * call path); every `intervalMs` it runs {@link computeOptimalThresholds} and applies changes
 * in place through `runtime.setAdaptiveOverlay`: breaker state and counts are kept, a new
 * break duration waits until the circuit is closed, and the runtime caps the limit by the
 * configured one. Recovery times come from `observeCircuitChange`. The timer callback catches
 * everything (logged and counted); one strategy's failure never stops the others.
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class AdaptiveController {
  private global: AdaptationOptions = DEFAULT_ADAPTATION_OPTIONS;
  private active = false;
  private timer: TimerHandle | undefined = undefined;
  private readonly tracked = new Map<string, Tracked>();
  private readonly recoveries = new Map<string, RecoveryTracker>();
  /** Strategies no longer adapted whose adapted break duration waits for the circuit to close. */
  private readonly pendingRestore = new Map<string, AdaptiveTarget>();
  private samples = 0;
  private adaptations = 0;
  private errors = 0;
  private lastSampleAt: number | undefined = undefined;
  private disposed = false;

  constructor(private readonly deps: AdaptiveControllerDeps) {}

  /** Whether the sampling timer is armed. */
  get running(): boolean {
    return this.timer !== undefined;
  }

  /**
   * Applies new global options. `active` says whether any strategy adapts (the timer runs only
   * then, and only once a runtime exists). Strategies no longer enabled get their configured
   * values back; a new sampling layout restarts their windows.
   */
  configure(global: AdaptationOptions, active: boolean): void {
    const previous = this.global;
    this.global = global;
    this.active = active;
    if (previous.sampleIntervalMs !== global.sampleIntervalMs || previous.longWindowMs !== global.longWindowMs) {
      for (const t of this.tracked.values()) t.sampler.relayout(global.sampleIntervalMs, global.longWindowMs);
    }
    if (previous.sampleIntervalMs !== global.sampleIntervalMs || previous.intervalMs !== global.intervalMs || !active)
      this.stop();
    for (const [id, t] of this.tracked) {
      if (!this.enabledFor(id)) this.release(id, t, 'adaptation disabled: configured values restored');
    }
    this.start();
  }

  /** A runtime was created: track it from zero and make sure the timer runs. */
  onRuntimeCreated(strategyId: string, runtime: AdaptiveTarget): void {
    if (this.disposed) return;
    if (this.enabledFor(strategyId)) {
      const t = this.track(runtime, true);
      this.tracked.set(strategyId, t);
      this.warmUp(strategyId, t);
    }
    this.start();
  }

  /** Feeds a circuit transition of a strategy (for recovery times). Never throws. */
  observeCircuitChange(strategyId: string, change: CircuitStateChange): void {
    try {
      let tracker = this.recoveries.get(strategyId);
      if (tracker === undefined) this.recoveries.set(strategyId, (tracker = new RecoveryTracker()));
      tracker.observe(change, this.optionsOrGlobal(strategyId).emaAlpha);
      if (change.newState === 'closed' && this.pendingRestore.has(strategyId)) {
        // After the breaker's own event handling (this runs inside its emit).
        queueMicrotask(() => this.restorePending(strategyId));
      }
    } catch (error) {
      this.fail('recovery tracking failed', strategyId, error);
    }
  }

  /** Drops a removed strategy's state. */
  forget(strategyId: string): void {
    this.pendingRestore.delete(strategyId);
    this.tracked.delete(strategyId);
    this.recoveries.delete(strategyId);
  }

  /**
   * One sampling step (and every `intervalMs / sampleIntervalMs` steps, one adaptation) at
   * `clock.now()`. The timer calls it; exposed for tests and tools. Never throws.
   */
  tick(): void {
    try {
      const now = this.deps.clock.now();
      this.samples++;
      this.lastSampleAt = now;
      const adapt = this.samples % Math.round(this.global.intervalMs / this.global.sampleIntervalMs) === 0;
      const runtimes = this.deps.runtimes();
      for (const [id, runtime] of runtimes) this.step(id, runtime, now, adapt);
      for (const id of this.tracked.keys()) if (!runtimes.has(id)) this.tracked.delete(id);
    } catch (error) {
      this.fail('adaptation tick failed', undefined, error);
    }
  }

  /** Adaptation state for `getScalingMetrics()`: current and recommended values, last reasons, windows. */
  report(): Record<string, unknown> {
    const now = this.deps.clock.now();
    const g = this.global;
    const strategies: Record<string, unknown> = {};
    for (const [id, t] of this.tracked) {
      const recovery = this.recoveries.get(id);
      const w = (ms: number) => {
        const s = t.sampler.windows.window(ms, now);
        return {
          ms,
          calls: s.calls,
          completed: s.completed,
          errorRate: s.errorRate,
          p99Ms: s.p99Ms,
          p99MinMs: s.p99MinMs,
          rejectedBulkhead: s.rejectedBulkhead,
        };
      };
      strategies[id] = {
        enabled: true,
        mode: this.optionsOrGlobal(id).concurrencyMode,
        current: currentValues(t.runtime),
        recommended: t.recommended,
        reasons: t.reasons,
        lastAdaptedAt: t.lastAdaptedAt ?? null,
        changes: t.changes,
        // What the limit rule compares with (null until its first reading under load).
        latency: {
          p99EmaMs: t.state.latencyEmaMs ?? null,
          baselineP99Ms: t.state.baselineMs ?? null,
          baselineP50Ms: t.state.baselineP50Ms ?? null,
        },
        warmUp: t.warmUpFrom !== undefined,
        recoveries: { count: recovery?.count ?? 0, emaMs: recovery?.emaMs ?? null, lastMs: recovery?.lastMs ?? null },
        windows: { short: w(g.shortWindowMs), medium: w(g.mediumWindowMs), long: w(g.longWindowMs) },
      };
    }
    return {
      enabled: g.enabled,
      active: this.active,
      running: this.running,
      intervalMs: g.intervalMs,
      sampleIntervalMs: g.sampleIntervalMs,
      samples: this.samples,
      adaptations: this.adaptations,
      errors: this.errors,
      lastSampleAt: this.lastSampleAt ?? null,
      strategies,
    };
  }

  /** Stops the timer and forgets every strategy (overlays are left to the runtimes, which are disposed too). */
  dispose(): void {
    this.disposed = true;
    this.stop();
    this.tracked.clear();
    this.recoveries.clear();
    this.pendingRestore.clear();
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    try {
      this.tick();
    } finally {
      this.start();
    }
  };

  private start(): void {
    if (this.disposed || !this.active || this.timer !== undefined || this.deps.runtimes().size === 0) return;
    this.timer = this.deps.clock.setTimeout(this.onTimer, this.global.sampleIntervalMs);
  }

  private stop(): void {
    if (this.timer !== undefined) this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private step(id: string, runtime: AdaptiveTarget, now: number, adapt: boolean): void {
    try {
      const options = this.deps.optionsFor(id);
      let t = this.tracked.get(id);
      if (!options.enabled) {
        if (t !== undefined) this.release(id, t, 'adaptation disabled: configured values restored');
        else if (this.pendingRestore.has(id)) this.restorePending(id);
        return;
      }
      this.pendingRestore.delete(id);
      if (t === undefined || t.runtime !== runtime) {
        // First seen (adaptation just enabled, or the runtime was replaced): start from its counters now.
        this.tracked.set(id, (t = this.track(runtime, false)));
        this.warmUp(id, t);
        return;
      }
      t.sampler.sample(now, options.highErrorRate);
      if (adapt) this.adapt(id, t, options, now);
      else if (this.overloaded(t, options, now)) this.adapt(id, t, options, now, true);
    } catch (error) {
      this.fail('adaptation of a strategy failed; skipped', id, error);
    }
  }

  private track(runtime: AdaptiveTarget, fromZero: boolean): Tracked {
    const sampler = new StrategySampler(runtime, this.global.sampleIntervalMs, this.global.longWindowMs, fromZero);
    return {
      runtime,
      sampler,
      state: INITIAL_ADAPTIVE_STATE,
      recommended: {},
      reasons: [],
      lastAdaptedAt: undefined,
      changes: 0,
      warmUpFrom: undefined,
    };
  }

  /**
   * Warm-up (#11): until its first adaptation a strategy has no data, and a configured
   * `count`/`consecutive` threshold may be too tight for its background errors (10 in 10 s at
   * 100 calls/s trips on 0.5 % errors). So tracking starts with the threshold at
   * `maxFailureThreshold` (never below the configured one): a trip needs a significant failure
   * count. The first adaptation keeps it only if the error rate then is low (it is what the rule
   * would reach anyway); otherwise the rule starts again from the configured value. Never throws.
   */
  private warmUp(id: string, t: Tracked): void {
    try {
      const o = this.deps.optionsFor(id);
      const breaker = t.runtime.breakerOptions();
      if (!o.warmUp || !o.adaptFailureThreshold || breaker === undefined || breaker.mode === 'rate') return;
      if (t.runtime.adaptive.failureThreshold !== undefined) return;
      const configured = breaker.failureThreshold;
      const warm = Math.max(configured, o.maxFailureThreshold);
      if (warm === configured) return;
      const previous = currentValues(t.runtime);
      t.runtime.setAdaptiveOverlay({ ...t.runtime.adaptive, failureThreshold: warm });
      t.warmUpFrom = configured;
      t.changes++;
      this.adaptations++;
      this.emit({
        strategyId: id,
        timestamp: this.deps.clock.now(),
        previous,
        current: currentValues(t.runtime),
        recommended: { failureThreshold: warm },
        reasons: [`failureThreshold ${configured} → ${warm}: warm-up until the first adaptation (no data yet)`],
      });
    } catch (error) {
      this.fail('warm-up of a strategy failed; skipped', id, error);
    }
  }

  /**
   * Overload between two adaptations (`gradient`): in the interval just sampled the bulkhead
   * refused or queued calls and the p99 reading exceeded `latencyTolerance` × the baseline. Then
   * the limit may be cut at once rather than up to `intervalMs` later (nothing else changes early).
   */
  private overloaded(t: Tracked, o: AdaptationOptions, now: number): boolean {
    const baseline = t.state.baselineMs;
    if (!o.adaptConcurrency || o.concurrencyMode !== 'gradient' || baseline === undefined) return false;
    if (t.runtime.adaptive.maxConcurrency === undefined && t.runtime.options.bulkhead === undefined) return false;
    const last = t.sampler.windows.window(this.global.sampleIntervalMs, now);
    return (last.rejectedBulkhead > 0 || last.maxQueued > 0) && last.p99Ms > o.latencyTolerance * baseline;
  }

  private adapt(id: string, t: Tracked, options: AdaptationOptions, now: number, early = false): void {
    const runtime = t.runtime;
    const g = this.global;
    const breakerOptions = runtime.breakerOptions();
    runtime.breaker?.refresh();
    const circuitState = runtime.breaker?.state ?? 'closed';
    const previous = currentValues(runtime);
    const windows = t.sampler.windowsAt(now, g.shortWindowMs, g.mediumWindowMs, g.longWindowMs, options.minCalls);
    let current = previous;
    if (t.warmUpFrom !== undefined && !early) {
      // End of the warm-up: keep its threshold only on a low error rate, else start from the configured one.
      const { short, medium } = windows;
      const low =
        medium.completed >= options.minCalls &&
        medium.errorRate < options.lowErrorRate &&
        !(short.errorRate >= options.lowErrorRate);
      if (!low) current = { ...previous, failureThreshold: t.warmUpFrom };
      t.warmUpFrom = undefined;
    }
    const recovery = this.recoveries.get(id);
    const recommendation = computeOptimalThresholds(
      {
        windows,
        current,
        ...(runtime.options.bulkhead && { configuredMaxConcurrency: runtime.options.bulkhead.maxConcurrency }),
        ...(breakerOptions && { breakerMode: breakerOptions.mode }),
        circuitState,
        recovery: { count: recovery?.count ?? 0, emaMs: recovery?.emaMs },
        queued: runtime.bulkheadStatistics()?.queued ?? 0,
        lastSample: t.sampler.windows.window(g.sampleIntervalMs, now),
        state: t.state,
      },
      options,
    );
    let values = recommendation.values;
    let reasons = [...recommendation.reasons];
    if (early) {
      // Between adaptations only a cut of the limit is applied; every other value stays.
      const cut = values.maxConcurrency;
      if (cut === undefined || previous.maxConcurrency === undefined || cut >= previous.maxConcurrency) return;
      values = { ...recommendation.values, maxConcurrency: cut };
      reasons = [...reasons.filter((r) => r.startsWith('maxConcurrency')), 'early: overload between adaptations'];
    }
    // The rules always give finite values; should one not be, nothing of this round is applied
    // or carried over (the state stays as it was), so one bad reading cannot stick.
    if (!finiteValues(values) || !finiteState(recommendation.state)) {
      this.fail(
        'adaptation produced a non-finite value; round skipped',
        id,
        JSON.stringify({ values, state: recommendation.state }),
      );
      return;
    }
    const overlay: { -readonly [K in keyof AdaptiveOverlay]: AdaptiveOverlay[K] } = {};
    if (early) Object.assign(overlay, runtime.adaptive);
    else if (values.failureThreshold !== undefined) overlay.failureThreshold = values.failureThreshold;
    if (early) {
      // Only the limit changes between adaptations.
    } else if (circuitState !== 'closed' && runtime.adaptive.breakDurationMs !== undefined) {
      // A new reset timeout would re-time the current break: wait until the circuit is closed.
      overlay.breakDurationMs = runtime.adaptive.breakDurationMs;
      if (values.breakDurationMs !== undefined && values.breakDurationMs !== previous.breakDurationMs) {
        reasons.push(`breakDurationMs: change deferred while the circuit is ${circuitState}`);
      }
    } else if (values.breakDurationMs !== undefined) {
      if (circuitState === 'closed') overlay.breakDurationMs = values.breakDurationMs;
      else if (values.breakDurationMs !== previous.breakDurationMs)
        reasons.push(`breakDurationMs: change deferred while the circuit is ${circuitState}`);
    }
    if (values.maxConcurrency !== undefined) overlay.maxConcurrency = values.maxConcurrency;
    if (!sameOverlay(runtime.adaptive, overlay)) {
      // Throws (and leaves everything as it was) for a value the runtime refuses: the state is
      // saved only below, after the values are in force.
      runtime.setAdaptiveOverlay(overlay);
      t.changes++;
    } else {
      this.commit(t, recommendation.state, values, reasons, now);
      return;
    }
    this.commit(t, recommendation.state, values, reasons, now);
    this.adaptations++;
    this.emit({
      strategyId: id,
      timestamp: now,
      previous,
      current: currentValues(runtime),
      recommended: values,
      reasons,
    });
  }

  private commit(
    t: Tracked,
    state: AdaptiveState,
    values: ThresholdValues,
    reasons: readonly string[],
    now: number,
  ): void {
    t.state = state;
    t.recommended = values;
    t.reasons = reasons;
    t.lastAdaptedAt = now;
  }

  /**
   * Gives a strategy its configured values back. While its circuit is not closed an adapted
   * break duration stays (restoring it would re-time the running break); it is restored when
   * the circuit closes (see {@link observeCircuitChange}) or at a later tick.
   */
  private release(id: string, t: Tracked | undefined, reason: string, runtime = t?.runtime): void {
    this.tracked.delete(id);
    if (runtime === undefined) return;
    this.pendingRestore.delete(id);
    if (Object.keys(runtime.adaptive).length === 0) return;
    try {
      const previous = currentValues(runtime);
      const held = runtime.adaptive.breakDurationMs;
      if (held !== undefined) runtime.breaker?.refresh();
      if (held !== undefined && (runtime.breaker?.state ?? 'closed') !== 'closed') {
        this.pendingRestore.set(id, runtime);
        runtime.setAdaptiveOverlay({ breakDurationMs: held });
        this.emit({
          strategyId: id,
          timestamp: this.deps.clock.now(),
          previous,
          current: currentValues(runtime),
          recommended: {},
          reasons: [reason, 'breakDurationMs: restored once the circuit is closed'],
        });
        return;
      }
      runtime.setAdaptiveOverlay({});
      this.emit({
        strategyId: id,
        timestamp: this.deps.clock.now(),
        previous,
        current: currentValues(runtime),
        recommended: {},
        reasons: [reason],
      });
    } catch (error) {
      this.fail('restoring configured values failed', id, error);
    }
  }

  /** Restores the configured break duration of a released strategy once its circuit is closed. Never throws. */
  private restorePending(id: string): void {
    const runtime = this.pendingRestore.get(id);
    if (runtime === undefined || this.disposed || this.tracked.has(id)) return;
    runtime.breaker?.refresh();
    if ((runtime.breaker?.state ?? 'closed') !== 'closed') return;
    this.release(id, undefined, 'adaptation disabled: configured break duration restored (circuit closed)', runtime);
  }

  private emit(event: AdaptationEvent): void {
    try {
      this.deps.onAdapted(event);
    } catch (error) {
      this.fail('an adapted listener threw', event.strategyId, error);
    }
  }

  private enabledFor(id: string): boolean {
    try {
      return this.deps.optionsFor(id).enabled;
    } catch {
      return false;
    }
  }

  private optionsOrGlobal(id: string): AdaptationOptions {
    try {
      return this.deps.optionsFor(id);
    } catch {
      return this.global;
    }
  }

  private fail(message: string, strategyId: string | undefined, error: unknown): void {
    this.errors++;
    try {
      this.deps.logger.error(message, { ...(strategyId !== undefined && { strategyId }), error: String(error) });
    } catch {
      // A broken logger must not break the timer either.
    }
  }
}

/** The values a runtime runs with now (configured values with the adaptive overlay on top). */
function currentValues(runtime: AdaptiveTarget): ThresholdValues {
  const breaker = runtime.breakerOptions();
  const configured = runtime.options.bulkhead?.maxConcurrency;
  const adaptive = runtime.adaptive.maxConcurrency;
  return {
    ...(breaker && { failureThreshold: breaker.failureThreshold, breakDurationMs: breaker.breakDurationMs }),
    ...(configured !== undefined && {
      maxConcurrency: adaptive === undefined ? configured : Math.min(adaptive, configured),
    }),
  };
}

function sameOverlay(a: AdaptiveOverlay, b: AdaptiveOverlay): boolean {
  return (
    a.failureThreshold === b.failureThreshold &&
    a.breakDurationMs === b.breakDurationMs &&
    a.maxConcurrency === b.maxConcurrency
  );
}

function finiteValues(v: ThresholdValues): boolean {
  return [v.failureThreshold, v.breakDurationMs, v.maxConcurrency].every((x) => x === undefined || Number.isFinite(x));
}

function finiteState(s: AdaptiveState): boolean {
  return [
    s.latencyEmaMs,
    s.limit,
    s.baselineMs,
    s.baselineP50Ms,
    s.cutFromLimit,
    ...(s.shiftSeen ?? []),
    ...(s.lastCut ?? []),
  ].every((x) => x === undefined || Number.isFinite(x));
}
