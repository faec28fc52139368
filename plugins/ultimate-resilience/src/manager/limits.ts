import { DEFAULT_SCALING_LIMITS, InvalidConfigurationError } from '@datawarehouse/sdk';
import { rejectUnknownKeys, validateInteger, validateObject } from '@datawarehouse/sdk/internals';
import type { ScalingLimits, StrategyLimits } from '@datawarehouse/sdk';
import type { EffectiveOptions } from '../strategies/effectiveOptions.js';

const LIMIT_KEYS = ['maxConcurrentOperations', 'maxQueueDepth', 'maxCacheEntries', 'strategies', 'adaptation'] as const;
const STRATEGY_LIMIT_KEYS = ['circuitBreaker', 'bulkhead', 'retry', 'timeout', 'adaptive', 'shareState'] as const;

/** The three numeric limits, validated. @internal */
export type NumericLimits = Pick<ScalingLimits, 'maxConcurrentOperations' | 'maxQueueDepth' | 'maxCacheEntries'>;

/**
 * Validates the shape of a partial {@link ScalingLimits} and merges its numeric limits over
 * `current`. Section contents (`strategies.<id>.*`, `adaptation`) are validated by their owners
 * (`computeEffectiveOptions`, `resolveAdaptationOptions`).
 * @throws {@link InvalidConfigurationError}
 * @internal
 */
export function mergeNumericLimits(current: NumericLimits, input: unknown): NumericLimits {
  const obj = validateObject('limits', input);
  if (obj.maxMemoryBytes !== undefined) {
    // Removed in #11: it bounded nothing. Named here so an old configuration gets a reason, not just "unknown key".
    throw new InvalidConfigurationError(
      'maxMemoryBytes',
      obj.maxMemoryBytes,
      'absent: maxMemoryBytes was removed (it never bounded anything); memory is bounded by maxCacheEntries and maxQueueDepth',
    );
  }
  rejectUnknownKeys('', obj, LIMIT_KEYS);
  return Object.freeze({
    maxConcurrentOperations:
      obj.maxConcurrentOperations === undefined
        ? current.maxConcurrentOperations
        : validateInteger('maxConcurrentOperations', obj.maxConcurrentOperations, 1, 1_000_000),
    maxQueueDepth:
      obj.maxQueueDepth === undefined
        ? current.maxQueueDepth
        : validateInteger('maxQueueDepth', obj.maxQueueDepth, 0, 10_000_000),
    maxCacheEntries:
      obj.maxCacheEntries === undefined
        ? current.maxCacheEntries
        : validateInteger('maxCacheEntries', obj.maxCacheEntries, 1, 10_000_000),
  });
}

/** Default numeric limits. @internal */
export const DEFAULT_NUMERIC_LIMITS: NumericLimits = Object.freeze({
  maxConcurrentOperations: DEFAULT_SCALING_LIMITS.maxConcurrentOperations,
  maxQueueDepth: DEFAULT_SCALING_LIMITS.maxQueueDepth,
  maxCacheEntries: DEFAULT_SCALING_LIMITS.maxCacheEntries,
});

/**
 * Validates the shape of `strategies` and merges each strategy's sections over its current
 * overrides (section by section, field by field).
 * @throws {@link InvalidConfigurationError} for a non-object or an unknown key; unknown
 *   strategy ids are checked by the caller.
 * @internal
 */
export function mergeStrategyOverrides(
  current: ReadonlyMap<string, StrategyLimits>,
  input: unknown,
): Map<string, StrategyLimits> {
  const next = new Map(current);
  if (input === undefined) return next;
  const obj = validateObject('strategies', input);
  for (const [id, raw] of Object.entries(obj)) {
    const field = `strategies.${id}`;
    const section = validateObject(field, raw);
    rejectUnknownKeys(field, section, STRATEGY_LIMIT_KEYS);
    const old = current.get(id) ?? {};
    const merged: Record<string, unknown> = { ...old };
    for (const key of STRATEGY_LIMIT_KEYS) {
      const value = section[key];
      if (value === undefined) continue;
      if (key === 'shareState') {
        merged[key] = value;
      } else {
        const part = validateObject(`${field}.${key}`, value);
        merged[key] = Object.freeze({ ...(old[key] as object | undefined), ...part });
      }
    }
    next.set(id, Object.freeze(merged) as StrategyLimits);
  }
  return next;
}

/** @internal */
export function unknownStrategyField(id: string): InvalidConfigurationError {
  return new InvalidConfigurationError(`strategies.${id}`, id, 'the id of a registered strategy');
}

/**
 * What a strategy reports in `currentLimits.strategies[id]`: its effective options, in the
 * shape a `strategies.<id>` override takes (so the report can be written back as it is).
 * @internal
 */
export function strategyLimitsOf(effective: EffectiveOptions): StrategyLimits {
  return {
    ...(effective.circuitBreaker && { circuitBreaker: effective.circuitBreaker }),
    ...(effective.bulkhead && {
      bulkhead: {
        maxConcurrency: effective.bulkhead.maxConcurrency,
        maxQueueSize: effective.bulkhead.maxQueueSize,
        queueTimeoutMs: effective.bulkhead.queueTimeoutMs,
      },
    }),
    ...(effective.retry && { retry: effective.retry }),
    timeout: effective.timeout,
    shareState: effective.shareState,
  };
}

/**
 * The explicit configuration: the numeric limits, the strategies' overrides and the
 * `adaptation` fields as set, each section present only when it holds something.
 * @internal
 */
export function configuredLimitsOf(
  numeric: NumericLimits,
  overrides: ReadonlyMap<string, StrategyLimits>,
  adaptation: Readonly<Record<string, unknown>>,
): Partial<ScalingLimits> {
  return {
    ...numeric,
    ...(overrides.size > 0 && { strategies: Object.fromEntries(overrides) }),
    ...(Object.keys(adaptation).length > 0 && { adaptation: { ...adaptation } }),
  };
}
