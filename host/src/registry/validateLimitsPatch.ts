import { InvalidConfigurationError } from '@datawarehouse/sdk';
import {
  fieldPath,
  rejectUnknownKeys,
  validateBoolean,
  validateInteger,
  validateObject,
  validateString,
} from '@datawarehouse/sdk/internals';
import type { ScalingLimits, StrategyLimits } from '@datawarehouse/sdk';
import { rejectReservedKey } from './rejectReservedKey.js';

/** Keys a limits patch accepts. @internal */
export const LIMIT_KEYS: readonly (keyof ScalingLimits)[] = [
  'maxConcurrentOperations',
  'maxQueueDepth',
  'maxCacheEntries',
  'strategies',
  'adaptation',
];
/** Keys of one strategy's limits. @internal */
export const STRATEGY_KEYS: readonly (keyof StrategyLimits)[] = [
  'circuitBreaker',
  'bulkhead',
  'retry',
  'timeout',
  'adaptive',
  'shareState',
];
// Lower bounds of the common numeric limits; a queue of 0 means "reject when busy".
/** Lower bounds of the numeric limits. @internal */
export const NUMERIC_MIN: Readonly<Record<string, number>> = {
  maxConcurrentOperations: 1,
  maxQueueDepth: 0,
  maxCacheEntries: 1,
};

/** Options of {@link validateLimitsPatch}. @since 6.0.0 */
export interface ValidateLimitsPatchOptions {
  /**
   * Accept `{}`: a whole configuration (a replacement, a `subsystems` entry of a file) may be
   * empty, a patch may not. Default `false`.
   */
  readonly allowEmpty?: boolean;
}

/**
 * Validates the shape of a partial {@link ScalingLimits} (from code, the admin API or a
 * config file) before it reaches a subsystem: a non-empty object of known keys, positive
 * integers for the common limits, objects for `strategies.<id>.*` and `adaptation`. The
 * subsystem validates the values inside the per-strategy sections itself.
 *
 * @param field - path prefix for error fields (`''` at the top level, `subsystems.resilience` in a file).
 * @param source - where the value came from (file path, `admin API`), carried by the error.
 * @throws {@link InvalidConfigurationError} naming the first bad field.
 */
export function validateLimitsPatch(
  field: string,
  value: unknown,
  source?: string,
  options: ValidateLimitsPatchOptions = {},
): Partial<ScalingLimits> {
  try {
    return validateShape(field, value, options.allowEmpty === true);
  } catch (e) {
    if (e instanceof InvalidConfigurationError && source !== undefined && e.source === undefined) {
      throw new InvalidConfigurationError(e.field, e.value, e.expected, source);
    }
    throw e;
  }
}

function validateShape(field: string, value: unknown, allowEmpty: boolean): Partial<ScalingLimits> {
  const obj = validateObject(field || 'limits', value);
  if (Object.keys(obj).length === 0 && !allowEmpty) {
    throw new InvalidConfigurationError(
      field || 'limits',
      obj,
      `an object with at least one of ${LIMIT_KEYS.join(', ')}`,
    );
  }
  if (obj.maxMemoryBytes !== undefined) {
    // Removed in #11: it bounded nothing. Named here so an old configuration gets a reason, not just "unknown key".
    throw new InvalidConfigurationError(
      fieldPath(field, 'maxMemoryBytes'),
      obj.maxMemoryBytes,
      'absent: maxMemoryBytes was removed (it never bounded anything); memory is bounded by maxCacheEntries and maxQueueDepth',
    );
  }
  rejectUnknownKeys(field, obj, LIMIT_KEYS);
  for (const [key, min] of Object.entries(NUMERIC_MIN)) {
    if (obj[key] !== undefined) validateInteger(fieldPath(field, key), obj[key], min);
  }
  if (obj.strategies !== undefined) {
    const strategiesField = fieldPath(field, 'strategies');
    const strategies = validateObject(strategiesField, obj.strategies);
    for (const [id, limits] of Object.entries(strategies)) {
      validateString(`${strategiesField} key`, id, 128);
      rejectReservedKey(strategiesField, id);
      const strategyField = fieldPath(strategiesField, id);
      const s = validateObject(strategyField, limits);
      rejectUnknownKeys(strategyField, s, STRATEGY_KEYS);
      for (const key of STRATEGY_KEYS) {
        if (s[key] === undefined) continue;
        if (key === 'shareState') validateBoolean(fieldPath(strategyField, key), s[key]);
        else validateObject(fieldPath(strategyField, key), s[key]);
      }
    }
  }
  if (obj.adaptation !== undefined) validateObject(fieldPath(field, 'adaptation'), obj.adaptation);
  return obj as Partial<ScalingLimits>;
}
