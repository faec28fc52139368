import { rejectUnknownKeys, validateInteger, validateObject, validateString } from '@datawarehouse/sdk/internals';

/**
 * Options of the dashboard plugin (its `options` in the host configuration).
 * @since 6.1.0
 */
export interface DashboardOptions {
  /** Name of the subsystem whose report the dashboard shows. Default `'resilience'`. */
  readonly subsystem?: string;
  /** Period of the stream's updates, ms, in `[1000, 60000]` (at most one update a second). Default `1000`. */
  readonly intervalMs?: number;
  /** Streams open at once, in `[1, 1000]`; one more is answered `503 ERR_TOO_MANY_STREAMS`. Default `16`. */
  readonly maxStreams?: number;
  /** Circuit transitions kept for the event log, in `[1, 10000]`. Default `200`. */
  readonly eventLogSize?: number;
}

/** {@link DashboardOptions} with every default filled. @since 6.1.0 */
export interface ResolvedDashboardOptions {
  /** See {@link DashboardOptions.subsystem}. */
  readonly subsystem: string;
  /** See {@link DashboardOptions.intervalMs}. */
  readonly intervalMs: number;
  /** See {@link DashboardOptions.maxStreams}. */
  readonly maxStreams: number;
  /** See {@link DashboardOptions.eventLogSize}. */
  readonly eventLogSize: number;
}

const KEYS = ['subsystem', 'intervalMs', 'maxStreams', 'eventLogSize'];

/**
 * Validates the plugin's options into a frozen, fully-resolved object.
 * @throws `InvalidConfigurationError` naming the field (e.g. `intervalMs`) and the value.
 * @since 6.1.0
 */
export function resolveDashboardOptions(options: unknown = {}): ResolvedDashboardOptions {
  const o = validateObject('options', options ?? {});
  rejectUnknownKeys('', o, KEYS);
  return Object.freeze({
    subsystem: o.subsystem === undefined ? 'resilience' : validateString('subsystem', o.subsystem, 128),
    intervalMs: o.intervalMs === undefined ? 1000 : validateInteger('intervalMs', o.intervalMs, 1000, 60_000),
    maxStreams: o.maxStreams === undefined ? 16 : validateInteger('maxStreams', o.maxStreams, 1, 1000),
    eventLogSize: o.eventLogSize === undefined ? 200 : validateInteger('eventLogSize', o.eventLogSize, 1, 10_000),
  });
}
