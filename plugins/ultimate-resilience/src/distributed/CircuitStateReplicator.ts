// Over ~350 lines on purpose: about a third is the consistency model, in TSDoc. The publisher, receiver, full-state and digest sync and
// sharing watch are in their own files; this is the wiring between them and the bus.
import { InvalidConfigurationError, SdkCompatibility, silentLogger } from '@datawarehouse/sdk';
import { validateObject, validateString } from '@datawarehouse/sdk/internals';
import type {
  BusConnectionState,
  CircuitStateChange,
  Clock,
  Disposable,
  IDurableStateStore,
  IFederatedMessageBus,
  Logger,
  PluginMessage,
} from '@datawarehouse/sdk';
import { CircuitStatePublisher } from './CircuitStatePublisher.js';
import { DEFAULT_DISTRIBUTED_OPTIONS, resolveDistributedOptions } from './DistributedOptions.js';
import type { DistributedOptions } from './DistributedOptions.js';
import { LwwRegisterMap } from './LwwRegisterMap.js';
import type { CircuitRegisterValue } from './LwwRegisterMap.js';
import { ReplicatorMetrics } from './ReplicatorMetrics.js';
import { RemoteStateReceiver } from './RemoteStateReceiver.js';
import type { ReplicatedCircuits } from './ReplicatedCircuits.js';
import type { ReplicatorMetricsReport } from './ReplicatorMetrics.js';
import { SharingWatch } from './SharingWatch.js';
import { FullStateSync } from './FullStateSync.js';
import { DigestSync } from './DigestSync.js';
import { DurableOpenCircuits } from './DurableOpenCircuits.js';
import { assertBus } from './isFederatedMessageBus.js';

export { isFederatedMessageBus } from './isFederatedMessageBus.js';

/** Options of a {@link CircuitStateReplicator}. @since 6.0.0 */
export interface CircuitStateReplicatorOptions {
  /** The circuits shared (the manager's, through `replicatedCircuitsOf(manager)`). */
  readonly circuits: ReplicatedCircuits;
  /** The node's bus; its `nodeId` is this node's id and the tie-break of its writes. */
  readonly bus: IFederatedMessageBus;
  /** `sourcePluginId` of the messages. Default `ultimate-resilience`. */
  readonly pluginId?: string;
  /** Timers and break arithmetic. Default: the circuits' clock. */
  readonly clock?: Clock;
  /**
   * Wall clock (ms since the Unix epoch) for message timestamps and the propagation lag.
   * Default `performance.timeOrigin + performance.now()` (sub-millisecond).
   */
  readonly wallClock?: () => number;
  readonly logger?: Logger;
  /**
   * The cluster's durable store, looked up when needed (`durableOpenCircuits`); typically
   * `() => ctx.services.tryResolve(DurableStateStoreToken)`. Default: none.
   */
  readonly durableStore?: () => IDurableStateStore | undefined;
  /** Randomness of the digest answers' delays, in [0, 1). Default `Math.random`. */
  readonly random?: () => number;
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
 * - Applying a remote state never re-broadcasts it (its `stateChanged` events carry origin `remote`).
 * - Sync: on {@link start} (and whenever the bus reconnects) a node publishes what it holds
 *   and asks the others for theirs; every `antiEntropyIntervalMs` it re-publishes its state.
 * - Bus down: transitions are applied locally as always and skipped on the bus; the node
 *   re-syncs when the bus reports `connected` again.
 * - Per strategy, `shareState: false` (definition or runtime override) keeps it local both
 *   ways: its local transitions are neither published nor written to its register (nor do
 *   they advance its clock), and remote states are not applied to its breaker — but they are
 *   still adopted into its register, which so keeps following the cluster. When sharing is
 *   turned back on the node re-joins: the register held (the cluster's state) is applied to
 *   the breaker, replacing what the breaker did locally meanwhile; when none is held, a
 *   breaker that is not closed is published as a new write; and a sync request asks the
 *   other nodes for anything missed. The next write anywhere then wins everywhere.
 * - Received messages are checked (envelope, size, type, payload envelope) and dropped and
 *   counted when invalid; each entry is then checked on its own, and a bad one (schema, a
 *   break over 365 days, a clock too far ahead — see `MAX_LAMPORT_STEP`) is dropped
 *   alone and counted by reason, never the rest of the message. A handler never throws.
 *   Authentication (HMAC signatures) is the transport's job (see
 *   `@datawarehouse/plugin-federation-redis`).
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
  private readonly circuits: ReplicatedCircuits;
  private readonly bus: IFederatedMessageBus;
  private readonly clock: Clock;
  private readonly wallClock: () => number;
  private readonly logger: Logger;
  private readonly registers: LwwRegisterMap;
  private readonly counters = new ReplicatorMetrics();
  private readonly publisher: CircuitStatePublisher;
  private readonly receiver: RemoteStateReceiver;
  private readonly sharing: SharingWatch;
  private readonly disposables: Disposable[] = [];
  private readonly sync: FullStateSync;
  private readonly digest: DigestSync | undefined;
  private readonly durable: DurableOpenCircuits | undefined;
  private attached = false;
  private started = false;
  private disposed = false;

  /**
   * @throws {@link InvalidConfigurationError} for missing circuits or bus, a bad plugin id,
   * clock, wall clock or `distributed.<field>`.
   */
  constructor(options: CircuitStateReplicatorOptions) {
    const o = validateObject('options', options);
    if (typeof o.circuits !== 'object' || o.circuits === null)
      throw new InvalidConfigurationError('circuits', o.circuits, 'ReplicatedCircuits');
    assertBus(o.bus);
    this.circuits = options.circuits;
    this.bus = options.bus;
    this.nodeId = validateString('bus.nodeId', options.bus.nodeId, 256);
    const pluginId = validateString('pluginId', options.pluginId ?? 'ultimate-resilience', 256);
    this.clock = options.clock ?? options.circuits.clock;
    if (typeof this.clock?.setTimeout !== 'function')
      throw new InvalidConfigurationError('clock', this.clock, 'a Clock');
    if (options.wallClock !== undefined && typeof options.wallClock !== 'function') {
      throw new InvalidConfigurationError(
        'wallClock',
        options.wallClock,
        'a function returning ms since the Unix epoch',
      );
    }
    this.wallClock = options.wallClock ?? defaultWallClock;
    this.logger = options.logger ?? silentLogger;
    this.options =
      options.options === undefined ? DEFAULT_DISTRIBUTED_OPTIONS : resolveDistributedOptions(options.options);
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
    // The receiver and the digest need each other: the digest is built below, reached lazily.
    const digestHooks = {
      onDigest: (p: Parameters<DigestSync['onDigest']>[0]) => this.digest?.onDigest(p),
      observe: (e: Parameters<DigestSync['observe']>[0]) => this.digest?.observe(e),
      afterBucketMessage: (...a: Parameters<DigestSync['afterBucketMessage']>) => this.digest?.afterBucketMessage(...a),
    };
    this.receiver = new RemoteStateReceiver({
      ...(this.options.antiEntropy === 'digest' && { digest: digestHooks }),
      circuits: this.circuits,
      registers: this.registers,
      metrics: this.counters,
      clock: this.clock,
      wallClock: this.wallClock,
      logger: this.logger,
      maxMessageBytes: this.options.maxMessageBytes,
      maxEntriesPerMessage: this.options.maxEntriesPerMessage,
      onSyncRequest: () => this.sync.scheduleSyncResponse(),
    });
    this.sharing = new SharingWatch({
      circuits: this.circuits,
      registers: this.registers,
      receiver: this.receiver,
      publisher: this.publisher,
      metrics: this.counters,
      clock: this.clock,
    });
    if (options.random !== undefined && typeof options.random !== 'function')
      throw new InvalidConfigurationError('random', options.random, 'a function returning a number in [0, 1)');
    this.digest =
      this.options.antiEntropy === 'digest'
        ? new DigestSync({
            registers: this.registers,
            sharing: this.sharing,
            publisher: this.publisher,
            metrics: this.counters,
            clock: this.clock,
            buckets: this.options.digestBuckets,
            // At least a few ms, so the first answer is heard before the others fire.
            responseDelayMs: Math.max(this.options.syncResponseDelayMs, 10) * 5,
            random: options.random ?? Math.random,
            onError: (what, error) => this.internalError(what, error),
            fullStateThreshold: this.options.maxEntriesPerMessage,
            answerWithFullState: () => this.sync.scheduleSyncResponse(),
          })
        : undefined;
    const durableStore = options.durableStore;
    this.durable =
      this.options.durableOpenCircuits && durableStore !== undefined
        ? new DurableOpenCircuits({
            store: durableStore,
            prefix: `${this.options.topic}:open:`,
            clock: this.clock,
            wallClock: this.wallClock,
            metrics: this.counters,
            logger: this.logger,
            readDelayMs: this.options.durableReadDelayMs,
            apply: (entry) => this.receiver.applyEntry(entry),
            announce: (entries) => this.publisher.fullState(entries),
          })
        : undefined;
    this.sync = new FullStateSync({
      ...(this.digest !== undefined && { digestRound: () => this.digest!.round() }),
      circuits: this.circuits,
      bus: this.bus,
      registers: this.registers,
      sharing: this.sharing,
      publisher: this.publisher,
      metrics: this.counters,
      clock: this.clock,
      wallClock: this.wallClock,
      antiEntropyIntervalMs: this.options.antiEntropyIntervalMs,
      syncResponseDelayMs: this.options.syncResponseDelayMs,
      beforeRound: () => this.checkSharing(),
      onError: (what, error) => this.internalError(what, error),
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
    if (this.disposed)
      throw new InvalidConfigurationError('replicator', 'disposed', 'a replicator that is not disposed');
    if (this.attached) return;
    const subscription = this.bus.subscribe(this.options.topic, (message) => this.onMessage(message));
    this.disposables.push(subscription);
    this.disposables.push(this.bus.onConnectionStateChange((state) => this.onConnectionState(state)));
    // Sharing may be turned back on by a runtime override or a new definition; a new runtime
    // is recorded so that a later change is seen. (Anti-entropy also looks, as a backstop.)
    this.disposables.push(
      this.circuits.watch({
        transition: (strategyId, change) => this.onLocalTransition(strategyId, change),
        sharingMayHaveChanged: () => this.checkSharing(),
        removed: (strategyId) => this.registers.delete(strategyId),
      }),
    );
    this.attached = true;
    this.sharing.check(); // records the runtimes that exist already
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
    this.durable?.start(() => this.counters.lastSyncReceivedAt !== undefined);
    this.sync.armAntiEntropy();
  }

  /**
   * Publishes this node's whole state and asks every node for theirs, now. What the
   * replicator does by itself on start and when the bus reconnects.
   */
  resync(): void {
    if (this.disposed) return;
    this.sync.resync();
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
    this.sync.dispose();
    this.digest?.dispose();
    this.durable?.dispose();
    for (const d of this.disposables.splice(0)) {
      try {
        d.dispose();
      } catch (error) {
        this.logger.warn('distributed circuit state: releasing a subscription failed', { error: String(error) });
      }
    }
  }

  private onLocalTransition(strategyId: string, change: CircuitStateChange): void {
    // A remote state applied here is the cluster's write already: never re-published.
    if (this.disposed || change.origin === 'remote') return;
    // An unshared transition stays out of the register and the clock: they keep following
    // the cluster, so that sharing turned back on re-joins it (see checkSharing).
    if (!this.sharing.isShared(strategyId)) return;
    try {
      const now = this.clock.now();
      const openUntil = change.newState === 'open' ? now + (change.breakDurationMs ?? 0) : 0;
      const value = this.registers.writeLocal(strategyId, change.newState, change.reason, openUntil);
      const at = this.wallClock();
      this.publisher.transition(LwwRegisterMap.toEntry(strategyId, value, now));
      this.counters.lastPublishedTransition = { strategyId, state: value.state, lamport: value.lamport, at };
      this.durable?.written(strategyId, value);
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

  /** Makes every strategy whose sharing was just turned back on re-join the cluster's state. */
  private checkSharing(): void {
    if (this.disposed) return;
    try {
      this.sharing.check();
    } catch (error) {
      this.internalError('re-joining after sharing was turned on', error);
    }
  }

  private internalError(what: string, error: unknown): void {
    this.counters.internalErrors++;
    this.logger.error(`distributed circuit state: error while ${what}`, { error: String(error) });
  }
}
