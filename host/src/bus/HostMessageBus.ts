import { BusClosedError, InvalidConfigurationError, SdkCompatibility, silentLogger } from '@datawarehouse/sdk';
import { validateString } from '@datawarehouse/sdk/internals';
import type {
  BusConnectionState,
  Disposable,
  IFederatedMessageBus,
  Logger,
  MessageHandler,
  PluginMessage,
} from '@datawarehouse/sdk';

interface MovableSubscription {
  readonly topic: string;
  readonly handler: MessageHandler;
  inner: Disposable | undefined;
}

/**
 * The node's bus as every plugin sees it: a host-owned proxy over the current transport (the
 * embedded in-memory node by default). {@link HostMessageBus.provide} switches transports:
 * every existing subscription moves to the new one, and later ones go there directly, so
 * plugins keep the `ctx.bus` they were given.
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class HostMessageBus implements IFederatedMessageBus {
  private transport: IFederatedMessageBus;
  private provider: string | undefined;
  private readonly subscriptions = new Set<MovableSubscription>();
  private readonly listeners = new Set<(state: BusConnectionState) => void>();
  private lastState: BusConnectionState;
  private transportListener: Disposable;
  /** Ids of messages published through this proxy on the current transport to a topic it listens to, not yet seen back. */
  private readonly inFlight = new Map<string, string>();
  /** Subscriptions by topic, so tracking a publish costs one lookup. */
  private readonly topicCounts = new Map<string, number>();
  /** Subscriptions on a previous transport, kept until the messages in flight on it arrive. */
  private retired: Disposable[] = [];
  private retiring = false;
  private disposed = false;

  /**
   * @param initial - the embedded transport; its `nodeId` is the node's id.
   * @param logger - receives listener errors and transport changes.
   */
  constructor(
    initial: IFederatedMessageBus,
    private readonly logger: Logger = silentLogger,
  ) {
    this.transport = initial;
    this.lastState = initial.connectionState;
    this.transportListener = initial.onConnectionStateChange((s) => this.onTransportState(s));
  }

  get nodeId(): string {
    return this.transport.nodeId;
  }

  get connectionState(): BusConnectionState {
    return this.transport.connectionState;
  }

  /** The current transport (for diagnostics). */
  get currentTransport(): IFederatedMessageBus {
    return this.transport;
  }

  /** Id of the plugin that provided the current transport, or `undefined` for the embedded one. */
  get providedBy(): string | undefined {
    return this.provider;
  }

  publish(topic: string, message: PluginMessage): Promise<void> {
    return this.tracked(topic, message, this.transport.publish(topic, message));
  }

  publishToAllNodes(topic: string, message: PluginMessage): Promise<void> {
    return this.tracked(topic, message, this.transport.publishToAllNodes(topic, message));
  }

  /**
   * Subscribes through the current transport; the subscription follows transport changes.
   * @throws {@link InvalidConfigurationError} for a bad topic or handler;
   * {@link BusClosedError} after {@link HostMessageBus.dispose}.
   */
  subscribe(topic: string, handler: MessageHandler): Disposable {
    if (this.disposed) throw new BusClosedError(this.nodeId, 'disposed');
    // Checked here: the transport only ever sees the wrapper below.
    if (typeof handler !== 'function') throw new InvalidConfigurationError('handler', handler, 'a function');
    const wrapped: MessageHandler = (message, delivered) => {
      // Seen back: no longer in flight (only the messages of a previous transport matter).
      if (this.inFlight.size > 0) this.forget(message.id);
      return handler(message, delivered);
    };
    const sub: MovableSubscription = { topic, handler: wrapped, inner: this.transport.subscribe(topic, wrapped) };
    this.subscriptions.add(sub);
    this.topicCounts.set(topic, (this.topicCounts.get(topic) ?? 0) + 1);
    return {
      dispose: () => {
        if (!this.subscriptions.delete(sub)) return;
        const left = (this.topicCounts.get(topic) ?? 1) - 1;
        if (left === 0) {
          this.topicCounts.delete(topic);
          // Nobody here listens to it any more: its messages in flight will not be seen back.
          for (const [id, t] of this.inFlight) if (t === topic) this.forget(id);
        } else {
          this.topicCounts.set(topic, left);
        }
        sub.inner?.dispose();
        sub.inner = undefined;
      },
    };
  }

  /** @throws {@link InvalidConfigurationError} when `listener` is not a function. */
  onConnectionStateChange(listener: (state: BusConnectionState) => void): Disposable {
    if (typeof listener !== 'function') throw new InvalidConfigurationError('listener', listener, 'a function');
    this.listeners.add(listener);
    return { dispose: () => void this.listeners.delete(listener) };
  }

  /**
   * Makes `bus` the node's transport on behalf of plugin `providerId` and moves every
   * subscription onto it. Listeners hear a `connectionState` change if the new transport's
   * state differs.
   * @throws {@link InvalidConfigurationError} when `bus` is not a bus, its `nodeId` differs
   * from this node's, or another plugin already provided one.
   */
  provide(bus: IFederatedMessageBus, providerId: string): void {
    assertBus(bus);
    if (bus === this.transport) return;
    if (bus.nodeId !== this.nodeId) {
      throw new InvalidConfigurationError('bus.nodeId', bus.nodeId, `this node's id '${this.nodeId}'`);
    }
    if (this.provider !== undefined && this.provider !== providerId) {
      throw new InvalidConfigurationError(
        'provideMessageBus',
        providerId,
        `a single transport provider (already provided by '${this.provider}')`,
      );
    }
    // Subscribe on the new transport before leaving the old one, so no message window opens.
    const moved: [MovableSubscription, Disposable][] = [];
    try {
      for (const sub of this.subscriptions) moved.push([sub, bus.subscribe(sub.topic, sub.handler)]);
    } catch (e) {
      for (const [, inner] of moved) inner.dispose();
      throw e;
    }
    // A message this proxy handed to the old transport for its own subscribers may still be
    // queued there: its old subscriptions stay until every such message arrived.
    for (const [sub, inner] of moved) {
      if (sub.inner !== undefined) this.retired.push(sub.inner);
      sub.inner = inner;
    }
    if (this.inFlight.size === 0) this.disposeRetired();
    this.transportListener.dispose();
    this.transport = bus;
    this.provider = providerId;
    this.transportListener = bus.onConnectionStateChange((s) => this.onTransportState(s));
    this.logger.info('message bus transport provided', { provider: providerId, subscriptions: moved.length });
    this.onTransportState(bus.connectionState);
  }

  /** Number of live subscriptions made through this proxy. */
  get subscriptionCount(): number {
    return this.subscriptions.size;
  }

  /** Drops every subscription and listener (on host shutdown). */
  dispose(): void {
    this.disposed = true;
    this.disposeRetired();
    for (const sub of this.subscriptions) sub.inner?.dispose();
    this.subscriptions.clear();
    this.topicCounts.clear();
    this.listeners.clear();
    this.transportListener.dispose();
  }

  /** Remembers a message this node's own subscribers will receive, so a transport change waits for it. */
  private tracked(topic: string, message: PluginMessage, accepted: Promise<void>): Promise<void> {
    // Only on the embedded transport, whose own-node delivery is never lost (so the set drains);
    // a provided transport cannot be replaced by another provider.
    if (this.provider !== undefined || !this.topicCounts.has(topic)) return accepted;
    if (typeof message !== 'object' || message === null || typeof message.id !== 'string') return accepted;
    const id = message.id;
    this.inFlight.set(id, topic);
    // Refused by the transport: it will never arrive.
    accepted.catch(() => this.forget(id));
    return accepted;
  }

  private forget(id: string): void {
    if (this.inFlight.delete(id) && this.inFlight.size === 0 && this.retired.length > 0) this.scheduleRetire();
  }

  private scheduleRetire(): void {
    if (this.retiring) return;
    this.retiring = true;
    // After the current dispatch: disposing now would skip the other old handlers of this message.
    queueMicrotask(() => {
      this.retiring = false;
      if (this.inFlight.size === 0) this.disposeRetired();
    });
  }

  private disposeRetired(): void {
    const retired = this.retired;
    this.retired = [];
    this.inFlight.clear();
    for (const inner of retired) inner.dispose();
  }

  private onTransportState(state: BusConnectionState): void {
    if (state === this.lastState) return;
    this.lastState = state;
    for (const listener of [...this.listeners]) {
      try {
        listener(state);
      } catch (e) {
        this.logger.warn('bus connection-state listener threw', { error: String(e) });
      }
    }
  }
}

function assertBus(bus: unknown): asserts bus is IFederatedMessageBus {
  if (typeof bus !== 'object' || bus === null)
    throw new InvalidConfigurationError('bus', bus, 'an IFederatedMessageBus');
  const b = bus as Record<string, unknown>;
  validateString('bus.nodeId', b.nodeId, 64);
  for (const fn of ['publish', 'publishToAllNodes', 'subscribe', 'onConnectionStateChange'] as const) {
    if (typeof b[fn] !== 'function') throw new InvalidConfigurationError(`bus.${fn}`, b[fn], 'a function');
  }
}
