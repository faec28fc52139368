import { DEFAULT_SCALING_LIMITS, InMemoryCircuitBreaker, VirtualClock } from '@datawarehouse/sdk';
import type { StrategyLimits } from '@datawarehouse/sdk';
import { computeEffectiveOptions } from '../strategies/effectiveOptions.js';
import { StrategyRuntime } from '../runtime/StrategyRuntime.js';
import { resolveStrategyDefinition } from '../strategies/StrategyDefinition.js';
import type { StrategyDefinition } from '../strategies/StrategyDefinition.js';
import type { CallEvents } from '../pipeline/CallEvents.js';

/** What {@link track} has seen of a promise so far. */
export interface Tracked<T> {
  done: boolean;
  rejected: boolean;
  value: T | undefined;
  error: unknown;
}

/** Observes a promise without awaiting it (and without leaving a rejection unhandled). */
export function track<T>(promise: Promise<T>): Tracked<T> {
  const state: Tracked<T> = { done: false, rejected: false, value: undefined, error: undefined };
  promise.then(
    (value) => Object.assign(state, { done: true, value }),
    (error: unknown) => Object.assign(state, { done: true, rejected: true, error }),
  );
  return state;
}

/** An operation result that never settles. */
export const never = (): Promise<never> => new Promise<never>(() => undefined);

/**
 * A runtime built exactly as the manager builds it, without the manager around it, in virtual
 * time; `events` are the manager's per-call events (hooks), when the test needs them.
 */
export function makeRuntime(def: StrategyDefinition, override?: StrategyLimits, events?: CallEvents) {
  const clock = new VirtualClock(1_000_000);
  const strategy = resolveStrategyDefinition(def);
  const runtime = new StrategyRuntime(
    strategy.id,
    strategy,
    computeEffectiveOptions(strategy, DEFAULT_SCALING_LIMITS, override),
    {
      clock,
      random: () => 0.5,
      metricsWindowMs: 60_000,
      createBreaker: (name, options, c) => new InMemoryCircuitBreaker(name, options, c),
      events,
    },
  );
  /** Applies a new definition in place (what a registry update does through the manager). */
  const reapply = (next: StrategyDefinition, o?: StrategyLimits): void => {
    const s = resolveStrategyDefinition(next);
    runtime.apply(s, computeEffectiveOptions(s, DEFAULT_SCALING_LIMITS, o));
  };
  return { clock, runtime, reapply };
}
