import { SdkCompatibility } from '@datawarehouse/sdk';
import { LogHistogram } from '../metrics/LogHistogram.js';
import type { CircuitStateEntryRejection } from './CircuitStateMessage.js';

/**
 * Why a received message was dropped as a whole (its envelope, size or type; a bad entry
 * costs only itself, see {@link ReplicatorEntryRejectionReason}). @since 6.0.0
 */
export type ReplicatorRejectionReason = 'malformed' | 'oversized' | 'unknownType';

/**
 * Why one entry of a received message was dropped while the rest of the message was kept:
 * the schema's reasons (`CircuitStateEntryRejection`) and `lamportTooFar` (more than
 * `MAX_LAMPORT_STEP` ahead of this node's clock of the strategy).
 * @since 6.0.0
 */
export type ReplicatorEntryRejectionReason = CircuitStateEntryRejection | 'lamportTooFar';

/**
 * Why a received, valid strategy state was not applied to the local breaker (`notShared`:
 * kept in the register only, to be adopted when sharing is turned back on).
 * @since 6.0.0
 */
export type ReplicatorIgnoreReason = 'stale' | 'duplicate' | 'notShared' | 'unknownStrategy' | 'noBreaker';

/** The `distributed` section of the resilience subsystem's metrics. @since 6.0.0 */
export interface ReplicatorMetricsReport {
  readonly enabled: boolean;
  readonly nodeId: string;
  readonly topic: string;
  readonly started: boolean;
  readonly connectionState: string;
  /** Strategies with a register on this node. */
  readonly registers: number;
  readonly published: {
    readonly transitions: number;
    readonly syncMessages: number;
    readonly syncRequests: number;
    /** Strategy states sent in all messages. */
    readonly entries: number;
    /** Messages not sent because the bus was disconnected (re-synced on reconnect). */
    readonly skippedDisconnected: number;
    /** Sends the bus refused or failed. */
    readonly failed: number;
    /** States not sent because a single one exceeded `maxMessageBytes`. */
    readonly oversized: number;
  };
  readonly received: { readonly messages: number; readonly syncRequests: number };
  /** Remote states adopted (and applied to the local breaker). */
  readonly applied: number;
  readonly ignored: Readonly<Record<ReplicatorIgnoreReason, number>>;
  readonly rejected: Readonly<Record<ReplicatorRejectionReason, number>>;
  /** Entries dropped one by one (the other entries of their messages were still applied). */
  readonly rejectedEntries: Readonly<Record<ReplicatorEntryRejectionReason, number>>;
  /**
   * Digest anti-entropy: root digests sent/received, bucket-level digests sent/received,
   * buckets sent whole, entries sent as differences, answers suppressed because another node's
   * answer made them useless, digests ignored for a different bucket count, and the bytes of
   * the digests sent.
   */
  readonly digest: Readonly<DigestCounters>;
  /**
   * Durable open circuits (`durableOpenCircuits`): open states stored, removals, reads of the
   * store on start (no peer answered), entries restored from it, entries skipped (expired,
   * malformed), and store operations that failed.
   */
  readonly durable: Readonly<DurableCounters>;
  /** Re-syncs after the bus came back. */
  readonly resyncs: number;
  /** Strategies whose sharing was turned back on and that re-joined the cluster's state. */
  readonly rejoins: number;
  readonly antiEntropyRounds: number;
  /** Errors caught in a handler or timer (none should happen; each is logged). */
  readonly internalErrors: number;
  /** Wall-clock ISO times, or null. */
  readonly lastSyncReceivedAt: string | null;
  readonly lastSyncSentAt: string | null;
  readonly lastAppliedAt: string | null;
  /**
   * The last transition this node published: strategy, state, Lamport clock and the wall-clock
   * time (ms since the epoch, sub-millisecond) it was published — the moment of the local
   * transition. With {@link ReplicatorMetricsReport.lastAppliedTransition} on another node of
   * the same machine, it gives the propagation time from the nodes' own event times.
   */
  readonly lastPublishedTransition: TransitionStamp | null;
  /** The last remote transition applied here, with the sender's timestamp (`sentAt`) and when it was applied (`at`). */
  readonly lastAppliedTransition: (TransitionStamp & { readonly origin: string; readonly sentAt: number }) | null;
  /**
   * Sender's timestamp → local apply, for transitions applied here (wall clocks: meaningful
   * across hosts only as far as their clocks agree). Log-scale histogram, ±3.1 %.
   */
  readonly propagationLagMs: {
    readonly count: number;
    readonly p50: number | null;
    readonly p99: number | null;
    readonly max: number | null;
    /** Samples left out because the sender's timestamp was over 1 h behind or 1 min ahead. */
    readonly outOfRange: number;
  };
}

/**
 * Counters of a `CircuitStateReplicator`. Plain fields, incremented in place; the report is
 * built only when read.
 * @internal
 */
/** One transition, stamped with a wall-clock time. @since 6.0.0 */
export interface TransitionStamp {
  readonly strategyId: string;
  /** The state written. */
  readonly state: string;
  /** The write's Lamport clock (matches a publish with its application elsewhere). */
  readonly lamport: number;
  /** Wall-clock ms since the epoch (sub-millisecond). */
  readonly at: number;
}

/** Counters of durable open circuits (see `ReplicatorMetricsReport.durable`). @since 6.0.0 */
export interface DurableCounters {
  /** Open states written to the store. */
  stored: number;
  /** Removals (another state written). */
  removed: number;
  /** Reads of the store on start (no peer answered). */
  reads: number;
  /** Open circuits applied from the store. */
  restored: number;
  /** Stored values skipped: expired, malformed or out of range. */
  skipped: number;
  /** Store operations that failed. */
  failed: number;
}

/** Counters of digest anti-entropy (see `ReplicatorMetricsReport.digest`). @since 6.0.0 */
export interface DigestCounters {
  /** Root digests (count and one hash) published, one per round. */
  rootsSent: number;
  /** Root digests heard from other nodes. */
  rootsReceived: number;
  /** Bucket-level digests published (this node's root differed from one heard). */
  bucketDigestsSent: number;
  bucketDigestsReceived: number;
  /** Buckets published whole (they differed from a bucket-level digest heard). */
  bucketsSent: number;
  /** Entries published because a node's bucket lacked them. */
  diffEntriesSent: number;
  /** Answers not sent because another node's answer made them useless. */
  suppressed: number;
  /** Differing roots answered with the whole state (both states small). */
  fullStateAnswers: number;
  /** Digests ignored: another `digestBuckets`. */
  bucketMismatch: number;
  /** Bytes (JSON) of the digests published. */
  bytesSent: number;
}

@SdkCompatibility('6.0.0')
export class ReplicatorMetrics {
  readonly durable: DurableCounters = { stored: 0, removed: 0, reads: 0, restored: 0, skipped: 0, failed: 0 };
  readonly digest: DigestCounters = {
    rootsSent: 0,
    rootsReceived: 0,
    bucketDigestsSent: 0,
    bucketDigestsReceived: 0,
    bucketsSent: 0,
    diffEntriesSent: 0,
    suppressed: 0,
    fullStateAnswers: 0,
    bucketMismatch: 0,
    bytesSent: 0,
  };
  publishedTransitions = 0;
  publishedSync = 0;
  publishedSyncRequests = 0;
  publishedEntries = 0;
  skippedDisconnected = 0;
  publishFailed = 0;
  oversizedOutgoing = 0;
  receivedMessages = 0;
  receivedSyncRequests = 0;
  applied = 0;
  resyncs = 0;
  rejoins = 0;
  antiEntropyRounds = 0;
  internalErrors = 0;
  lastSyncReceivedAt: number | undefined;
  lastSyncSentAt: number | undefined;
  lastAppliedAt: number | undefined;
  lastPublishedTransition: TransitionStamp | undefined;
  lastAppliedTransition: (TransitionStamp & { readonly origin: string; readonly sentAt: number }) | undefined;
  lagOutOfRange = 0;
  readonly ignored: Record<ReplicatorIgnoreReason, number> = {
    stale: 0,
    duplicate: 0,
    notShared: 0,
    unknownStrategy: 0,
    noBreaker: 0,
  };
  readonly rejected: Record<ReplicatorRejectionReason, number> = { malformed: 0, oversized: 0, unknownType: 0 };
  readonly rejectedEntries: Record<ReplicatorEntryRejectionReason, number> = {
    malformed: 0,
    lamportOutOfRange: 0,
    breakOutOfRange: 0,
    lamportTooFar: 0,
  };
  readonly lag = new LogHistogram();

  /** Builds the JSON report. */
  report(
    base: Pick<ReplicatorMetricsReport, 'enabled' | 'nodeId' | 'topic' | 'started' | 'connectionState' | 'registers'>,
  ): ReplicatorMetricsReport {
    const lag = this.lag;
    return {
      ...base,
      published: {
        transitions: this.publishedTransitions,
        syncMessages: this.publishedSync,
        syncRequests: this.publishedSyncRequests,
        entries: this.publishedEntries,
        skippedDisconnected: this.skippedDisconnected,
        failed: this.publishFailed,
        oversized: this.oversizedOutgoing,
      },
      received: { messages: this.receivedMessages, syncRequests: this.receivedSyncRequests },
      applied: this.applied,
      ignored: { ...this.ignored },
      rejected: { ...this.rejected },
      rejectedEntries: { ...this.rejectedEntries },
      digest: { ...this.digest },
      durable: { ...this.durable },
      resyncs: this.resyncs,
      rejoins: this.rejoins,
      antiEntropyRounds: this.antiEntropyRounds,
      internalErrors: this.internalErrors,
      lastSyncReceivedAt: iso(this.lastSyncReceivedAt),
      lastSyncSentAt: iso(this.lastSyncSentAt),
      lastAppliedAt: iso(this.lastAppliedAt),
      lastPublishedTransition: this.lastPublishedTransition ?? null,
      lastAppliedTransition: this.lastAppliedTransition ?? null,
      propagationLagMs:
        lag.count === 0
          ? { count: 0, p50: null, p99: null, max: null, outOfRange: this.lagOutOfRange }
          : {
              count: lag.count,
              p50: lag.percentile(0.5),
              p99: lag.percentile(0.99),
              max: lag.max,
              outOfRange: this.lagOutOfRange,
            },
    };
  }
}

function iso(wallMs: number | undefined): string | null {
  if (wallMs === undefined) return null;
  const d = new Date(wallMs);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}
