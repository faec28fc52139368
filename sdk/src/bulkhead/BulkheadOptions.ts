import type { BulkheadOptions } from './IBulkheadIsolation.js';
import { InvalidConfigurationError } from '../errors/errors.js';
import { fieldPath, rejectUnknownKeys, validateInteger, validateObject } from '../config/validate.js';

/**
 * Longest finite `queueTimeoutMs` accepted: Node's timers overflow past 2^31 - 1 ms and then
 * fire after 1 ms, which would turn a long timeout into an instant rejection.
 * @since 6.0.0
 */
export const MAX_BULKHEAD_QUEUE_TIMEOUT_MS = 2_147_483_647;

/**
 * Defaults of a bulkhead: 64 running (`ScalingLimits.maxConcurrentOperations`), 1000 queued
 * (`ScalingLimits.maxQueueDepth`), no queue timeout.
 * @since 6.0.0
 */
export const DEFAULT_BULKHEAD_OPTIONS: Readonly<BulkheadOptions> = Object.freeze({
  maxConcurrency: 64,
  maxQueueSize: 1000,
  queueTimeoutMs: Infinity,
});

const KNOWN_KEYS: readonly (keyof BulkheadOptions)[] = Object.freeze([
  'maxConcurrency',
  'maxQueueSize',
  'queueTimeoutMs',
]);

/**
 * Validates a partial of {@link BulkheadOptions} and lays it over `base` (default
 * {@link DEFAULT_BULKHEAD_OPTIONS}). `undefined` means "no overrides"; a key that is present
 * must hold a valid value (an explicit `undefined` is rejected, not treated as absent).
 *
 * @param input - the partial options, usually straight from configuration.
 * @param field - dotted path used in error messages, e.g. `strategies.db.bulkhead`.
 * @param base - the resolved options the partial applies to.
 * @returns a new frozen, fully resolved options object.
 * @throws {@link InvalidConfigurationError} naming the field (e.g. `bulkhead.maxQueueSize`) for
 *   an unknown key, a non-object input, `maxConcurrency` not an integer >= 1, `maxQueueSize`
 *   not an integer >= 0, or `queueTimeoutMs` not `Infinity` nor a number in (0, 2^31 - 1].
 * @example
 * ```ts
 * const opts = resolveBulkheadOptions({ maxConcurrency: 8 }); // { 8, 1000, Infinity }
 * ```
 * @since 6.0.0
 */
export function resolveBulkheadOptions(
  input: unknown,
  field = 'bulkhead',
  base: Readonly<BulkheadOptions> = DEFAULT_BULKHEAD_OPTIONS,
): Readonly<BulkheadOptions> {
  if (input === undefined) return Object.freeze(pick(base));
  const obj = validateObject(field, input);
  rejectUnknownKeys(field, obj, KNOWN_KEYS);
  const maxConcurrency = Object.hasOwn(obj, 'maxConcurrency')
    ? validateInteger(fieldPath(field, 'maxConcurrency'), obj.maxConcurrency, 1)
    : base.maxConcurrency;
  const maxQueueSize = Object.hasOwn(obj, 'maxQueueSize')
    ? validateInteger(fieldPath(field, 'maxQueueSize'), obj.maxQueueSize, 0)
    : base.maxQueueSize;
  const queueTimeoutMs = Object.hasOwn(obj, 'queueTimeoutMs')
    ? validateQueueTimeout(fieldPath(field, 'queueTimeoutMs'), obj.queueTimeoutMs)
    : base.queueTimeoutMs;
  return Object.freeze({ maxConcurrency, maxQueueSize, queueTimeoutMs });
}

function validateQueueTimeout(field: string, value: unknown): number {
  if (value === Infinity) return value;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > MAX_BULKHEAD_QUEUE_TIMEOUT_MS) {
    throw new InvalidConfigurationError(
      field,
      value,
      `a duration in ms > 0 and <= ${MAX_BULKHEAD_QUEUE_TIMEOUT_MS}, or Infinity`,
    );
  }
  return value;
}

// Copies only the known fields, so a base carrying extra properties does not leak them.
function pick(o: Readonly<BulkheadOptions>): BulkheadOptions {
  return { maxConcurrency: o.maxConcurrency, maxQueueSize: o.maxQueueSize, queueTimeoutMs: o.queueTimeoutMs };
}
