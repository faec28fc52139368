// Over ~300 lines on purpose: the two Redis connections' lifecycle (connect, reconnect with backoff, resubscribe, close) is one
// state machine. The codec, channel subscriptions, connection tracker and statistics are in their own files.
import {
  BusClosedError,
  InvalidConfigurationError,
  SdkCompatibility,
  silentLogger,
  validatePluginMessage,
  validateTopic,
} from '@datawarehouse/sdk';
import { validateString } from '@datawarehouse/sdk/internals';
import type {
  BusConnectionState,
  Disposable,
  IFederatedMessageBus,
  Logger,
  MessageHandler,
  PluginMessage,
} from '@datawarehouse/sdk';
import { ConnectionStateTracker } from './ConnectionStateTracker.js';
import { InboundQueue } from './InboundQueue.js';
import { ClusterLink } from './links/ClusterLink.js';
import type { KvCommands, RedisLink } from './links/RedisLink.js';
import { SentinelLink } from './links/SentinelLink.js';
import { StandaloneLink } from './links/StandaloneLink.js';
import { RedisChannelSubscriptions } from './RedisChannelSubscriptions.js';
import type { RedisMessageBusStatistics } from './RedisMessageBusStatistics.js';
import { redactUrl } from './RedisFederationOptions.js';
import { WireCodec } from './WireCodec.js';
import type { WireRejectionReason } from './WireCodec.js';

/** A Redis node's address. @since 6.0.0 */
export interface RedisNodeAddress {
  readonly host: string;
  readonly port: number;
}

/** Options of a {@link RedisMessageBus}. @since 6.0.0 */
export interface RedisMessageBusOptions {
  /** This node's id (at most 64 characters). */
  readonly nodeId: string;
  /**
   * `redis[s]://...` URL of the server; with `sentinel` or `cluster`, only its credentials and
   * scheme (TLS) are used, for every data node.
   */
  readonly url: string;
  /**
   * Use a primary managed by Redis Sentinel instead of the URL's server: the Sentinels to ask
   * and the name of the primary they watch (node-redis's `createSentinel`). The bus follows a
   * failover and reports it as a reconnection (listeners re-sync).
   */
  readonly sentinel?: { readonly masterName: string; readonly sentinels: readonly RedisNodeAddress[] };
  /**
   * Use a Redis Cluster (node-redis's `createCluster`) from these seed nodes; `sharded`
   * (Redis 7+) uses `SPUBLISH`/`SSUBSCRIBE`, otherwise classic pub/sub.
   */
  readonly cluster?: { readonly nodes: readonly RedisNodeAddress[]; readonly sharded: boolean };
  /** Channel of a topic: `channelPrefix + topic`. */
  readonly channelPrefix: string;
  /** Signs/verifies and bounds messages. */
  readonly codec: WireCodec;
  /** First reconnect delay, ms (see `reconnectDelay`). */
  readonly reconnectMinDelayMs: number;
  /**
   * Reconnect backoff cap, ms: once the server is back, the bus reconnects within this long
   * (plus the connect itself) and reports `connected`, upon which listeners re-sync.
   */
  readonly reconnectMaxDelayMs: number;
  readonly connectTimeoutMs: number;
  /**
   * Most received messages waiting to be checked; more are dropped (`rejected.shed`).
   * Default {@link DEFAULT_INBOUND_LIMITS}.
   */
  readonly maxInboundQueue?: number;
  /** Most received messages checked per event-loop turn. Default {@link DEFAULT_INBOUND_LIMITS}. */
  readonly maxMessagesPerTurn?: number;
  readonly logger?: Logger;
  /** Randomness of the reconnect jitter, in [0, 1). Default `Math.random`. */
  readonly random?: () => number;
}

/**
 * Defaults of the receive path's bounds: 10 000 messages (and 32 MiB) waiting, 256 handled per
 * event-loop turn. @since 6.0.0
 */
export const DEFAULT_INBOUND_LIMITS = Object.freeze({ maxInboundQueue: 10_000, maxMessagesPerTurn: 256 });
const MAX_INBOUND_QUEUED_BYTES = 32 * 1024 * 1024;

const RESOLVED: Promise<void> = Promise.resolve();
const SENT_IDS_KEPT = 1024;

interface Subscription extends Disposable {
  active: boolean;
  readonly handler: MessageHandler;
}

/**
 * An {@link IFederatedMessageBus} over a Redis server's pub/sub, with node-redis (the official
 * client). A topic is the channel `channelPrefix + topic`.
 *
 * - Two connections (a subscriber cannot publish): the bus is `connected` while both are
 *   ready. Both reconnect forever with exponential backoff and jitter
 *   (`reconnectDelay`); the subscriber re-subscribes before it reports ready.
 * - `publishToAllNodes` delivers to this node at once (asynchronously, like every delivery)
 *   and publishes to Redis when connected; this node's own copy coming back is dropped.
 *   While disconnected, other nodes miss the message (at-most-once, as the contract says);
 *   the sender's connection-state listeners are told, so they can re-sync.
 * - Every received message goes through the {@link WireCodec} (size, JSON, schema, HMAC,
 *   expiry, replay); anything refused is dropped and counted, never delivered; nothing a
 *   peer sends can throw out of a handler.
 * - A handler that throws or rejects is isolated (counted and logged).
 *
 * @example
 * ```ts
 * const bus = new RedisMessageBus({ nodeId: 'n1', url: 'redis://127.0.0.1:6379', channelPrefix: 'dw:bus:', codec,
 *   reconnectMinDelayMs: 100, reconnectMaxDelayMs: 1000, connectTimeoutMs: 2000 });
 * await bus.connectAsync(5000);
 * bus.subscribe('dw.resilience.circuit-breaker.state', (m) => apply(m));
 * ```
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class RedisMessageBus implements IFederatedMessageBus {
  readonly nodeId: string;
  private readonly options: RedisMessageBusOptions;
  private readonly logger: Logger;
  private readonly codec: WireCodec;
  private readonly link: RedisLink;
  private readonly topics = new Map<string, Subscription[]>();
  private readonly channels: RedisChannelSubscriptions;
  private readonly connection = new ConnectionStateTracker((error) => this.onHandlerError('$connection-state', error));
  private readonly sentIds = new Set<string>();
  private started = false;
  private closed = false;
  private warnedDuplicateNodeId = false;
  private lastError: string | undefined;
  private readonly stats = {
    connectionErrors: 0,
    published: 0,
    publishFailed: 0,
    publishSkippedDisconnected: 0,
    received: 0,
    delivered: 0,
    echoes: 0,
    handlerErrors: 0,
    failovers: 0,
  };
  private readonly rejected: Record<WireRejectionReason | 'duplicateNodeId' | 'shed', number> = {
    shed: 0,
    oversized: 0,
    'unsupported-version': 0,
    malformed: 0,
    unsigned: 0,
    'unknown-key': 0,
    'bad-signature': 0,
    'wrong-node': 0,
    expired: 0,
    'clock-skew': 0,
    replayed: 0,
    duplicateNodeId: 0,
  };
  private readonly inbound: InboundQueue;

  /** @throws {@link InvalidConfigurationError} for a bad node id (nothing connects until {@link connectAsync}). */
  constructor(options: RedisMessageBusOptions) {
    this.options = options;
    this.nodeId = validateString('nodeId', options.nodeId, 64);
    this.codec = options.codec;
    this.logger = options.logger ?? silentLogger;
    const random = options.random ?? Math.random;
    this.inbound = new InboundQueue(
      (topic, raw) => this.onRaw(topic, raw),
      {
        maxQueued: options.maxInboundQueue ?? DEFAULT_INBOUND_LIMITS.maxInboundQueue,
        maxQueuedBytes: MAX_INBOUND_QUEUED_BYTES,
        maxPerTurn: options.maxMessagesPerTurn ?? DEFAULT_INBOUND_LIMITS.maxMessagesPerTurn,
      },
      (error) => this.onHandlerError('$inbound', error),
    );
    if (options.sentinel !== undefined && options.cluster !== undefined) {
      throw new InvalidConfigurationError('cluster', 'set', "absent when 'sentinel' is set");
    }
    const settings = { ...options, random };
    const events = {
      // Pending subscriptions are sent before listeners hear `connected` (and, say, ask the other
      // nodes for their state).
      onSubscriberReady: () => {
        if (!this.closed) this.channels.subscribePending();
      },
      onChange: () => this.refreshState(),
      onError: (role: string, error: unknown) => this.onClientError(role, error),
      onFailover: (detail: string) => {
        this.stats.failovers++;
        this.logger.warn('redis primary changed (failover); re-syncing once the subscriptions moved', { detail });
        this.refreshState();
      },
    };
    this.link =
      options.sentinel !== undefined
        ? new SentinelLink(settings, options.sentinel, events)
        : options.cluster !== undefined
          ? new ClusterLink(settings, options.cluster, events)
          : new StandaloneLink(settings, events);
    this.channels = new RedisChannelSubscriptions(
      this.link.pubsub,
      options.channelPrefix,
      (topic, raw) => this.onArrival(topic, raw),
      this.logger,
    );
  }

  /** `connected` while the link can publish and its subscriptions are up (standalone: both connections ready). */
  get connectionState(): BusConnectionState {
    return this.connection.state;
  }

  /**
   * Connects both clients (once) and resolves `true` as soon as the bus is connected, or
   * `false` after `timeoutMs` (the clients keep reconnecting in the background).
   * @throws {@link BusClosedError} after {@link closeAsync}.
   */
  async connectAsync(timeoutMs: number): Promise<boolean> {
    this.assertOpen();
    if (!this.started) {
      this.started = true;
      // Retries until it succeeds, following the reconnect strategy; not awaited.
      this.link.start();
    }
    if (this.connection.state === 'connected') return true;
    if (timeoutMs <= 0) return false;
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        listener.dispose();
        resolve(false);
      }, timeoutMs);
      timer.unref();
      const listener = this.onConnectionStateChange((state) => {
        if (state !== 'connected') return;
        clearTimeout(timer);
        listener.dispose();
        resolve(true);
      });
    });
  }

  /**
   * Delivers `message` to this node's subscribers of `topic` only (asynchronously).
   * @throws {@link InvalidConfigurationError} (as a rejection) for a bad topic or envelope, or
   * a payload JSON cannot carry; {@link BusClosedError} after {@link closeAsync}.
   */
  publish(topic: string, message: PluginMessage): Promise<void> {
    try {
      this.assertOpen();
      validateTopic(topic);
      validatePluginMessage(message);
      const copy = JSON.parse(JSON.stringify(message)) as PluginMessage;
      queueMicrotask(() => this.dispatch(topic, copy));
      return RESOLVED;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Delivers `message` to this node's subscribers (asynchronously) and, when connected,
   * publishes it (signed) on Redis for every other node; resolves once Redis took it. A
   * network failure is counted, not thrown: delivery is at most once.
   * @throws {@link InvalidConfigurationError} (as a rejection) for a bad topic or envelope, a
   * payload JSON cannot carry or a message over `maxMessageBytes`; {@link BusClosedError}
   * after {@link closeAsync}.
   */
  async publishToAllNodes(topic: string, message: PluginMessage): Promise<void> {
    this.assertOpen();
    const wire = this.codec.encode(topic, message);
    const local = WireCodec.localCopy(wire);
    queueMicrotask(() => this.dispatch(topic, local));
    this.rememberSent(message.id);
    if (this.connection.state !== 'connected') {
      this.stats.publishSkippedDisconnected++;
      return;
    }
    try {
      await this.link.publish(this.options.channelPrefix + topic, wire);
      this.stats.published++;
    } catch (error) {
      this.stats.publishFailed++;
      this.logger.debug('redis publish failed', { topic, error: describe(error) });
    }
  }

  /**
   * Calls `handler` for each message delivered to this node on `topic` (the first handler
   * of a topic subscribes its channel; the last one leaving unsubscribes). Idempotent disposable.
   * @throws {@link InvalidConfigurationError} for a bad topic or handler; {@link BusClosedError} after {@link closeAsync}.
   */
  subscribe(topic: string, handler: MessageHandler): Disposable {
    this.assertOpen();
    validateTopic(topic);
    if (typeof handler !== 'function') throw new InvalidConfigurationError('handler', handler, 'a function');
    const sub: Subscription = {
      active: true,
      handler,
      dispose: () => {
        if (!sub.active) return;
        sub.active = false;
        const rest = (this.topics.get(topic) ?? []).filter((s) => s !== sub);
        if (rest.length > 0) this.topics.set(topic, rest);
        else {
          this.topics.delete(topic);
          this.channels.remove(topic);
        }
      },
    };
    const current = this.topics.get(topic);
    this.topics.set(topic, current === undefined ? [sub] : [...current, sub]);
    if (current === undefined) this.channels.add(topic);
    return sub;
  }

  /**
   * Calls `listener` on every change of {@link connectionState}; a throwing listener is
   * isolated and logged. Idempotent disposable.
   * @throws {@link InvalidConfigurationError} when `listener` is not a function.
   */
  onConnectionStateChange(listener: (state: BusConnectionState) => void): Disposable {
    return this.connection.onChange(listener);
  }

  /** The key-value commands of the Redis deployment (for the durable store). @internal */
  get kv(): KvCommands {
    return this.link.kv;
  }

  /** Counters and connection state (JSON). */
  getStatistics(): RedisMessageBusStatistics {
    return {
      transport: 'redis',
      deployment: this.link.kind,
      nodeId: this.nodeId,
      url: redactUrl(this.options.url),
      channelPrefix: this.options.channelPrefix,
      ...this.connection.snapshot(),
      lastError: this.lastError ?? null,
      signing: this.codec.signing ? 'hmac-sha256' : 'off',
      subscribedTopics: this.topics.size,
      ...this.stats,
      inbound: this.inbound.getStatistics(),
      rejected: { ...this.rejected },
    };
  }

  /**
   * Ends every subscription, closes both connections and reports `disconnected`. Further use
   * throws {@link BusClosedError}. Idempotent.
   */
  async closeAsync(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const subs of this.topics.values()) for (const s of subs) s.active = false;
    this.topics.clear();
    this.channels.clear();
    this.inbound.clear();
    try {
      this.link.destroy();
    } catch (error) {
      this.logger.debug('redis client close failed', { error: describe(error) });
    }
    this.connection.set('disconnected');
    this.connection.clear();
  }

  /** Straight from the socket: counted and queued, nothing else (see `InboundQueue`). */
  private onArrival(topic: string, raw: string): void {
    if (this.closed) return;
    this.stats.received++;
    if (!this.inbound.push(topic, raw)) this.rejected.shed++;
  }

  private onRaw(topic: string, raw: string): void {
    if (this.closed) return;
    const result = this.codec.decode(topic, raw);
    if (!result.ok) {
      this.rejected[result.reason]++;
      this.logger.debug('redis message dropped', { topic, reason: result.reason, bytes: raw.length });
      return;
    }
    const message = result.message;
    if (message.sourceNodeId === this.nodeId) {
      if (this.sentIds.has(message.id)) {
        this.stats.echoes++;
        return;
      }
      this.rejected.duplicateNodeId++;
      if (!this.warnedDuplicateNodeId) {
        this.warnedDuplicateNodeId = true;
        this.logger.warn(
          'received a message from another node using this node id; check nodeId in the configurations',
          { nodeId: this.nodeId },
        );
      }
      return;
    }
    this.dispatch(topic, message);
  }

  private dispatch(topic: string, message: PluginMessage): void {
    const subs = this.topics.get(topic);
    if (subs === undefined || this.closed) return;
    this.stats.delivered++;
    for (const sub of subs) {
      if (!sub.active) continue;
      try {
        const result = sub.handler(message, topic) as Promise<void> | null | undefined;
        if (typeof result?.then === 'function')
          result.then(undefined, (error: unknown) => this.onHandlerError(topic, error));
      } catch (error) {
        this.onHandlerError(topic, error);
      }
    }
  }

  private onHandlerError(topic: string, error: unknown): void {
    this.stats.handlerErrors++;
    this.logger.warn('message handler failed', { topic, error: describe(error) });
  }

  private onClientError(role: string, error: unknown): void {
    this.stats.connectionErrors++;
    const text = describe(error);
    // Log the first error of an outage at warn; the retries that follow at debug.
    if (this.connection.state === 'connected' || this.lastError === undefined)
      this.logger.warn('redis connection error', { role, error: text });
    else this.logger.debug('redis connection error', { role, error: text });
    this.lastError = text;
    this.refreshState();
  }

  private refreshState(): void {
    if (this.closed) return;
    this.setState(this.link.ready ? 'connected' : 'disconnected');
  }

  private setState(state: BusConnectionState): void {
    if (!this.connection.set(state)) return;
    const url = redactUrl(this.options.url);
    if (state === 'connected') this.logger.info('redis federation connected', { url, nodeId: this.nodeId });
    else if (!this.closed)
      this.logger.warn('redis federation disconnected; working on local state, reconnecting', { url });
  }

  private rememberSent(id: string): void {
    this.sentIds.add(id);
    if (this.sentIds.size > SENT_IDS_KEPT) this.sentIds.delete(this.sentIds.values().next().value as string);
  }

  private assertOpen(): void {
    if (this.closed) throw new BusClosedError(this.nodeId, 'disposed');
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
