import type {
  CircuitBreakerOptions,
  CircuitStateChange,
  Clock,
  ICircuitBreaker,
  Logger,
  ScalingLimits,
} from '@datawarehouse/sdk';
import type { AdaptationEvent } from '../adaptive/AdaptiveController.js';
import type { StrategyRegistry } from '../strategies/StrategyRegistry.js';

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
  readonly createCircuitBreaker?: (
    name: string,
    options: Readonly<CircuitBreakerOptions>,
    clock: Clock,
  ) => ICircuitBreaker;
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
