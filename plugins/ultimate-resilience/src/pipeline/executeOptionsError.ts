import { InvalidConfigurationError } from '@datawarehouse/sdk';

/** Longest partition key accepted. @internal */
export const MAX_PARTITION_KEY_LENGTH = 256;

/**
 * Checks the `options` argument of `executeWithResilience` before anything is acquired, so a
 * bad argument can never hold a slot or a permit. Returns the error (to reject with) or
 * `undefined`; never throws.
 * @internal
 */
export function executeOptionsError(options: unknown): InvalidConfigurationError | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    return new InvalidConfigurationError('options', options, 'an ExecuteOptions object or undefined');
  }
  const o = options as Record<string, unknown>;
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) {
    return new InvalidConfigurationError('options.signal', o.signal, 'an AbortSignal');
  }
  if (o.context !== undefined && (typeof o.context !== 'object' || o.context === null)) {
    return new InvalidConfigurationError('options.context', o.context, 'an object');
  }
  if (
    o.partitionKey !== undefined &&
    (typeof o.partitionKey !== 'string' ||
      o.partitionKey.length === 0 ||
      o.partitionKey.length > MAX_PARTITION_KEY_LENGTH)
  ) {
    return new InvalidConfigurationError(
      'options.partitionKey',
      o.partitionKey,
      `a non-empty string of at most ${MAX_PARTITION_KEY_LENGTH} characters`,
    );
  }
  if (o.priority !== undefined && (typeof o.priority !== 'number' || !Number.isFinite(o.priority))) {
    return new InvalidConfigurationError('options.priority', o.priority, 'a finite number');
  }
  return undefined;
}
