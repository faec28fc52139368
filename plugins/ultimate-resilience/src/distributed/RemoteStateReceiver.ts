import { SdkCompatibility, validatePluginMessage } from '@datawarehouse/sdk';
import type { Clock, Logger, PluginMessage } from '@datawarehouse/sdk';
import type { ReplicatedCircuits } from './ReplicatedCircuits.js';
import { applyRemoteState } from './applyRemoteState.js';
import {
  CIRCUIT_DIGEST_MESSAGE,
  CIRCUIT_STATE_MESSAGE,
  CIRCUIT_SYNC_REQUEST_MESSAGE,
  parseCircuitStateEntry,
  validateCircuitStatePayloadHeader,
  validateCircuitDigestPayload,
  validateCircuitSyncRequestPayload,
} from './CircuitStateMessage.js';
import type { CircuitDigestPayload, CircuitStateEntry, CircuitStatePayloadHeader } from './CircuitStateMessage.js';
import { jsonBytes } from './CircuitStatePublisher.js';
import { LwwRegisterMap } from './LwwRegisterMap.js';
import type { ReplicatorMetrics } from './ReplicatorMetrics.js';

/** Longest propagation lag recorded, ms (1 h); a longer one is a sender clock far behind. @internal */
export const MAX_LAG_SAMPLE_MS = 3_600_000;
/** How far ahead a sender's timestamp may be (clock skew, recorded as 0 lag), ms (1 min). @internal */
export const MAX_LAG_SKEW_MS = 60_000;

/** What a {@link RemoteStateReceiver} works with. @internal */
export interface RemoteStateReceiverOptions {
  readonly circuits: ReplicatedCircuits;
  readonly registers: LwwRegisterMap;
  readonly metrics: ReplicatorMetrics;
  readonly clock: Clock;
  readonly wallClock: () => number;
  readonly logger: Logger;
  readonly maxMessageBytes: number;
  readonly maxEntriesPerMessage: number;
  /** Called for a valid sync request from another node. */
  readonly onSyncRequest: () => void;
  /** Digest anti-entropy's hooks (absent: digests are counted as an unknown type). */
  readonly digest?: {
    onDigest(payload: CircuitDigestPayload): void;
    observe(entry: CircuitStateEntry): void;
    afterBucketMessage(buckets: readonly number[], b: number, entries: readonly CircuitStateEntry[]): void;
  };
}

/**
 * The incoming half of the replicator: checks a message (size, envelope, type, payload
 * envelope — any of these wrong drops the whole message, counted), then each entry on its
 * own: a bad entry is dropped and counted by reason ({@link ReplicatorMetrics.rejectedEntries})
 * and the others are still applied. A valid, newer entry is adopted into the registers and
 * applied to the local breaker (for a strategy not shared right now: adopted into the
 * registers only, see {@link adoptHeld}). The breaker transitions this causes carry origin
 * `remote`, which is how the replicator tells them from local transitions.
 * The caller has already skipped this node's own messages and catches what this throws.
 * @internal
 */
@SdkCompatibility('6.0.0')
export class RemoteStateReceiver {
  constructor(private readonly o: RemoteStateReceiverOptions) {}

  /** Handles one message from another node. */
  receive(message: PluginMessage): void {
    const m = this.o.metrics;
    m.receivedMessages++;
    const bytes = jsonBytes(message);
    if (bytes === undefined) {
      m.rejected.malformed++;
      return;
    }
    if (bytes > this.o.maxMessageBytes) {
      m.rejected.oversized++;
      return;
    }
    let payload: CircuitStatePayloadHeader;
    try {
      validatePluginMessage(message);
      if (message.type === CIRCUIT_SYNC_REQUEST_MESSAGE) {
        validateCircuitSyncRequestPayload(message.payload);
        m.receivedSyncRequests++;
        this.o.onSyncRequest();
        return;
      }
      if (message.type === CIRCUIT_DIGEST_MESSAGE && this.o.digest !== undefined) {
        this.o.digest.onDigest(validateCircuitDigestPayload(message.payload));
        return;
      }
      if (message.type !== CIRCUIT_STATE_MESSAGE) {
        m.rejected.unknownType++;
        return;
      }
      payload = validateCircuitStatePayloadHeader(message.payload, this.o.maxEntriesPerMessage);
    } catch (error) {
      m.rejected.malformed++;
      this.o.logger.debug('distributed circuit state: malformed message dropped', {
        from: safeSource(message),
        error: String(error),
      });
      return;
    }
    const wallNow = this.o.wallClock();
    const lag = wallNow - message.timestamp;
    // A sender clock far off (or a forged timestamp) says nothing about propagation: such a
    // sample is left out of the lag metrics (counted) rather than skewing p99/max for good.
    const lagInRange = lag >= -MAX_LAG_SKEW_MS && lag <= MAX_LAG_SAMPLE_MS;
    let dropped = 0;
    let firstError: unknown;
    const valid: CircuitStateEntry[] = [];
    payload.entries.forEach((raw, i) => {
      const parsed = parseCircuitStateEntry(raw, `payload.entries[${i}]`);
      if (!parsed.ok) {
        m.rejectedEntries[parsed.reason]++;
        dropped++;
        firstError ??= parsed.error;
        return;
      }
      valid.push(parsed.entry);
      this.o.digest?.observe(parsed.entry);
      if (this.apply(parsed.entry) && payload.kind === 'transition') {
        const e = parsed.entry;
        m.lastAppliedTransition = {
          strategyId: e.strategyId,
          state: e.state,
          lamport: e.lamport,
          origin: e.origin,
          sentAt: message.timestamp,
          at: m.lastAppliedAt!,
        };
        if (lagInRange) m.lag.record(Math.max(0, lag));
        else m.lagOutOfRange++;
      }
    });
    if (dropped > 0) {
      this.o.logger.debug('distributed circuit state: invalid entries dropped', {
        from: safeSource(message),
        dropped,
        error: String(firstError),
      });
    }
    if (payload.kind !== 'transition') m.lastSyncReceivedAt = wallNow;
    // A bucket message with a bad entry no longer holds the sender's whole bucket: not compared.
    if (payload.kind === 'bucket' && dropped === 0)
      this.o.digest?.afterBucketMessage(payload.buckets!, payload.b!, valid);
  }

  /**
   * Applies the register held for `strategyId` to its local breaker (its sharing was just
   * turned back on: the cluster's state, kept up to date while it was off, wins over what
   * the breaker did locally meanwhile). False when nothing is held or there is no breaker.
   */
  adoptHeld(strategyId: string): boolean {
    const value = this.o.registers.get(strategyId);
    const breaker = this.o.circuits.activeBreaker(strategyId);
    if (value === undefined || breaker === undefined) return false;
    applyRemoteState(breaker, LwwRegisterMap.toEntry(strategyId, value, this.o.clock.now()));
    return true;
  }

  /** Applies one valid remote entry; true when it was adopted and applied to the breaker. */
  /** Applies one entry that did not come in a message (a stored open circuit), as a sync entry. */
  applyEntry(entry: CircuitStateEntry): boolean {
    return this.apply(entry);
  }

  private apply(entry: CircuitStateEntry): boolean {
    const { circuits, registers, metrics } = this.o;
    const id = entry.strategyId;
    // Decided before the clock moves (and before touching the breaker: reading its state
    // may run a lazy open → half-open transition, which must stay a local, published one).
    const outcome = registers.compare(entry);
    // The clock advances on every valid entry, applied or not (by at most MAX_LAMPORT_STEP):
    // this node's next write of the strategy must be newer than anything the cluster holds.
    registers.observe(id, entry.lamport);
    if (outcome === 'tooFar') {
      metrics.rejectedEntries.lamportTooFar++;
      return false;
    }
    if (!circuits.isRegistered(id)) {
      metrics.ignored.unknownStrategy++;
      return false;
    }
    if (outcome !== 'adopted') {
      metrics.ignored[outcome]++;
      return false;
    }
    const breaker = circuits.breakerOf(id);
    if (breaker === undefined) {
      metrics.ignored.noBreaker++;
      return false;
    }
    registers.offer(entry, this.o.clock.now());
    if (!circuits.sharesState(id)) {
      // Kept in the register (the cluster's state), not applied: adopted on re-enable.
      metrics.ignored.notShared++;
      return false;
    }
    applyRemoteState(breaker, entry);
    metrics.applied++;
    metrics.lastAppliedAt = this.o.wallClock();
    return true;
  }
}

function safeSource(message: unknown): string {
  const source = (message as { sourceNodeId?: unknown } | null)?.sourceNodeId;
  return typeof source === 'string' ? source.slice(0, 64) : '(unknown)';
}
