import { SdkCompatibility } from '../compat/SdkCompatibility.js';
import { InvalidConfigurationError } from '../errors/errors.js';
import { BusClosedError } from './BusClosedError.js';
import type { BusClosedReason } from './BusClosedError.js';
import type { Disposable } from '../di/ServiceToken.js';
import type {
  BusConnectionState,
  IFederatedMessageBus,
  MessageHandler,
  PluginMessage,
} from './IFederatedMessageBus.js';
import { validatePluginMessage, validateTopic } from './validatePluginMessage.js';

/**
 * What a bus needs from the federation that created it.
 * @internal Implemented by `InMemoryFederation`; not part of the public API.
 */
export interface FederationRouter {
  /** Takes a validated message onto the simulated network; throws when it cannot be cloned. */
  route(source: InMemoryMessageBus, topic: string, message: PluginMessage, toAllNodes: boolean): void;
  /** Counts and reports an error thrown by a handler or listener of `nodeId`. */
  reportHandlerError(error: unknown, topic: string, nodeId: string): void;
}

/** Topic reported to the error hook for a connection-state listener that threw. @since 6.0.0 */
export const CONNECTION_STATE_TOPIC = '$connection-state';

interface Subscription extends Disposable {
  active: boolean;
  readonly handler: MessageHandler;
}

const RESOLVED: Promise<void> = Promise.resolve();

/**
 * One node's {@link IFederatedMessageBus} inside an `InMemoryFederation`. Created by
 * `InMemoryFederation.createNode`, never directly. Delivery is always asynchronous; handlers
 * receive their own structured clone of the message.
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class InMemoryMessageBus implements IFederatedMessageBus {
  // Copy-on-write arrays: a delivery iterates the array it started with, so subscribing or
  // unsubscribing from inside a handler never disturbs it and costs the hot path nothing.
  private readonly subscriptions = new Map<string, Subscription[]>();
  private readonly listeners = new Set<(state: BusConnectionState) => void>();
  private state: BusConnectionState = 'connected';
  private closedReason: BusClosedReason | undefined;

  /** @internal Called by `InMemoryFederation.createNode`. */
  constructor(
    readonly nodeId: string,
    private readonly router: FederationRouter,
  ) {}

  /** `connected`, or `disconnected` after `InMemoryFederation.disconnect` or once closed. */
  get connectionState(): BusConnectionState {
    return this.state;
  }

  /** True once the node was removed or its federation disposed. */
  get closed(): boolean {
    return this.closedReason !== undefined;
  }

  /**
   * Delivers `message` to this node's subscribers of `topic` only (asynchronously, never
   * faulted). Resolves once the message is queued, not when handlers finish.
   * @throws {@link InvalidConfigurationError} (as a rejection) for a bad topic, envelope or
   * non-cloneable payload; {@link BusClosedError} when the bus is closed.
   */
  publish(topic: string, message: PluginMessage): Promise<void> {
    return this.send(topic, message, false);
  }

  /**
   * Delivers `message` to the subscribers of `topic` on every node this one can reach,
   * itself included, subject to the federation's faults and partitions. Resolves once the
   * message is handed to the simulated network.
   * @throws {@link InvalidConfigurationError} (as a rejection) for a bad topic, envelope or
   * non-cloneable payload; {@link BusClosedError} when the bus is closed.
   */
  publishToAllNodes(topic: string, message: PluginMessage): Promise<void> {
    return this.send(topic, message, true);
  }

  /**
   * Calls `handler` for each message delivered to this node on `topic`. The returned
   * disposable is idempotent; disposing it during a delivery stops the handler from seeing
   * the rest of that delivery.
   * @throws {@link InvalidConfigurationError} for a bad topic or a non-function handler;
   * {@link BusClosedError} when the bus is closed.
   */
  subscribe(topic: string, handler: MessageHandler): Disposable {
    this.assertOpen();
    validateTopic(topic);
    if (typeof handler !== 'function') throw new InvalidConfigurationError('handler', handler, 'a function');
    const subs = this.subscriptions;
    const sub: Subscription = {
      active: true,
      handler,
      dispose(): void {
        if (!sub.active) return;
        sub.active = false;
        const current = subs.get(topic);
        if (current === undefined) return;
        const rest = current.filter((s) => s !== sub);
        if (rest.length === 0) subs.delete(topic);
        else subs.set(topic, rest);
      },
    };
    const current = subs.get(topic);
    subs.set(topic, current === undefined ? [sub] : [...current, sub]);
    return sub;
  }

  /**
   * Calls `listener` (synchronously) on every change of {@link connectionState}. A listener
   * that throws is isolated and reported to the federation's error hook with topic
   * {@link CONNECTION_STATE_TOPIC}. The returned disposable is idempotent.
   * @throws {@link InvalidConfigurationError} when `listener` is not a function;
   * {@link BusClosedError} when the bus is closed.
   */
  onConnectionStateChange(listener: (state: BusConnectionState) => void): Disposable {
    this.assertOpen();
    if (typeof listener !== 'function') throw new InvalidConfigurationError('listener', listener, 'a function');
    this.listeners.add(listener);
    return { dispose: () => void this.listeners.delete(listener) };
  }

  /** Number of active subscriptions on `topic` (all topics when omitted). */
  subscriberCount(topic?: string): number {
    if (topic !== undefined) return this.subscriptions.get(topic)?.length ?? 0;
    let n = 0;
    for (const subs of this.subscriptions.values()) n += subs.length;
    return n;
  }

  /** @internal Runs this node's handlers of `topic` for a delivered message. */
  dispatch(topic: string, message: PluginMessage): void {
    const subs = this.subscriptions.get(topic);
    if (subs === undefined) return;
    for (const sub of subs) {
      if (!sub.active) continue;
      try {
        // Optional chaining also covers plain-JS handlers that return null or a non-promise.
        const result = sub.handler(message, topic) as Promise<void> | null | undefined;
        if (typeof result?.then === 'function') {
          result.then(undefined, (err: unknown) => this.router.reportHandlerError(err, topic, this.nodeId));
        }
      } catch (err) {
        this.router.reportHandlerError(err, topic, this.nodeId);
      }
    }
  }

  /** @internal Sets the connection state and notifies listeners when it changed. */
  setConnectionState(state: BusConnectionState): void {
    if (this.state === state) return;
    this.state = state;
    for (const listener of [...this.listeners]) {
      // Skip a listener disposed by an earlier one during this same notification.
      if (!this.listeners.has(listener)) continue;
      try {
        listener(state);
      } catch (err) {
        this.router.reportHandlerError(err, CONNECTION_STATE_TOPIC, this.nodeId);
      }
    }
  }

  /** @internal Ends every subscription, reports `disconnected`, then drops the listeners. */
  close(reason: BusClosedReason): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    for (const subs of this.subscriptions.values()) for (const sub of subs) sub.active = false;
    this.subscriptions.clear();
    this.setConnectionState('disconnected');
    this.listeners.clear();
  }

  private send(topic: string, message: PluginMessage, toAllNodes: boolean): Promise<void> {
    try {
      this.assertOpen();
      validateTopic(topic);
      validatePluginMessage(message);
      this.router.route(this, topic, message, toAllNodes);
      return RESOLVED;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private assertOpen(): void {
    if (this.closedReason !== undefined) throw new BusClosedError(this.nodeId, this.closedReason);
  }
}
