import { InvalidConfigurationError } from '../errors/errors.js';
import {
  rejectUnknownKeys,
  validateBoolean,
  validateDuration,
  validateNumber,
  validateObject,
} from '../config/validate.js';

/**
 * Network faults an {@link InMemoryFederation} injects on messages between two different
 * nodes (a node's deliveries to itself are never faulted). Every field is optional; an omitted
 * field takes the default shown, which means "no fault".
 * @since 6.0.0
 */
export interface FederationFaults {
  /** Lowest latency of a hop, ms. Default `0`. */
  readonly minDelayMs?: number;
  /** Highest latency of a hop, ms; `>= minDelayMs`. Default: `minDelayMs`. */
  readonly maxDelayMs?: number;
  /** Probability in `[0, 1]` that a hop loses the message. Default `0`. */
  readonly dropRate?: number;
  /** Probability in `[0, 1]` that a hop delivers the message twice. Default `0`. */
  readonly duplicateRate?: number;
  /**
   * When false (default), each (sender, receiver) link is FIFO: latency jitter never lets a
   * later message overtake an earlier one. When true, each hop also gets a random extra delay
   * in `[0, reorderWindowMs)` and links are not FIFO, so later messages may overtake earlier ones.
   */
  readonly reorder?: boolean;
  /** Largest extra delay added when `reorder` is on, ms; `> 0`. Default `10`. */
  readonly reorderWindowMs?: number;
}

/** {@link FederationFaults} with every field resolved. @since 6.0.0 */
export type ResolvedFederationFaults = Readonly<Required<FederationFaults>>;

/** The fault settings of a healthy network. @since 6.0.0 */
export const NO_FAULTS: ResolvedFederationFaults = Object.freeze({
  minDelayMs: 0,
  maxDelayMs: 0,
  dropRate: 0,
  duplicateRate: 0,
  reorder: false,
  reorderWindowMs: 10,
});

const KEYS: readonly (keyof FederationFaults)[] = Object.keys(NO_FAULTS) as (keyof FederationFaults)[];

/**
 * Validates fault settings into a frozen, fully-resolved object.
 * @throws {@link InvalidConfigurationError} naming the field (`faults.dropRate`, ...) when a
 * value is out of range, `maxDelayMs < minDelayMs`, or a key is unknown.
 * @since 6.0.0
 */
export function resolveFederationFaults(faults: FederationFaults): ResolvedFederationFaults {
  const f = validateObject('faults', faults);
  rejectUnknownKeys('faults', f, KEYS);
  const minDelayMs = f.minDelayMs === undefined ? 0 : validateDuration('faults.minDelayMs', f.minDelayMs);
  const maxDelayMs = f.maxDelayMs === undefined ? minDelayMs : validateDuration('faults.maxDelayMs', f.maxDelayMs);
  if (maxDelayMs < minDelayMs) {
    throw new InvalidConfigurationError(
      'faults.maxDelayMs',
      maxDelayMs,
      `a duration in ms >= minDelayMs (${minDelayMs})`,
    );
  }
  return Object.freeze({
    minDelayMs,
    maxDelayMs,
    dropRate: f.dropRate === undefined ? 0 : validateNumber('faults.dropRate', f.dropRate, 0, 1),
    duplicateRate: f.duplicateRate === undefined ? 0 : validateNumber('faults.duplicateRate', f.duplicateRate, 0, 1),
    reorder: f.reorder === undefined ? false : validateBoolean('faults.reorder', f.reorder),
    reorderWindowMs:
      f.reorderWindowMs === undefined
        ? NO_FAULTS.reorderWindowMs
        : validateNumber('faults.reorderWindowMs', f.reorderWindowMs, 0, Number.MAX_VALUE, true),
  });
}
