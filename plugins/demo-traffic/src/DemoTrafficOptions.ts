import { InvalidConfigurationError } from '@datawarehouse/sdk';
import {
  rejectUnknownKeys,
  validateDuration,
  validateEnum,
  validateInteger,
  validateNumber,
  validateObject,
  validateString,
} from '@datawarehouse/sdk/internals';

/**
 * A scheduled outage of the simulated downstream, relative to the plugin's start.
 * @since 6.0.0
 */
export interface OutageOptions {
  /** Start, ms after `startAsync`. */
  readonly atMs: number;
  /** Length, ms (> 0). */
  readonly durationMs: number;
  /** Repeat period, ms (> `durationMs`); absent = once. */
  readonly everyMs?: number;
  /** `error`: calls fail after the usual latency (default). `stall`: calls answer only after the outage ends. */
  readonly mode?: 'error' | 'stall';
}

/**
 * The simulated downstream's behaviour.
 * @since 6.0.0
 */
export interface DownstreamOptions {
  /** Base latency, ms. Default `20`. */
  readonly latencyMs?: number;
  /** Extra uniform random latency in `[0, latencyJitterMs)`. Default `10`. */
  readonly latencyJitterMs?: number;
  /** Probability in `[0, 1]` that a call fails when not overloaded. Default `0.02`. */
  readonly errorRate?: number;
  /**
   * Concurrent calls served at full speed. Beyond it, latency grows by `inFlight / capacity`
   * and the excess share of calls fails. Default `16`.
   */
  readonly capacity?: number;
  /** Scheduled outages. Default none. */
  readonly outages?: readonly OutageOptions[];
}

/**
 * Options of the demo-traffic plugin (its `options` in the host configuration).
 * @since 6.0.0
 */
export interface DemoTrafficOptions {
  /** Strategy ids called in round-robin. Default `['default']`. */
  readonly strategies?: readonly string[];
  /** Calls issued per second (0 = idle). Default `50`. */
  readonly requestsPerSecond?: number;
  /** Period of the load generator's tick, ms. Default `100`. */
  readonly tickMs?: number;
  /** Most calls in flight at once; beyond it calls are skipped and counted. Default `1000`. */
  readonly maxInFlight?: number;
  /** Seed of the downstream's randomness (integer in `[0, 2^32 - 1]`). Default `42`. */
  readonly seed?: number;
  readonly downstream?: DownstreamOptions;
}

/** {@link DownstreamOptions} with every default filled. @since 6.0.0 */
export interface ResolvedDownstreamOptions {
  readonly latencyMs: number;
  readonly latencyJitterMs: number;
  readonly errorRate: number;
  readonly capacity: number;
  readonly outages: readonly ResolvedOutage[];
}

/** {@link OutageOptions} with `mode` filled. @since 6.0.0 */
export interface ResolvedOutage {
  readonly atMs: number;
  readonly durationMs: number;
  readonly everyMs?: number;
  readonly mode: 'error' | 'stall';
}

/** {@link DemoTrafficOptions} with every default filled. @since 6.0.0 */
export interface ResolvedDemoTrafficOptions {
  readonly strategies: readonly string[];
  readonly requestsPerSecond: number;
  readonly tickMs: number;
  readonly maxInFlight: number;
  readonly seed: number;
  readonly downstream: ResolvedDownstreamOptions;
}

const KEYS = ['strategies', 'requestsPerSecond', 'tickMs', 'maxInFlight', 'seed', 'downstream'];
const DOWNSTREAM_KEYS = ['latencyMs', 'latencyJitterMs', 'errorRate', 'capacity', 'outages'];
const OUTAGE_KEYS = ['atMs', 'durationMs', 'everyMs', 'mode'];
const MAX_STRATEGIES = 32;
const MAX_OUTAGES = 32;

/**
 * Validates the plugin's options into a frozen, fully-resolved object.
 * @throws {@link InvalidConfigurationError} naming the field (e.g. `downstream.errorRate`).
 */
export function resolveDemoTrafficOptions(options: unknown = {}): ResolvedDemoTrafficOptions {
  const o = validateObject('options', options ?? {});
  rejectUnknownKeys('', o, KEYS);
  let strategies: readonly string[] = ['default'];
  if (o.strategies !== undefined) {
    if (!Array.isArray(o.strategies) || o.strategies.length === 0 || o.strategies.length > MAX_STRATEGIES) {
      throw new InvalidConfigurationError(
        'strategies',
        o.strategies,
        `an array of 1 to ${MAX_STRATEGIES} strategy ids`,
      );
    }
    strategies = o.strategies.map((s: unknown, i) => validateString(`strategies[${i}]`, s, 128));
  }
  return Object.freeze({
    strategies: Object.freeze([...strategies]),
    requestsPerSecond:
      o.requestsPerSecond === undefined ? 50 : validateNumber('requestsPerSecond', o.requestsPerSecond, 0, 100_000),
    tickMs: o.tickMs === undefined ? 100 : validateInteger('tickMs', o.tickMs, 1, 60_000),
    maxInFlight: o.maxInFlight === undefined ? 1000 : validateInteger('maxInFlight', o.maxInFlight, 1, 1_000_000),
    seed: o.seed === undefined ? 42 : validateInteger('seed', o.seed, 0, 4294967295),
    downstream: resolveDownstream(o.downstream),
  });
}

function resolveDownstream(value: unknown): ResolvedDownstreamOptions {
  const d = value === undefined ? {} : validateObject('downstream', value);
  rejectUnknownKeys('downstream', d, DOWNSTREAM_KEYS);
  let outages: readonly ResolvedOutage[] = [];
  if (d.outages !== undefined) {
    if (!Array.isArray(d.outages) || d.outages.length > MAX_OUTAGES) {
      throw new InvalidConfigurationError(
        'downstream.outages',
        d.outages,
        `an array of at most ${MAX_OUTAGES} outages`,
      );
    }
    outages = d.outages.map((raw: unknown, i) => resolveOutage(`downstream.outages[${i}]`, raw));
  }
  return Object.freeze({
    latencyMs: d.latencyMs === undefined ? 20 : validateDuration('downstream.latencyMs', d.latencyMs),
    latencyJitterMs:
      d.latencyJitterMs === undefined ? 10 : validateDuration('downstream.latencyJitterMs', d.latencyJitterMs),
    errorRate: d.errorRate === undefined ? 0.02 : validateNumber('downstream.errorRate', d.errorRate, 0, 1),
    capacity: d.capacity === undefined ? 16 : validateInteger('downstream.capacity', d.capacity, 1, 1_000_000),
    outages: Object.freeze(outages),
  });
}

function resolveOutage(field: string, raw: unknown): ResolvedOutage {
  const o = validateObject(field, raw);
  rejectUnknownKeys(field, o, OUTAGE_KEYS);
  const atMs = validateDuration(`${field}.atMs`, o.atMs);
  const durationMs = validateDuration(`${field}.durationMs`, o.durationMs, 1);
  const mode = o.mode === undefined ? 'error' : validateEnum(`${field}.mode`, o.mode, ['error', 'stall'] as const);
  if (o.everyMs === undefined) return Object.freeze({ atMs, durationMs, mode });
  const everyMs = validateDuration(`${field}.everyMs`, o.everyMs, 1);
  if (everyMs <= durationMs) {
    throw new InvalidConfigurationError(`${field}.everyMs`, everyMs, `a period > durationMs (${durationMs})`);
  }
  return Object.freeze({ atMs, durationMs, mode, everyMs });
}
