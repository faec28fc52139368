import { SdkCompatibility } from '@datawarehouse/sdk';
import type { Clock, TimerHandle } from '@datawarehouse/sdk';
import type { CircuitDigestPayload, CircuitStateEntry } from './CircuitStateMessage.js';
import type { CircuitStatePublisher } from './CircuitStatePublisher.js';
import { Digest, bucketHash, bucketOf, decodeBucketHashes } from './DigestIndex.js';
import { LwwRegisterMap, compareVersions } from './LwwRegisterMap.js';
import type { RegisterVersion } from './LwwRegisterMap.js';
import type { ReplicatorMetrics } from './ReplicatorMetrics.js';
import type { SharingWatch } from './SharingWatch.js';

/** What a {@link DigestSync} works with. @internal */
export interface DigestSyncOptions {
  readonly registers: LwwRegisterMap;
  readonly sharing: SharingWatch;
  readonly publisher: CircuitStatePublisher;
  readonly metrics: ReplicatorMetrics;
  readonly clock: Clock;
  readonly buckets: number;
  /** Answers wait a random time in `[0, delay)`, so one node answers and the others hear it and stay quiet. */
  readonly responseDelayMs: number;
  /** In `[0, 1)`. */
  readonly random: () => number;
  readonly onError: (what: string, error: unknown) => void;
  /**
   * States this small (on both sides) skip the bucket steps: a differing root is answered
   * with the whole state, through `answerWithFullState` (coalesced like a sync request).
   */
  readonly fullStateThreshold: number;
  readonly answerWithFullState: () => void;
}

/** An answer waiting for its timer (and cancelled if another node's answer makes it useless). */
interface Pending {
  timer: TimerHandle;
}

/** A pending diff: what the peer is known to hold in one bucket, updated by everything heard meanwhile. */
interface PendingDiff extends Pending {
  readonly peerView: Map<string, RegisterVersion>;
}

/**
 * Digest anti-entropy over a broadcast bus, in three steps, each answered by one node
 * (random delay, then suppressed when another node's answer was heard):
 *
 * 1. Every round a node publishes its **root** digest (register count and one hash): a few
 *    dozen bytes. Nothing else happens while all roots agree.
 * 2. A node whose root differs answers with its **bucket hashes** (8 hex digits per bucket) —
 *    unless a node with the same root already did.
 * 3. Every node whose bucket hashes differ from those publishes **all its entries of those
 *    buckets** (`bucket` messages) — unless a node with the same bucket content already did.
 *    A receiver of such a message that holds entries the sender lacks (newer, or absent)
 *    publishes **only those entries** — unless another node's messages covered them first.
 *
 * After a partition heals, one round plus three answer delays converge the two sides; only the
 * buckets that differ travel. When both states are small enough for one message, a differing
 * root is answered with the whole state at once instead. Registers of strategies that are not shared are left out, as in
 * a full-state sync.
 * @internal
 */
@SdkCompatibility('6.0.0')
export class DigestSync {
  private readonly bucketReplies = new Map<number, Pending>();
  private readonly diffs = new Map<number, PendingDiff>();
  private bucketDigestReply: Pending | undefined;
  private cached: { revision: number; digest: Digest } | undefined;
  private disposed = false;

  constructor(private readonly o: DigestSyncOptions) {}

  /** One round: publishes the root digest. */
  round(): void {
    this.cached = undefined; // sharing may have changed since
    const d = this.digest();
    this.o.publisher.digest({ v: 1, b: d.buckets, n: d.count, root: d.root });
    this.o.metrics.digest.rootsSent++;
  }

  /** A digest from another node. */
  onDigest(payload: CircuitDigestPayload): void {
    const m = this.o.metrics.digest;
    if (payload.b !== this.o.buckets) {
      m.bucketMismatch++;
      return;
    }
    const mine = this.digest();
    if (payload.hashes === undefined) {
      m.rootsReceived++;
      if (payload.root === mine.root) return;
      if (Math.max(payload.n, mine.count) <= this.o.fullStateThreshold) {
        m.fullStateAnswers++;
        this.o.answerWithFullState();
        return;
      }
      this.bucketDigestReply ??= this.later(() => {
        this.bucketDigestReply = undefined;
        const d = this.digest();
        this.o.publisher.digest({ v: 1, b: d.buckets, n: d.count, root: d.root, hashes: d.encoded() });
        m.bucketDigestsSent++;
      });
      return;
    }
    m.bucketDigestsReceived++;
    // A node with my root told everyone where it differs: mine would say the same.
    if (payload.root === mine.root) this.cancel(this.bucketDigestReply, () => (this.bucketDigestReply = undefined));
    const theirs = decodeBucketHashes(payload.hashes, payload.b);
    if (theirs === undefined) return;
    for (let b = 0; b < payload.b; b++) {
      if (theirs[b] === mine.hashes[b] || this.bucketReplies.has(b)) continue;
      this.bucketReplies.set(
        b,
        this.later(() => {
          this.bucketReplies.delete(b);
          this.sendBuckets([b]);
        }),
      );
    }
  }

  /**
   * After the entries of a `bucket` message were applied: for each bucket it covers, stays
   * quiet if this node holds the same content, otherwise schedules the entries the sender lacks.
   */
  afterBucketMessage(buckets: readonly number[], b: number, entries: readonly CircuitStateEntry[]): void {
    if (b !== this.o.buckets) {
      this.o.metrics.digest.bucketMismatch++;
      return;
    }
    const byBucket = new Map<number, [string, RegisterVersion][]>();
    for (const bucket of buckets) byBucket.set(bucket, []);
    for (const e of entries) byBucket.get(bucketOf(e.strategyId, b))?.push([e.strategyId, e]);
    const mine = this.digest();
    for (const [bucket, theirs] of byBucket) {
      if (bucketHash(theirs) === mine.hashes[bucket]) {
        const pending = this.bucketReplies.get(bucket);
        if (pending !== undefined) {
          this.o.clock.clearTimeout(pending.timer);
          this.bucketReplies.delete(bucket);
          this.o.metrics.digest.suppressed++;
        }
        continue;
      }
      const existing = this.diffs.get(bucket);
      if (existing !== undefined) {
        for (const [id, v] of theirs) this.see(existing.peerView, id, v);
        continue;
      }
      const peerView = new Map(theirs);
      const pending: PendingDiff = { peerView, timer: this.later(() => this.fireDiff(bucket, peerView)).timer };
      this.diffs.set(bucket, pending);
    }
  }

  /** Every valid entry heard from another node: pending diffs need not carry what it carried. */
  observe(entry: CircuitStateEntry): void {
    if (this.diffs.size === 0) return;
    const pending = this.diffs.get(bucketOf(entry.strategyId, this.o.buckets));
    if (pending !== undefined) this.see(pending.peerView, entry.strategyId, entry);
  }

  /** Cancels every pending answer. Idempotent. */
  dispose(): void {
    this.disposed = true;
    const all = [...this.bucketReplies.values(), ...this.diffs.values()];
    if (this.bucketDigestReply !== undefined) all.push(this.bucketDigestReply);
    for (const p of all) this.o.clock.clearTimeout(p.timer);
    this.bucketReplies.clear();
    this.diffs.clear();
    this.bucketDigestReply = undefined;
  }

  private fireDiff(bucket: number, peerView: Map<string, RegisterVersion>): void {
    this.diffs.delete(bucket);
    const now = this.o.clock.now();
    const entries: CircuitStateEntry[] = [];
    for (const [id, value] of this.sharedEntries()) {
      if (bucketOf(id, this.o.buckets) !== bucket) continue;
      const known = peerView.get(id);
      if (known === undefined || compareVersions(value, known) > 0)
        entries.push(LwwRegisterMap.toEntry(id, value, now));
    }
    if (entries.length === 0) {
      this.o.metrics.digest.suppressed++;
      return;
    }
    this.o.metrics.digest.diffEntriesSent += entries.length;
    this.o.publisher.fullState(entries);
  }

  private sendBuckets(buckets: readonly number[]): void {
    const wanted = new Set(buckets);
    const now = this.o.clock.now();
    const entries: CircuitStateEntry[] = [];
    for (const [id, value] of this.sharedEntries()) {
      if (wanted.has(bucketOf(id, this.o.buckets))) entries.push(LwwRegisterMap.toEntry(id, value, now));
    }
    this.o.metrics.digest.bucketsSent += buckets.length;
    this.o.publisher.buckets(this.o.buckets, buckets, entries);
  }

  private see(view: Map<string, RegisterVersion>, id: string, v: RegisterVersion): void {
    const held = view.get(id);
    if (held === undefined || compareVersions(v, held) > 0) view.set(id, { lamport: v.lamport, origin: v.origin });
  }

  private *sharedEntries(): Generator<[string, LwwRegisterValue]> {
    for (const [id, value] of this.o.registers.entries()) if (this.o.sharing.isShared(id)) yield [id, value];
  }

  private digest(): Digest {
    const revision = this.o.registers.revision;
    if (this.cached?.revision !== revision || this.cached.digest.buckets !== this.o.buckets) {
      this.cached = { revision, digest: Digest.of(this.sharedEntries(), this.o.buckets) };
    }
    return this.cached.digest;
  }

  private later(fire: () => void): Pending {
    return {
      timer: this.o.clock.setTimeout(() => {
        if (this.disposed) return;
        try {
          fire();
        } catch (error) {
          this.o.onError('digest anti-entropy', error);
        }
      }, this.delay()),
    };
  }

  private cancel(pending: Pending | undefined, clear: () => void): void {
    if (pending === undefined) return;
    this.o.clock.clearTimeout(pending.timer);
    clear();
    this.o.metrics.digest.suppressed++;
  }

  private delay(): number {
    return Math.floor(this.o.random() * this.o.responseDelayMs);
  }
}

type LwwRegisterValue = ReturnType<LwwRegisterMap['get']> & object;
