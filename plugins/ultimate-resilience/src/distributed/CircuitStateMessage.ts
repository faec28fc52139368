import {
  CIRCUIT_STATES, InvalidConfigurationError, rejectUnknownKeys, validateEnum, validateInteger, validateNumber,
  validateObject, validateString,
} from '@datawarehouse/sdk';
import type { CircuitState } from '@datawarehouse/sdk';
import { STRATEGY_ID_PATTERN } from '../strategies/StrategyDefinition.js';

/** `type` of a message carrying circuit states. @since 6.0.0 */
export const CIRCUIT_STATE_MESSAGE = 'circuit-state';
/** `type` of a message asking every node for its circuit states. @since 6.0.0 */
export const CIRCUIT_SYNC_REQUEST_MESSAGE = 'circuit-sync-request';
/** Version of the payload schema. @since 6.0.0 */
export const CIRCUIT_STATE_SCHEMA_VERSION = 1;

/** Longest `reason` carried (the breaker's own limit). @since 6.0.0 */
export const MAX_REASON_LENGTH = 256;
/** Longest `origin` (node id) carried. @since 6.0.0 */
export const MAX_ORIGIN_LENGTH = 256;
/** Longest break carried, ms (one year): anything longer is not a break but a bug or an attack. @since 6.0.0 */
export const MAX_REMAINING_BREAK_MS = 365 * 24 * 3_600_000;

/**
 * One strategy's register value on the wire.
 * @since 6.0.0
 */
export interface CircuitStateEntry {
  readonly strategyId: string;
  /** The strategy's Lamport clock at this write (>= 1). */
  readonly lamport: number;
  /** Node that wrote this value (the tie-break); not necessarily the sender. */
  readonly origin: string;
  readonly state: CircuitState;
  /**
   * For `open`: ms of break left when the message was built (relative, because the nodes'
   * clocks differ); 0 otherwise.
   */
  readonly remainingBreakMs: number;
  readonly reason: string;
}

/**
 * Payload of a {@link CIRCUIT_STATE_MESSAGE}: `transition` for one local change as it happens,
 * `sync` for a node's whole state (answering a sync request, after a reconnect, anti-entropy).
 * @since 6.0.0
 */
export interface CircuitStatePayload {
  readonly v: typeof CIRCUIT_STATE_SCHEMA_VERSION;
  readonly kind: 'transition' | 'sync';
  readonly entries: readonly CircuitStateEntry[];
}

/** Payload of a {@link CIRCUIT_SYNC_REQUEST_MESSAGE}. @since 6.0.0 */
export interface CircuitSyncRequestPayload {
  readonly v: typeof CIRCUIT_STATE_SCHEMA_VERSION;
}

const PAYLOAD_KEYS = ['v', 'kind', 'entries'] as const;
const ENTRY_KEYS = ['strategyId', 'lamport', 'origin', 'state', 'remainingBreakMs', 'reason'] as const;
const KINDS = ['transition', 'sync'] as const;

/**
 * Checks a received {@link CircuitStatePayload} strictly: known keys only, schema version 1,
 * 1..`maxEntries` entries, each with a valid strategy id, an integer Lamport clock >= 1, a
 * known state, a finite remaining break in `[0, 1 year]` (0 unless `open`) and bounded strings.
 * @throws {@link InvalidConfigurationError} naming the field (e.g. `payload.entries[3].lamport`).
 * @since 6.0.0
 */
export function validateCircuitStatePayload(payload: unknown, maxEntries: number): CircuitStatePayload {
  const p = validateObject('payload', payload);
  rejectUnknownKeys('payload', p, PAYLOAD_KEYS);
  validateVersion(p.v);
  validateEnum('payload.kind', p.kind, KINDS);
  if (!Array.isArray(p.entries) || p.entries.length === 0 || p.entries.length > maxEntries) {
    throw new InvalidConfigurationError('payload.entries', p.entries, `an array of 1..${maxEntries} entries`);
  }
  p.entries.forEach((entry: unknown, i) => validateEntry(entry, `payload.entries[${i}]`));
  return p as unknown as CircuitStatePayload;
}

/**
 * Checks a received {@link CircuitSyncRequestPayload}.
 * @throws {@link InvalidConfigurationError} naming the field.
 * @since 6.0.0
 */
export function validateCircuitSyncRequestPayload(payload: unknown): CircuitSyncRequestPayload {
  const p = validateObject('payload', payload);
  rejectUnknownKeys('payload', p, ['v']);
  validateVersion(p.v);
  return p as unknown as CircuitSyncRequestPayload;
}

function validateVersion(v: unknown): void {
  if (v !== CIRCUIT_STATE_SCHEMA_VERSION) throw new InvalidConfigurationError('payload.v', v, `schema version ${CIRCUIT_STATE_SCHEMA_VERSION}`);
}

function validateEntry(input: unknown, field: string): void {
  const e = validateObject(field, input);
  rejectUnknownKeys(field, e, ENTRY_KEYS);
  validateString(`${field}.strategyId`, e.strategyId, 128, STRATEGY_ID_PATTERN);
  validateInteger(`${field}.lamport`, e.lamport, 1);
  validateString(`${field}.origin`, e.origin, MAX_ORIGIN_LENGTH);
  const state = validateEnum(`${field}.state`, e.state, CIRCUIT_STATES as readonly CircuitState[]);
  const remaining = validateNumber(`${field}.remainingBreakMs`, e.remainingBreakMs, 0, MAX_REMAINING_BREAK_MS);
  if (state !== 'open' && remaining !== 0) {
    throw new InvalidConfigurationError(`${field}.remainingBreakMs`, remaining, `0 for state '${state}'`);
  }
  validateString(`${field}.reason`, e.reason, MAX_REASON_LENGTH);
}
