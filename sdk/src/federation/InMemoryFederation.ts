// Over ~300 lines on purpose: the federation's fault injection (delay, drop, duplicate, reorder, partition, disconnect) is one
// seeded decision per delivery. Delivery scheduling, the partition table and the bus are in their own files.
import { SdkCompatibility } from '../compat/SdkCompatibility.js';
import { InvalidConfigurationError } from '../errors/errors.js';
import { rejectUnknownKeys, validateObject, validateString } from '../config/validate.js';
import { systemClock } from '../time/Clock.js';
import type { Clock } from '../time/Clock.js';
import type { PluginMessage } from './IFederatedMessageBus.js';
import { BusClosedError } from './BusClosedError.js';
import { DeliveryScheduler, createShipment } from './DeliveryScheduler.js';
import type { Delivery, Shipment } from './DeliveryScheduler.js';
import { NO_FAULTS, resolveFederationFaults } from './FederationFaults.js';
import type { FederationFaults, ResolvedFederationFaults } from './FederationFaults.js';
import { InMemoryMessageBus } from './InMemoryMessageBus.js';
import type { FederationRouter } from './InMemoryMessageBus.js';
import { PartitionTable } from './PartitionTable.js';
import { SeededRandom } from './SeededRandom.js';

export { InMemoryMessageBus, CONNECTION_STATE_TOPIC } from './InMemoryMessageBus.js';
export * from './BusClosedError.js';
export * from './FederationFaults.js';
export * from './SeededRandom.js';
export * from './validatePluginMessage.js';

/** Options of {@link InMemoryFederation}. @since 6.0.0 */
export interface InMemoryFederationOptions {
  /** Source of time and delivery timers. Default {@link systemClock}. */
  readonly clock?: Clock;
  /** Seed of every random fault decision (integer in `[0, 2^32 - 1]`). Default `1`. */
  readonly seed?: number;
  /**
   * Called when a handler throws or rejects (or a connection-state listener throws). Default:
   * ignore (the error is still counted). An error thrown by this hook is swallowed.
   */
  readonly onHandlerError?: (error: unknown, topic: string, nodeId: string) => void;
}

/** Counters of an {@link InMemoryFederation}; one "delivery" is one message reaching one node. @since 6.0.0 */
export interface FederationStatistics {
  /** Messages accepted by `publish`/`publishToAllNodes`. */
  readonly published: number;
  /** Deliveries that reached a node (and ran its handlers of the topic, if any). */
  readonly delivered: number;
  /** Deliveries lost to `dropRate`. */
  readonly droppedByFault: number;
  /** Deliveries lost because the receiver was unreachable (partition, disconnect, removed node). */
  readonly droppedByPartition: number;
  /** Extra copies scheduled by `duplicateRate`. */
  readonly duplicated: number;
  /** Handler (and connection-state listener) errors caught. */
  readonly handlerErrors: number;
  /** Deliveries scheduled and not yet delivered or dropped. */
  readonly pendingDeliveries: number;
}

const OPTION_KEYS = ['clock', 'seed', 'onHandlerError'] as const;

/**
 * A cluster of message-bus nodes inside one process: the embedded default transport, and a
 * deterministic network simulator for tests (latency, loss, duplication, reordering,
 * partitions, disconnections).
 *
 * - Delivery is always asynchronous: a zero-delay hop via `queueMicrotask` (no timer latency),
 *   a delayed one via `clock.setTimeout`, so a {@link VirtualClock} drives it in virtual time.
 * - Each node receives its own `structuredClone` of the message, taken at publish time: the
 *   sender may mutate its object afterwards, receivers cannot affect each other.
 * - Faults apply only between different nodes; a node's delivery to itself is never faulted.
 * - Reachability is checked when a message is sent and again when it arrives: a message in
 *   flight to (or from) a node that got partitioned away, disconnected or removed is dropped.
 * - `connectionState` follows {@link disconnect}/{@link reconnect} (and removal) only, not partitions.
 * - Every random decision comes from one {@link SeededRandom}: the same seed and the same
 *   sequence of calls give the same deliveries.
 *
 * @example
 * ```ts
 * const clock = new VirtualClock();
 * const federation = new InMemoryFederation({ clock, seed: 7 });
 * const a = federation.createNode('a');
 * const b = federation.createNode('b');
 * b.subscribe('dw.test', (msg) => console.log(msg.payload));
 * federation.setFaults({ minDelayMs: 5, maxDelayMs: 20, dropRate: 0.1 });
 * await a.publishToAllNodes('dw.test', createPluginMessage('ping', 1, { nodeId: 'a', pluginId: 'p' }));
 * await clock.advanceAsync(20);
 * ```
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class InMemoryFederation {
  private readonly clock: Clock;
  private readonly random: SeededRandom;
  private readonly onHandlerError: InMemoryFederationOptions['onHandlerError'];
  private readonly nodeMap = new Map<string, InMemoryMessageBus>();
  private readonly scheduler: DeliveryScheduler;
  private readonly router: FederationRouter;
  private currentFaults: ResolvedFederationFaults = NO_FAULTS;
  private readonly partitions = new PartitionTable();
  private disposed = false;
  private readonly stats = {
    published: 0,
    delivered: 0,
    droppedByFault: 0,
    droppedByPartition: 0,
    duplicated: 0,
    handlerErrors: 0,
  };

  /**
   * @param options - see {@link InMemoryFederationOptions}; defaults: system clock, seed `1`, errors ignored.
   * @throws {@link InvalidConfigurationError} for an unknown option, a clock without
   * `now`/`setTimeout`/`clearTimeout`, a bad seed or a non-function hook.
   */
  constructor(options: InMemoryFederationOptions = {}) {
    const o = validateObject('options', options);
    rejectUnknownKeys('', o, OPTION_KEYS);
    this.clock = options.clock === undefined ? systemClock : validateClock(options.clock);
    this.random = new SeededRandom(options.seed ?? 1);
    if (options.onHandlerError !== undefined && typeof options.onHandlerError !== 'function') {
      throw new InvalidConfigurationError('onHandlerError', options.onHandlerError, 'a function');
    }
    this.onHandlerError = options.onHandlerError;
    this.scheduler = new DeliveryScheduler(this.clock, (d) => this.arrive(d));
    this.router = {
      route: (source, topic, message, toAllNodes) => this.route(source, topic, message, toAllNodes),
      reportHandlerError: (error, topic, nodeId) => this.reportHandlerError(error, topic, nodeId),
    };
  }

  /** The nodes, in creation order. */
  get nodes(): readonly InMemoryMessageBus[] {
    return [...this.nodeMap.values()];
  }

  /** The fault settings in force ({@link NO_FAULTS} unless {@link setFaults} was called). */
  get faults(): ResolvedFederationFaults {
    return this.currentFaults;
  }

  /** Deliveries scheduled and not yet delivered or dropped. */
  get pendingDeliveries(): number {
    return this.scheduler.pending;
  }

  /**
   * Adds a node and returns its bus (connected, reachable unless a partition says otherwise).
   * @throws {@link InvalidConfigurationError} for a bad or duplicate `nodeId`;
   * {@link BusClosedError} after {@link dispose}.
   */
  createNode(nodeId: string): InMemoryMessageBus {
    if (this.disposed) throw new BusClosedError(String(nodeId), 'disposed');
    validateString('nodeId', nodeId, 256);
    if (this.nodeMap.has(nodeId)) {
      throw new InvalidConfigurationError('nodeId', nodeId, 'an id not already used by a node of this federation');
    }
    const bus = new InMemoryMessageBus(nodeId, this.router);
    this.nodeMap.set(nodeId, bus);
    return bus;
  }

  /** The bus of `nodeId`, or `undefined` when there is no such node. */
  getNode(nodeId: string): InMemoryMessageBus | undefined {
    return this.nodeMap.get(nodeId);
  }

  /**
   * Removes a node: its subscriptions end, its state becomes `disconnected` (listeners are told),
   * its bus rejects further use with {@link BusClosedError}, and messages in flight to or from it
   * are dropped on arrival.
   * @throws {@link InvalidConfigurationError} when there is no such node.
   */
  removeNode(nodeId: string): void {
    const bus = this.requireNode(nodeId);
    this.nodeMap.delete(nodeId);
    this.partitions.forget(nodeId);
    this.scheduler.forget(bus);
    bus.close('removed');
  }

  /**
   * Replaces the fault settings (omitted fields mean "no fault", they are not kept from before).
   * Applies to messages sent from now on; messages in flight keep their schedule.
   * @throws {@link InvalidConfigurationError} naming the field, e.g. `faults.dropRate`.
   */
  setFaults(faults: FederationFaults): void {
    this.currentFaults = resolveFederationFaults(faults);
  }

  /** Back to a healthy network ({@link NO_FAULTS}). */
  clearFaults(): void {
    this.currentFaults = NO_FAULTS;
  }

  /**
   * Splits the cluster: nodes in different groups cannot reach each other. Nodes not listed
   * (including nodes created later) together form one more group. Replaces any earlier partition.
   * @throws {@link InvalidConfigurationError} naming `groups[i][j]` for an unknown node id or one
   * listed in two groups.
   */
  partition(groups: readonly (readonly string[])[]): void {
    this.partitions.set(groups, (id) => this.nodeMap.has(id));
  }

  /** Ends any partition. */
  heal(): void {
    this.partitions.heal();
  }

  /**
   * Cuts a node off: it reaches only itself, nobody reaches it, its `connectionState` becomes
   * `disconnected` and its listeners are told (no-op when already disconnected).
   * @throws {@link InvalidConfigurationError} when there is no such node.
   */
  disconnect(nodeId: string): void {
    this.requireNode(nodeId).setConnectionState('disconnected');
  }

  /**
   * Undoes {@link disconnect}: `connectionState` becomes `connected` and listeners are told.
   * @throws {@link InvalidConfigurationError} when there is no such node.
   */
  reconnect(nodeId: string): void {
    this.requireNode(nodeId).setConnectionState('connected');
  }

  /**
   * Whether a message sent now from `fromNodeId` would reach `toNodeId` (always true for itself).
   * @throws {@link InvalidConfigurationError} when either node does not exist.
   */
  isReachable(fromNodeId: string, toNodeId: string): boolean {
    return this.canReach(this.requireNode(fromNodeId), this.requireNode(toNodeId));
  }

  /** A snapshot of the counters. */
  getStatistics(): FederationStatistics {
    return Object.freeze({ ...this.stats, pendingDeliveries: this.scheduler.pending });
  }

  /**
   * Resolves once no delivery is pending (handlers have been called; their async work is not
   * awaited). For the real clock; with a {@link VirtualClock} delayed deliveries only happen
   * when the test advances the clock, so advance it (`runAllAsync`) instead of awaiting this.
   */
  settle(): Promise<void> {
    return this.scheduler.settle();
  }

  /**
   * Cancels every pending delivery (and its timer), closes every node (their buses reject
   * further use with {@link BusClosedError}) and resolves {@link settle}. Idempotent.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.scheduler.dispose();
    const buses = [...this.nodeMap.values()];
    this.nodeMap.clear();
    for (const bus of buses) bus.close('disposed');
  }

  private route(source: InMemoryMessageBus, topic: string, message: PluginMessage, toAllNodes: boolean): void {
    const shipment = createShipment(topic, message);
    this.stats.published++;
    if (!toAllNodes) {
      this.scheduler.now(shipment, source, source);
      return;
    }
    const f = this.currentFaults;
    for (const target of this.nodeMap.values()) {
      if (target === source) {
        this.scheduler.now(shipment, source, source);
      } else if (!this.canReach(source, target)) {
        this.stats.droppedByPartition++;
      } else if (this.random.chance(f.dropRate)) {
        this.stats.droppedByFault++;
      } else {
        this.hop(shipment, source, target, f);
        if (this.random.chance(f.duplicateRate)) {
          this.stats.duplicated++;
          this.hop(shipment, source, target, f);
        }
      }
    }
  }

  private hop(
    shipment: Shipment,
    source: InMemoryMessageBus,
    target: InMemoryMessageBus,
    f: ResolvedFederationFaults,
  ): void {
    let delay = f.minDelayMs;
    if (f.maxDelayMs > f.minDelayMs) delay += this.random.next() * (f.maxDelayMs - f.minDelayMs);
    if (f.reorder) delay += this.random.next() * f.reorderWindowMs;
    this.scheduler.later(shipment, source, target, delay, !f.reorder);
  }

  private arrive(d: Delivery): void {
    if (!this.canReach(d.source, d.target)) {
      this.stats.droppedByPartition++;
      return;
    }
    this.stats.delivered++;
    const s = d.shipment;
    d.target.dispatch(s.topic, s.remaining === 0 ? s.wire : structuredClone(s.wire));
  }

  private canReach(source: InMemoryMessageBus, target: InMemoryMessageBus): boolean {
    if (target.closed) return false;
    if (source === target) return true;
    if (source.connectionState === 'disconnected' || target.connectionState === 'disconnected') return false;
    return this.partitions.sameSide(source.nodeId, target.nodeId);
  }

  private reportHandlerError(error: unknown, topic: string, nodeId: string): void {
    this.stats.handlerErrors++;
    if (this.onHandlerError === undefined) return;
    try {
      this.onHandlerError(error, topic, nodeId);
    } catch {
      // The hook runs inside message delivery; letting it throw would break the bus's isolation.
    }
  }

  private requireNode(nodeId: string): InMemoryMessageBus {
    const bus = this.nodeMap.get(nodeId);
    if (bus === undefined) throw new InvalidConfigurationError('nodeId', nodeId, 'the id of a node of this federation');
    return bus;
  }
}

function validateClock(clock: unknown): Clock {
  const c = validateObject('clock', clock);
  for (const key of ['now', 'setTimeout', 'clearTimeout'] as const) {
    if (typeof c[key] !== 'function') throw new InvalidConfigurationError(`clock.${key}`, c[key], 'a function');
  }
  return clock as Clock;
}
