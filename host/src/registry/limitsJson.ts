/**
 * How limits spell `Infinity` in JSON, which has no spelling for it: as the string
 * `"Infinity"`. The admin API writes it so and reads it back; a configuration file's
 * `subsystems` section may use it too. No limit takes a string value that could be confused
 * with it.
 * @since 6.0.0
 */
export const INFINITY_JSON = 'Infinity';

/**
 * `JSON.stringify` replacer writing `Infinity` as {@link INFINITY_JSON}.
 * @since 6.0.0
 */
export function encodeInfinity(_key: string, value: unknown): unknown {
  return value === Infinity ? INFINITY_JSON : value;
}

/**
 * `JSON.parse` reviver reading {@link INFINITY_JSON} as `Infinity`.
 * @since 6.0.0
 */
export function reviveInfinity(_key: string, value: unknown): unknown {
  return value === INFINITY_JSON ? Infinity : value;
}
