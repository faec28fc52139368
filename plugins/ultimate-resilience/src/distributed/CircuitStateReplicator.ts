import {
  InvalidConfigurationError, SdkCompatibility, silentLogger, validateObject, validateString,
} from '@datawarehouse/sdk';
import type {
  BusConnectionState, CircuitStateChange, Clock, Disposable, IFederatedMessageBus, Logger, PluginMessage, TimerHandle,
} from '@datawarehouse/sdk';
import type { ResilienceScalingManager } from '../scaling/ResilienceScalingManager.js';
import type { ResolvedStrategy } from '../strategies/StrategyDefinition.js';
import type { CircuitStateEntry } from './CircuitStateMessage.js';
import { CircuitStatePublisher } from './CircuitStatePublisher.js';
import { DEFAULT_DISTRIBUTED_OPTIONS, resolveDistributedOptions } from './DistributedOptions.js';
import type { DistributedOptions } from './DistributedOptions.js';
import { LwwRegisterMap } from './LwwRegisterMap.js';
import type { CircuitRegisterValue } from './LwwRegisterMap.js';
import { ReplicatorMetrics } from './ReplicatorMetrics.js';
import { RemoteStateReceiver } from './RemoteStateReceiver.js';
import type { ReplicatorMetricsReport } from './ReplicatorMetrics.js';

/** Options of a {@link CircuitStateReplicator}. @since 6.0.0 */
export interface CircuitStateReplicatorOptions {
  /** The manager whose circuits are shared. */
  readonly manager: ResilienceScalingManager;
  /** The node's bus; its `nodeId` is this node's id and the tie-break of its writes. */
  readonly bus: IFederatedMessageBus;
  /** `sourcePluginId` of the messages. Default `ultimate-resilience`. */
  readonly pluginId?: string;
  /** Timers and break arithmetic. Default: the manager's clock. */
  readonly clock?: Clock;
  /**
   * Wall clock (ms since the Unix epoch) for message timestamps and the propagation lag.
   * Default `performance.timeOrigin + performance.now()` (sub-millisecond).
   */
  readonly wallClock?: () => number;
  readonly logger?: Logger;
  /** The `distributed` section (validated here). */
  readonly options?: Partial<DistributedOptions>;
}

const defaultWallClock = (): number => performance.timeOrigin + performance.now();

/**
 * Shares every strategy's circuit state with the other nodes over an
 * {@link IFederatedMessageBus}, on transitions only — nothing touches the bus on the call path.
 *
 * **Consistency model.** Each strategy's state is a last-writer-wins register
 * ({@link LwwRegisterMap}) ordered by `(lamport, nodeId)`. A local transition is a write with
 * the strategy's Lamport clock + 1; a remote write is adopted — and applied to the local
 * breaker — only when its version is greater. Delivery is at-most-once and unordered, so
 * nodes may disagree for a while; once every node has received the same writes (which
 * anti-entropy guarantees after a partition heals), all hold the same winner. Concurrent
 * writes are resolved by version, not by wall time: the "last" writer is the one with the
 * higher clock, then the greater node id.
 *
 * - A remote `open` trips the local breaker for the break that was *left* when it was sent
 *   (relative: clocks differ; transit time is not subtracted, so it may end a few ms late).
 * - A remote `closed` resets it; `isolated` holds it; `half-open` ends the local break so this
 *   node probes too (see {@link applyRemoteState}). `open → half-open` is lazy on every node,
 *   so each node may also publish its own half-open when its break elapses; they tie-break.
 * - Applying a remote state never re-broadcasts it (its `stateChanged` events are suppressed).
 * - Sync: on {@link start} (and whenever the bus reconnects) a node publishes what it holds
 *   and asks the others for theirs; every `antiEntropyIntervalMs` it re-publishes its state.
 * - Bus down: transitions are applied locally as always and skipped on the bus; the node
 *   re-syncs when the bus reports `connected` again.
 * - Per strategy, `shareState: false` (definition or runtime override) keeps it local both ways.
 * - Received messages are checked (envelope, strict payload schema, size, type) and dropped
 *   and counted when invalid; a handler never throws. Authentication (HMAC signatures) is
 *   the transport's job (see `@datawarehouse/plugin-federation-redis`).
 *
 * @example
 * ```ts
 * const replicator = new CircuitStateReplicator({ manager, bus: ctx.bus, clock: ctx.clock });
 * replicator.start(); // subscribe, ask for the cluster's state, arm anti-entropy
 * // ... later
 * replicator.dispose();
 * ```
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class CircuitStateReplicator {
  /** This node's id (the bus's). */
  readonly nodeId: string;
  /** The resolved options in force. */
  readonly options: DistributedOptions;
  private readonly manager: ResilienceScalingManager;
  private readonly bus: IFederatedMessageBus;
  private readonly clock: Clock;
  private readonly wallClock: () => number;
  private readonly logger: Logger;
  private readonly registers: LwwRegisterMap;
  private readonly counters = new ReplicatorMetrics();
  private readonly publisher: CircuitStatePublisher;
  private readonly receiver: RemoteStateReceiver;
  private readonly disposables: Disposable[] = [];
  private antiEntropyTimer: TimerHandle | undefined;
  private syncResponseTimer: TimerHandle | undefined;
  /** `clock.now()` of the last full-state publish (rate-limits sync answers). */
  private lastFullStateAt: number | undefined;
  private attached = false;
  private started = false;
  private disposed = false;

  /**
   * @throws {@link InvalidConfigurationError} for a missing manager or bus, a bad plugin id,
   * clock, wall clock or `distributed.<field>`.
   */
  constructor(options: CircuitStateReplicatorOptions) {
    const o = validateObject('options', options);
    if (typeof o.manager !== 'object' || o.manager === null) throw new InvalidConfigurationError('manager', o.manager, 'a ResilienceScalingManager');
    assertBus(o.bus);
    this.manager = options.manager;
    this.bus = options.bus;
    this.nodeId = validateString('bus.nodeId', options.bus.nodeId, 256);
    const pluginId = validateString('pluginId', options.pluginId ?? 'ultimate-resilience', 256);
    this.clock = options.clock ?? options.manager.clock;
    if (typeof this.clock?.setTimeout !== 'function') throw new InvalidConfigurationError('clock', this.clock, 'a Clock');
    if (options.wallClock !== undefined && typeof options.wallClock !== 'function') {
      throw new InvalidConfigurationError('wallClock', options.wallClock, 'a function returning ms since the Unix epoch');
    }
    this.wallClock = options.wallClock ?? defaultWallClock;
    this.logger = options.logger ?? silentLogger;
    this.options = options.options === undefined ? DEFAULT_DISTRIBUTED_OPTIONS : resolveDistributedOptions(options.options);
    this.registers = new LwwRegisterMap(this.nodeId);
    this.publisher = new CircuitStatePublisher({
      bus: this.bus,
      topic: this.options.topic,
      nodeId: this.nodeId,
      pluginId,
      maxMessageBytes: this.options.maxMessageBytes,
      maxEntriesPerMessage: this.options.maxEntriesPerMessage,
      wallClock: this.wallClock,
      metrics: this.counters,
      logger: this.logger,
    });
    this.receiver = new RemoteStateReceiver({
      manager: this.manager,
      registers: this.registers,
      metrics: this.counters,
      clock: this.clock,
      wallClock: this.wallClock,
      logger: this.logger,
      maxMessageBytes: this.options.maxMessageBytes,
      maxEntriesPerMessage: this.options.maxEntriesPerMessage,
      onSyncRequest: () => this.scheduleSyncResponse(),
    });
  }

  /** Whether {@link start} ran and {@link dispose} did not. */
  get isStarted(): boolean {
    return this.started && !this.disposed;
  }

  /** The register of a strategy on this node (for tests and diagnostics). */
  registerOf(strategyId: string): CircuitRegisterValue | undefined {
    return this.registers.get(strategyId);
  }

  /**
   * Starts listening: local transitions are published, remote states applied. Idempotent.
   * Does not sync; {@link start} does (and attaches first when needed).
   * @throws {@link InvalidConfigurationError} after {@link dispose}; whatever the bus's `subscribe` throws.
   */
  attach(): void {
    if (this.disposed) throw new InvalidConfigurationError('replicator', 'disposed', 'a replicator that is not disposed');
    if (this.attached) return;
    const subscription = this.bus.subscribe(this.options.topic, (message) => this.onMessage(message));
    this.disposables.push(subscription);
    this.disposables.push(this.bus.onConnectionStateChange((state) => this.onConnectionState(state)));
    const onChange = (strategyId: string, change: CircuitStateChange): void => this.onLocalTransition(strategyId, change);
    const onRemoved = (strategy: ResolvedStrategy): void => this.registers.delete(strategy.id);
    this.manager.events.on('circuitStateChanged', onChange);
    this.manager.registry.events.on('removed', onRemoved);
    this.disposables.push({
      dispose: () => {
        this.manager.events.off('circuitStateChanged', onChange);
        this.manager.registry.events.off('removed', onRemoved);
      },
    });
    this.attached = true;
  }

  /**
   * Attaches (if needed), publishes this node's state and asks the other nodes for theirs
   * (unless `syncOnStart` is off), and arms anti-entropy. Idempotent.
   * @throws {@link InvalidConfigurationError} after {@link dispose}.
   */
  start(): void {
    this.attach();
    if (this.started) return;
    this.started = true;
    if (this.options.syncOnStart) this.resync();
    this.armAntiEntropy();
  }

  /**
   * Publishes this node's whole state and asks every node for theirs, now. What the
   * replicator does by itself on start and when the bus reconnects.
   */
  resync(): void {
    if (this.disposed) return;
    this.publishFullState();
    this.publisher.syncRequest();
  }

  /** The `distributed` metrics. */
  metrics(): ReplicatorMetricsReport {
    return this.counters.report({
      enabled: true,
      nodeId: this.nodeId,
      topic: this.options.topic,
      started: this.isStarted,
      connectionState: this.bus.connectionState,
      registers: this.registers.size,
    });
  }

  /** Releases the subscription, the listeners and both timers. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.antiEntropyTimer !== undefined) this.clock.clearTimeout(this.antiEntropyTimer);
    if (this.syncResponseTimer !== undefined) this.clock.clearTimeout(this.syncResponseTimer);
    this.antiEntropyTimer = this.syncResponseTimer = undefined;
    for (const d of this.disposables.splice(0)) {
      try {
        d.dispose();
      } catch (error) {
        this.logger.warn('distributed circuit state: releasing a subscription failed', { error: String(error) });
      }
    }
  }

  private onLocalTransition(strategyId: string, change: CircuitStateChange): void {
    // Events of a breaker a remote state is being applied to are not local transitions.
    if (this.disposed || this.receiver.applying === strategyId) return;
    try {
      const now = this.clock.now();
      const openUntil = change.newState === 'open' ? now + (change.breakDurationMs ?? 0) : 0;
      const value = this.registers.writeLocal(strategyId, change.newState, change.reason, openUntil);
      if (!this.isShared(strategyId)) return;
      this.publisher.transition(LwwRegisterMap.toEntry(strategyId, value, now));
    } catch (error) {
      this.internalError('publishing a transition', error);
    }
  }

  private onMessage(message: PluginMessage): void {
    if (this.disposed) return;
    try {
      if (typeof message === 'object' && message !== null && message.sourceNodeId === this.nodeId) return;
      this.receiver.receive(message);
    } catch (error) {
      this.internalError('handling a message', error);
    }
  }

  private onConnectionState(state: BusConnectionState): void {
    if (this.disposed || state !== 'connected' || !this.started) return;
    try {
      this.counters.resyncs++;
      this.logger.info('distributed circuit state: bus reconnected, re-syncing', { registers: this.registers.size });
      this.resync();
    } catch (error) {
      this.internalError('re-syncing', error);
    }
  }

  private scheduleSyncResponse(): void {
    if (this.syncResponseTimer !== undefined || this.disposed) return;
    // Every request arriving while an answer is pending shares it, and the next answer is
    // armed only after it went out, so a flood of requests costs at most one full publish per
    // `syncResponseDelayMs`. A full state already published since the first request (anti-
    // entropy, a resync) answers it: the timer then publishes nothing.
    const requestedAt = this.clock.now();
    const delay = this.options.syncResponseDelayMs;
    this.syncResponseTimer = this.clock.setTimeout(() => {
      this.syncResponseTimer = undefined;
      try {
        if (this.lastFullStateAt !== undefined && this.lastFullStateAt > requestedAt) return;
        this.publishFullState();
      } catch (error) {
        this.internalError('answering a sync request', error);
      }
    }, delay);
  }

  private armAntiEntropy(): void {
    const interval = this.options.antiEntropyIntervalMs;
    if (interval === 0 || this.disposed) return;
    this.antiEntropyTimer = this.clock.setTimeout(() => {
      this.antiEntropyTimer = undefined;
      try {
        if (this.bus.connectionState === 'connected') {
          this.counters.antiEntropyRounds++;
          this.publishFullState();
        }
      } catch (error) {
        this.internalError('anti-entropy', error);
      } finally {
        this.armAntiEntropy();
      }
    }, interval);
  }

  /** Publishes every shared register (split into messages by the publisher). */
  private publishFullState(): void {
    // Reading each breaker's state first runs any lazy open → half-open transition (a local
    // write, published as such), so what is sent is current.
    for (const id of [...this.registers.entries()].map(([strategyId]) => strategyId)) {
      if (this.isShared(id)) void this.manager.activeRuntimes().get(id)?.breaker?.state;
    }
    const now = this.clock.now();
    this.lastFullStateAt = now;
    const entries: CircuitStateEntry[] = [];
    for (const [id, value] of this.registers.entries()) {
      if (this.isShared(id)) entries.push(LwwRegisterMap.toEntry(id, value, now));
    }
    if (this.publisher.fullState(entries)) this.counters.lastSyncSentAt = this.wallClock();
  }

  private isShared(strategyId: string): boolean {
    const runtime = this.manager.activeRuntimes().get(strategyId);
    return runtime !== undefined && runtime.options.shareState && runtime.breaker !== undefined;
  }

  private internalError(what: string, error: unknown): void {
    this.counters.internalErrors++;
    this.logger.error(`distributed circuit state: error while ${what}`, { error: String(error) });
  }
}

function assertBus(bus: unknown): asserts bus is IFederatedMessageBus {
  if (!isFederatedMessageBus(bus)) throw new InvalidConfigurationError('bus', bus, 'an IFederatedMessageBus');
}

/**
 * True when `bus` has the members of an {@link IFederatedMessageBus} (the plugin shares
 * circuit state only when the host gave it one).
 * @since 6.0.0
 */
export function isFederatedMessageBus(bus: unknown): bus is IFederatedMessageBus {
  if (typeof bus !== 'object' || bus === null) return false;
  const b = bus as Record<string, unknown>;
  return typeof b.nodeId === 'string' && typeof b.publishToAllNodes === 'function' && typeof b.subscribe === 'function' &&
    typeof b.onConnectionStateChange === 'function';
}
