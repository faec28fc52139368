import { InvalidConfigurationError } from '@datawarehouse/sdk';

/**
 * Keys refused in user-keyed sections (subsystem names, strategy ids, plugin options): as a
 * key of a plain object `__proto__` can become its prototype, and all three shadow or reach
 * `Object.prototype` in code that copies or indexes the section.
 */
export const RESERVED_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Throws when `key` of the user-keyed section at `field` is one of {@link RESERVED_KEYS}.
 * @throws {@link InvalidConfigurationError} naming `field.key`.
 */
export function rejectReservedKey(field: string, key: string): void {
  if (RESERVED_KEYS.has(key)) {
    throw new InvalidConfigurationError(
      `${field}.${key}`,
      key,
      'a name other than __proto__, constructor or prototype',
    );
  }
}
