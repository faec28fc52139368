import { CIRCUIT_STATES, InvalidConfigurationError, MAX_BREAK_DURATION_MS } from '@datawarehouse/sdk';
import {
  rejectUnknownKeys,
  validateEnum,
  validateInteger,
  validateNumber,
  validateObject,
  validateString,
} from '@datawarehouse/sdk/internals';
import type { CircuitState } from '@datawarehouse/sdk';
import { STRATEGY_ID_PATTERN } from '../strategies/StrategyDefinition.js';

/** `type` of a message carrying circuit states. @since 6.0.0 */
export const CIRCUIT_STATE_MESSAGE = 'circuit-state';
/** `type` of a message asking every node for its circuit states. @since 6.0.0 */
export const CIRCUIT_SYNC_REQUEST_MESSAGE = 'circuit-sync-request';
/**
 * `type` of a message carrying a digest of a node's registers (digest anti-entropy): a root
 * hash, and on request the hash of every bucket. Nodes of earlier releases count it as an
 * unknown type. @since 6.0.0
 */
export const CIRCUIT_DIGEST_MESSAGE = 'circuit-digest';
/** Version of the payload schema. @since 6.0.0 */
export const CIRCUIT_STATE_SCHEMA_VERSION = 1;

/** Longest `reason` carried (the breaker's own limit). @since 6.0.0 */
export const MAX_REASON_LENGTH = 256;
/** Longest `origin` (node id) carried. @since 6.0.0 */
export const MAX_ORIGIN_LENGTH = 256;
/**
 * Longest break carried, ms: the SDK's `MAX_BREAK_DURATION_MS` (365 days), the longest
 * `breakDurationMs` configuration accepts, so every configured break replicates. A sender
 * clamps what it sends to it; a receiver drops an entry with more (that entry only).
 * @since 6.0.0
 */
export const MAX_REMAINING_BREAK_MS = MAX_BREAK_DURATION_MS;

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
 * `sync` for a node's whole state or part of it (answering a sync request, after a reconnect,
 * entries that differ), `bucket` for **every** entry the sender holds in the digest buckets
 * `buckets` (out of `b`; possibly none), so a receiver can tell what the sender lacks.
 * @since 6.0.0
 */
export interface CircuitStatePayload {
  readonly v: typeof CIRCUIT_STATE_SCHEMA_VERSION;
  readonly kind: 'transition' | 'sync' | 'bucket';
  readonly entries: readonly CircuitStateEntry[];
  /** `bucket` only: the number of digest buckets. */
  readonly b?: number;
  /** `bucket` only: the buckets whose entries are all in `entries`. */
  readonly buckets?: readonly number[];
}

/**
 * Payload of a {@link CIRCUIT_DIGEST_MESSAGE}: the sender's register count `n`, its root hash
 * over `b` buckets, and, in a bucket-level digest, every bucket's hash (`hashes`: 8 hex digits
 * per bucket).
 * @since 6.0.0
 */
export interface CircuitDigestPayload {
  readonly v: typeof CIRCUIT_STATE_SCHEMA_VERSION;
  readonly b: number;
  readonly n: number;
  readonly root: string;
  readonly hashes?: string;
}

/** Payload of a {@link CIRCUIT_SYNC_REQUEST_MESSAGE}. @since 6.0.0 */
export interface CircuitSyncRequestPayload {
  readonly v: typeof CIRCUIT_STATE_SCHEMA_VERSION;
}

const PAYLOAD_KEYS = ['v', 'kind', 'entries'] as const;
const BUCKET_PAYLOAD_KEYS = ['v', 'kind', 'entries', 'b', 'buckets'] as const;
const ENTRY_KEYS = ['strategyId', 'lamport', 'origin', 'state', 'remainingBreakMs', 'reason'] as const;
const KINDS = ['transition', 'sync', 'bucket'] as const;
/** Most digest buckets a message may name (the largest `digestBuckets`). */
const MAX_BUCKETS = 2048;

/**
 * Why one received entry was dropped while the rest of its message was kept:
 * `lamportOutOfRange` (not an integer in `1..Number.MAX_SAFE_INTEGER`), `breakOutOfRange`
 * (remaining break not finite, negative, over `MAX_REMAINING_BREAK_MS`, or not 0 for a
 * state other than `open`), `malformed` (anything else: shape, keys, strategy id, state, strings).
 * @since 6.0.0
 */
export type CircuitStateEntryRejection = 'malformed' | 'lamportOutOfRange' | 'breakOutOfRange';

/** Outcome of {@link parseCircuitStateEntry}. @since 6.0.0 */
export type ParsedCircuitStateEntry =
  | { readonly ok: true; readonly entry: CircuitStateEntry }
  | { readonly ok: false; readonly reason: CircuitStateEntryRejection; readonly error: InvalidConfigurationError };

/**
 * A received {@link CircuitStatePayload} whose envelope is valid; its entries are still
 * unchecked (see {@link parseCircuitStateEntry}): one bad entry never costs the others.
 * @since 6.0.0
 */
export interface CircuitStatePayloadHeader {
  readonly v: typeof CIRCUIT_STATE_SCHEMA_VERSION;
  readonly kind: CircuitStatePayload['kind'];
  readonly entries: readonly unknown[];
  readonly b?: number;
  readonly buckets?: readonly number[];
}

/**
 * Checks the envelope of a received {@link CircuitStatePayload}: known keys only, schema
 * version 1, a known kind and an array of 1..`maxEntries` entries. The entries themselves
 * are left to {@link parseCircuitStateEntry}, one by one.
 * @throws {@link InvalidConfigurationError} naming the field (e.g. `payload.kind`).
 * @since 6.0.0
 */
export function validateCircuitStatePayloadHeader(payload: unknown, maxEntries: number): CircuitStatePayloadHeader {
  const p = validateObject('payload', payload);
  const kind = validateEnum('payload.kind', p.kind, KINDS);
  rejectUnknownKeys('payload', p, kind === 'bucket' ? BUCKET_PAYLOAD_KEYS : PAYLOAD_KEYS);
  validateVersion(p.v);
  const min = kind === 'bucket' ? 0 : 1;
  if (!Array.isArray(p.entries) || p.entries.length < min || p.entries.length > maxEntries) {
    throw new InvalidConfigurationError('payload.entries', p.entries, `an array of ${min}..${maxEntries} entries`);
  }
  if (kind === 'bucket') {
    const b = validateInteger('payload.b', p.b, 1, MAX_BUCKETS);
    if (!Array.isArray(p.buckets) || p.buckets.length === 0 || p.buckets.length > b) {
      throw new InvalidConfigurationError('payload.buckets', p.buckets, `an array of 1..${b} bucket numbers`);
    }
    p.buckets.forEach((n: unknown, i) => validateInteger(`payload.buckets[${i}]`, n, 0, b - 1));
  }
  return p as unknown as CircuitStatePayloadHeader;
}

/**
 * Checks one received entry strictly: known keys only, a valid strategy id, an integer
 * Lamport clock in `1..Number.MAX_SAFE_INTEGER`, a bounded origin, a known state, a finite
 * remaining break in `[0, MAX_REMAINING_BREAK_MS]` (0 unless `open`) and a bounded reason.
 * Never throws: a bad entry comes back with its `CircuitStateEntryRejection` reason.
 * (How far a valid clock may move the receiver's clock is the receiver's check, see
 * `LwwRegisterMap.MAX_LAMPORT_STEP`.)
 * @param field - path used in the error, e.g. `payload.entries[3]`.
 * @since 6.0.0
 */
export function parseCircuitStateEntry(input: unknown, field: string): ParsedCircuitStateEntry {
  let stage: CircuitStateEntryRejection = 'malformed';
  try {
    const e = validateObject(field, input);
    rejectUnknownKeys(field, e, ENTRY_KEYS);
    validateString(`${field}.strategyId`, e.strategyId, 128, STRATEGY_ID_PATTERN);
    validateString(`${field}.origin`, e.origin, MAX_ORIGIN_LENGTH);
    const state = validateEnum(`${field}.state`, e.state, CIRCUIT_STATES as readonly CircuitState[]);
    validateString(`${field}.reason`, e.reason, MAX_REASON_LENGTH);
    stage = 'lamportOutOfRange';
    validateInteger(`${field}.lamport`, e.lamport, 1);
    stage = 'breakOutOfRange';
    const remaining = validateNumber(`${field}.remainingBreakMs`, e.remainingBreakMs, 0, MAX_REMAINING_BREAK_MS);
    if (state !== 'open' && remaining !== 0) {
      throw new InvalidConfigurationError(`${field}.remainingBreakMs`, remaining, `0 for state '${state}'`);
    }
    return { ok: true, entry: e as unknown as CircuitStateEntry };
  } catch (error) {
    // The validators above throw nothing else; anything else (a getter on a hostile object
    // cannot exist after JSON, but an in-process bus may pass one) is malformed too.
    const e =
      error instanceof InvalidConfigurationError
        ? error
        : new InvalidConfigurationError(field, undefined, 'a circuit state entry');
    return { ok: false, reason: error instanceof InvalidConfigurationError ? stage : 'malformed', error: e };
  }
}

/**
 * Checks a whole {@link CircuitStatePayload} strictly: its envelope
 * ({@link validateCircuitStatePayloadHeader}) and every entry ({@link parseCircuitStateEntry}).
 * For building or testing payloads; a receiver drops bad entries one by one instead.
 * @throws {@link InvalidConfigurationError} naming the field (e.g. `payload.entries[3].lamport`).
 * @since 6.0.0
 */
export function validateCircuitStatePayload(payload: unknown, maxEntries: number): CircuitStatePayload {
  const header = validateCircuitStatePayloadHeader(payload, maxEntries);
  header.entries.forEach((entry, i) => {
    const parsed = parseCircuitStateEntry(entry, `payload.entries[${i}]`);
    if (!parsed.ok) throw parsed.error;
  });
  return header as unknown as CircuitStatePayload;
}

/**
 * Checks a received {@link CircuitDigestPayload}: known keys, schema version, `b` in 1..2048,
 * `n` a count, `root` 8 hex digits, `hashes` (when present) `b` × 8 hex digits.
 * @throws {@link InvalidConfigurationError} naming the field.
 * @since 6.0.0
 */
export function validateCircuitDigestPayload(payload: unknown): CircuitDigestPayload {
  const p = validateObject('payload', payload);
  rejectUnknownKeys('payload', p, ['v', 'b', 'n', 'root', 'hashes']);
  validateVersion(p.v);
  const b = validateInteger('payload.b', p.b, 1, MAX_BUCKETS);
  validateInteger('payload.n', p.n, 0);
  validateString('payload.root', p.root, 8, /^[0-9a-f]{8}$/);
  if (p.hashes !== undefined) validateString('payload.hashes', p.hashes, b * 8, new RegExp(`^[0-9a-f]{${b * 8}}$`));
  return p as unknown as CircuitDigestPayload;
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
  if (v !== CIRCUIT_STATE_SCHEMA_VERSION)
    throw new InvalidConfigurationError('payload.v', v, `schema version ${CIRCUIT_STATE_SCHEMA_VERSION}`);
}
