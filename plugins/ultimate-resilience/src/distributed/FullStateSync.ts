import { SdkCompatibility } from '@datawarehouse/sdk';
import type { Clock, IFederatedMessageBus, TimerHandle } from '@datawarehouse/sdk';
import type { ReplicatedCircuits } from './ReplicatedCircuits.js';
import type { CircuitStateEntry } from './CircuitStateMessage.js';
import type { CircuitStatePublisher } from './CircuitStatePublisher.js';
import { LwwRegisterMap } from './LwwRegisterMap.js';
import type { ReplicatorMetrics } from './ReplicatorMetrics.js';
import type { SharingWatch } from './SharingWatch.js';

/** What a {@link FullStateSync} works with. @internal */
export interface FullStateSyncOptions {
  readonly circuits: ReplicatedCircuits;
  readonly bus: IFederatedMessageBus;
  readonly registers: LwwRegisterMap;
  readonly sharing: SharingWatch;
  readonly publisher: CircuitStatePublisher;
  readonly metrics: ReplicatorMetrics;
  readonly clock: Clock;
  readonly wallClock: () => number;
  /** `0`: no periodic round. */
  readonly antiEntropyIntervalMs: number;
  readonly syncResponseDelayMs: number;
  /** When set, an anti-entropy round runs this (digest anti-entropy) instead of publishing the full state. */
  readonly digestRound?: () => void;
  /** Runs first in every anti-entropy round. */
  readonly beforeRound: () => void;
  /** What a timer callback threw (it never escapes a timer). */
  readonly onError: (what: string, error: unknown) => void;
}

/**
 * Publishing a node's whole shared state: on demand ({@link resync}: on start and when the
 * bus reconnects), every `antiEntropyIntervalMs` while connected (anti-entropy, re-armed after
 * each round whatever it did), and `syncResponseDelayMs` after a sync request. Every request
 * arriving while an answer is pending shares it, the next answer is armed only after it went
 * out, and a full state published since the first request (anti-entropy, a resync) answers
 * it, so a flood of requests costs at most one publish per `syncResponseDelayMs`.
 * @internal
 */
@SdkCompatibility('6.0.0')
export class FullStateSync {
  private antiEntropyTimer: TimerHandle | undefined;
  private syncResponseTimer: TimerHandle | undefined;
  /** `clock.now()` of the last full-state publish. */
  private lastFullStateAt: number | undefined;
  private disposed = false;

  constructor(private readonly o: FullStateSyncOptions) {}

  /** Publishes the whole shared state and asks every node for theirs, now. */
  resync(): void {
    if (this.disposed) return;
    this.publishFullState();
    this.o.publisher.syncRequest();
  }

  /** Arms the next anti-entropy round (no-op when the interval is 0 or one is armed). */
  armAntiEntropy(): void {
    const interval = this.o.antiEntropyIntervalMs;
    if (interval === 0 || this.disposed || this.antiEntropyTimer !== undefined) return;
    this.antiEntropyTimer = this.o.clock.setTimeout(() => {
      this.antiEntropyTimer = undefined;
      try {
        this.o.beforeRound();
        if (this.o.bus.connectionState === 'connected') {
          this.o.metrics.antiEntropyRounds++;
          if (this.o.digestRound !== undefined) this.o.digestRound();
          else this.publishFullState();
        }
      } catch (error) {
        this.o.onError('anti-entropy', error);
      } finally {
        this.armAntiEntropy();
      }
    }, interval);
  }

  /** A sync request arrived: answers after `syncResponseDelayMs`, unless an answer is pending. */
  scheduleSyncResponse(): void {
    if (this.syncResponseTimer !== undefined || this.disposed) return;
    const requestedAt = this.o.clock.now();
    this.syncResponseTimer = this.o.clock.setTimeout(() => {
      this.syncResponseTimer = undefined;
      try {
        if (this.lastFullStateAt === undefined || this.lastFullStateAt <= requestedAt) this.publishFullState();
      } catch (error) {
        this.o.onError('answering a sync request', error);
      }
    }, this.o.syncResponseDelayMs);
  }

  /** Clears both timers; nothing is armed or published afterwards. Idempotent. */
  dispose(): void {
    this.disposed = true;
    if (this.antiEntropyTimer !== undefined) this.o.clock.clearTimeout(this.antiEntropyTimer);
    if (this.syncResponseTimer !== undefined) this.o.clock.clearTimeout(this.syncResponseTimer);
    this.antiEntropyTimer = this.syncResponseTimer = undefined;
  }

  /** Publishes every shared register (split into messages by the publisher). */
  private publishFullState(): void {
    const { registers, sharing, circuits } = this.o;
    // Refreshing each breaker first runs any lazy open → half-open transition (a local
    // write, published as such), so what is sent is current.
    for (const id of [...registers.entries()].map(([strategyId]) => strategyId)) {
      if (sharing.isShared(id)) circuits.activeBreaker(id)?.refresh();
    }
    const now = this.o.clock.now();
    this.lastFullStateAt = now;
    const entries: CircuitStateEntry[] = [];
    for (const [id, value] of registers.entries()) {
      if (sharing.isShared(id)) entries.push(LwwRegisterMap.toEntry(id, value, now));
    }
    if (this.o.publisher.fullState(entries)) this.o.metrics.lastSyncSentAt = this.o.wallClock();
  }
}
