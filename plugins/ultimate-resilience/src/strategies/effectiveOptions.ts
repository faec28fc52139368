import { InvalidConfigurationError, resolveBulkheadOptions, resolveCircuitBreakerOptions } from '@datawarehouse/sdk';
import type {
  BulkheadOptions,
  CircuitBreakerOptions,
  RetryPolicyOptions,
  ScalingLimits,
  StrategyLimits,
  TimeoutPolicyOptions,
} from '@datawarehouse/sdk';
import { resolveRetryOptions } from '../retry/Backoff.js';
import { resolveTimeoutOptions } from '../retry/TimeoutOptions.js';
import type { BulkheadKind, ResolvedStrategy } from '../strategies/StrategyDefinition.js';

/**
 * The options a strategy actually runs with: its definition, with the global limits filling in
 * what it leaves open, and the runtime overrides (`ScalingLimits.strategies[id]`) on top.
 * @since 6.0.0
 */
export interface EffectiveOptions {
  readonly circuitBreaker: Readonly<CircuitBreakerOptions> | undefined;
  readonly bulkhead:
    (Readonly<BulkheadOptions> & { readonly kind: BulkheadKind; readonly maxPartitions: number }) | undefined;
  readonly retry: Readonly<RetryPolicyOptions> | undefined;
  readonly timeout: Readonly<TimeoutPolicyOptions>;
  readonly shareState: boolean;
}

/**
 * Computes (and so validates) the effective options of `strategy`.
 * @throws {@link InvalidConfigurationError} naming `strategies.<id>.<section>.<field>`.
 */
export function computeEffectiveOptions(
  strategy: ResolvedStrategy,
  limits: ScalingLimits,
  override: StrategyLimits | undefined,
): EffectiveOptions {
  const at = (section: string) => `strategies.${strategy.id}.${section}`;
  const o = override ?? {};
  if (o.circuitBreaker !== undefined && strategy.circuitBreaker === undefined) {
    throw new InvalidConfigurationError(
      at('circuitBreaker'),
      o.circuitBreaker,
      'absent: this strategy has no circuit breaker (enable it in its definition)',
    );
  }
  if (o.bulkhead !== undefined && strategy.bulkhead === undefined) {
    throw new InvalidConfigurationError(
      at('bulkhead'),
      o.bulkhead,
      'absent: this strategy has no bulkhead (enable it in its definition)',
    );
  }
  if (o.retry !== undefined && strategy.retry === undefined) {
    throw new InvalidConfigurationError(
      at('retry'),
      o.retry,
      'absent: this strategy has no retry (enable it in its definition)',
    );
  }
  if (o.shareState !== undefined && typeof o.shareState !== 'boolean') {
    throw new InvalidConfigurationError(at('shareState'), o.shareState, 'a boolean');
  }

  let bulkhead: EffectiveOptions['bulkhead'];
  if (strategy.bulkhead !== undefined) {
    const base = resolveBulkheadOptions(
      {
        maxConcurrency: strategy.bulkhead.maxConcurrency ?? limits.maxConcurrentOperations,
        maxQueueSize: strategy.bulkhead.maxQueueSize ?? limits.maxQueueDepth,
        queueTimeoutMs: strategy.bulkhead.queueTimeoutMs ?? Infinity,
      },
      at('bulkhead'),
    );
    const resolved = resolveBulkheadOptions(o.bulkhead ?? {}, at('bulkhead'), base);
    bulkhead = Object.freeze({
      ...resolved,
      kind: strategy.bulkhead.kind,
      maxPartitions: strategy.bulkhead.maxPartitions,
    });
  }

  return Object.freeze({
    circuitBreaker:
      strategy.circuitBreaker === undefined
        ? undefined
        : resolveCircuitBreakerOptions(o.circuitBreaker ?? {}, at('circuitBreaker'), strategy.circuitBreaker),
    bulkhead,
    retry: strategy.retry === undefined ? undefined : resolveRetryOptions(o.retry ?? {}, at('retry'), strategy.retry),
    timeout: resolveTimeoutOptions(o.timeout ?? {}, at('timeout'), strategy.timeout),
    shareState: o.shareState ?? strategy.shareState,
  });
}
