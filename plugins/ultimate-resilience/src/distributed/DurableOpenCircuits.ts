import { SdkCompatibility } from '@datawarehouse/sdk';
import type { Clock, IDurableStateStore, Logger, TimerHandle } from '@datawarehouse/sdk';
import { MAX_REMAINING_BREAK_MS, parseCircuitStateEntry } from './CircuitStateMessage.js';
import type { CircuitStateEntry } from './CircuitStateMessage.js';
import type { CircuitRegisterValue } from './LwwRegisterMap.js';
import type { ReplicatorMetrics } from './ReplicatorMetrics.js';

/** Most stored open circuits read on start. */
const MAX_RESTORED = 10_000;
/** Largest stored value read (an entry is a few hundred bytes). */
const MAX_VALUE_BYTES = 4_096;

/** What {@link DurableOpenCircuits} works with. @internal */
export interface DurableOpenCircuitsOptions {
  /** The store, looked up when needed (the transport may register it after this plugin started). */
  readonly store: () => IDurableStateStore | undefined;
  /** Key prefix (the topic), so clusters sharing a store stay apart. */
  readonly prefix: string;
  readonly clock: Clock;
  readonly wallClock: () => number;
  readonly metrics: ReplicatorMetrics;
  readonly logger: Logger;
  /** How long after start to wait for a peer's sync answer before reading the store. */
  readonly readDelayMs: number;
  /** Applies a stored entry as if a peer had sent it; returns whether it was applied. */
  readonly apply: (entry: CircuitStateEntry) => boolean;
  /** Publishes what was restored, so peers that started meanwhile (and got an answer without it) learn it. */
  readonly announce: (entries: readonly CircuitStateEntry[]) => void;
}

/**
 * Open circuits kept in the cluster's durable store (`IDurableStateStore`, Redis with the Redis
 * transport) with an expiry equal to the break left, so a cluster restarted as a whole still
 * rejects calls to a downstream that is down. The node that writes `open` stores it; the node
 * that writes any other state removes it. On start, if no peer answered the sync request within
 * `readDelayMs`, the node reads the store and applies each unexpired open circuit like a remote
 * write (by version: a newer state the node already holds wins). What is read is untrusted: each
 * value is parsed and checked like a received entry, oversized or malformed ones are skipped.
 * @internal
 */
@SdkCompatibility('6.0.0')
export class DurableOpenCircuits {
  private timer: TimerHandle | undefined;
  private disposed = false;

  constructor(private readonly o: DurableOpenCircuitsOptions) {}

  /** A local write of a shared strategy: stores it while open, removes it otherwise. */
  written(strategyId: string, value: CircuitRegisterValue): void {
    const store = this.o.store();
    if (store === undefined) return;
    const key = this.o.prefix + strategyId;
    const m = this.o.metrics.durable;
    const remaining = value.state === 'open' ? Math.max(0, value.openUntil - this.o.clock.now()) : 0;
    let op: Promise<void>;
    try {
      if (remaining >= 1) {
        const stored = {
          lamport: value.lamport,
          origin: value.origin,
          reason: value.reason,
          openUntil: this.o.wallClock() + Math.min(remaining, MAX_REMAINING_BREAK_MS),
        };
        op = store.putAsync(key, JSON.stringify(stored), Math.ceil(remaining));
        m.stored++;
      } else {
        op = store.deleteAsync(key);
        m.removed++;
      }
    } catch (error) {
      op = Promise.reject(error);
    }
    op.then(undefined, (error: unknown) => {
      m.failed++;
      this.o.logger.debug('distributed circuit state: durable store write failed', { error: String(error) });
    });
  }

  /** Arms the read on start (once). */
  start(hasPeerAnswered: () => boolean): void {
    if (this.timer !== undefined || this.disposed) return;
    this.timer = this.o.clock.setTimeout(() => {
      if (this.disposed || hasPeerAnswered()) return;
      this.restore().catch((error: unknown) => {
        this.o.metrics.durable.failed++;
        this.o.logger.warn('distributed circuit state: reading durable open circuits failed', { error: String(error) });
      });
    }, this.o.readDelayMs);
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer !== undefined) this.o.clock.clearTimeout(this.timer);
  }

  private async restore(): Promise<void> {
    const store = this.o.store();
    if (store === undefined) return;
    const m = this.o.metrics.durable;
    m.reads++;
    const entries = await store.listAsync(this.o.prefix, MAX_RESTORED);
    if (this.disposed) return;
    const wallNow = this.o.wallClock();
    const restored: CircuitStateEntry[] = [];
    for (const { key, value } of entries.slice(0, MAX_RESTORED)) {
      const entry = typeof key === 'string' && typeof value === 'string' ? this.parse(key, value, wallNow) : undefined;
      if (entry === undefined) {
        m.skipped++;
        continue;
      }
      if (this.o.apply(entry)) {
        m.restored++;
        restored.push(entry);
      }
    }
    if (restored.length > 0) this.o.announce(restored);
  }

  private parse(key: string, value: string, wallNow: number): CircuitStateEntry | undefined {
    if (!key.startsWith(this.o.prefix) || value.length > MAX_VALUE_BYTES) return undefined;
    let stored: unknown;
    try {
      stored = JSON.parse(value);
    } catch {
      return undefined;
    }
    const s = stored as { lamport?: unknown; origin?: unknown; reason?: unknown; openUntil?: unknown } | null;
    if (typeof s !== 'object' || s === null || typeof s.openUntil !== 'number' || !Number.isFinite(s.openUntil))
      return undefined;
    const remaining = s.openUntil - wallNow;
    if (remaining < 1) return undefined;
    const parsed = parseCircuitStateEntry(
      {
        strategyId: key.slice(this.o.prefix.length),
        lamport: s.lamport,
        origin: s.origin,
        state: 'open',
        remainingBreakMs: Math.min(remaining, MAX_REMAINING_BREAK_MS),
        reason: s.reason,
      },
      'stored',
    );
    return parsed.ok ? parsed.entry : undefined;
  }
}
