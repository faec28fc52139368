import { createClient } from 'redis';
import type { PubSubClient } from '../RedisChannelSubscriptions.js';
import { reconnectDelay } from '../reconnectDelay.js';
import type { KvCommands, RedisLink, RedisLinkEvents } from './RedisLink.js';

/** Connection settings shared by every link. @internal */
export interface LinkSettings {
  readonly url: string;
  readonly connectTimeoutMs: number;
  readonly reconnectMinDelayMs: number;
  readonly reconnectMaxDelayMs: number;
  readonly random: () => number;
}

/** Socket options of node-redis from {@link LinkSettings}. @internal */
export function socketOptions(s: LinkSettings): {
  connectTimeout: number;
  reconnectStrategy: (retries: number) => number;
} {
  return {
    connectTimeout: s.connectTimeoutMs,
    reconnectStrategy: (retries: number) =>
      reconnectDelay(retries, s.reconnectMinDelayMs, s.reconnectMaxDelayMs, s.random),
  };
}

/**
 * One Redis server, two connections (a subscriber cannot publish), both reconnecting forever
 * with backoff and jitter; ready while both are.
 * @internal
 */
export class StandaloneLink implements RedisLink {
  readonly kind = 'standalone';
  private readonly publisher: ReturnType<typeof createClient>;
  private readonly subscriber: ReturnType<typeof createClient>;
  private started = false;

  constructor(settings: LinkSettings, events: RedisLinkEvents) {
    this.publisher = createClient({
      url: settings.url,
      // Publishing while disconnected fails at once instead of queueing stale states without bound.
      disableOfflineQueue: true,
      socket: socketOptions(settings),
    });
    // SUBSCRIBEs go out only on a ready connection (RedisChannelSubscriptions); node-redis
    // re-subscribes them itself after a reconnect, before it reports ready.
    this.subscriber = this.publisher.duplicate({ disableOfflineQueue: false });
    // Registered first: pending subscriptions are sent before listeners hear `connected`.
    this.subscriber.on('ready', events.onSubscriberReady);
    for (const [role, client] of [
      ['publisher', this.publisher],
      ['subscriber', this.subscriber],
    ] as const) {
      // Without an 'error' listener an EventEmitter error would crash the process.
      client.on('error', (error: unknown) => events.onError(role, error));
      client.on('ready', events.onChange);
      client.on('end', events.onChange);
      client.on('reconnecting', events.onChange);
    }
    this.start = () => {
      if (this.started) return;
      this.started = true;
      // connect() retries until it succeeds, following the reconnect strategy; not awaited.
      for (const client of [this.publisher, this.subscriber]) {
        client.connect().catch((error: unknown) => events.onError('connect', error));
      }
    };
  }

  readonly start: () => void;

  get ready(): boolean {
    return this.publisher.isReady && this.subscriber.isReady;
  }

  get pubsub(): PubSubClient {
    return this.subscriber as unknown as PubSubClient;
  }

  get kv(): KvCommands {
    return this.publisher as unknown as KvCommands;
  }

  publish(channel: string, message: string): Promise<unknown> {
    return this.publisher.publish(channel, message);
  }

  destroy(): void {
    for (const client of [this.publisher, this.subscriber]) if (client.isOpen) client.destroy();
  }
}
