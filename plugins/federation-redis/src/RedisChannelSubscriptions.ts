import { SdkCompatibility } from '@datawarehouse/sdk';
import type { Logger } from '@datawarehouse/sdk';

/** The part of a node-redis client the subscriptions use. @internal */
export interface PubSubClient {
  readonly isReady: boolean;
  subscribe(channel: string, listener: (message: string, channel: string) => unknown): Promise<void>;
  unsubscribe(channel: string, listener: (message: string, channel: string) => unknown): Promise<void>;
}

/**
 * Which Redis channels a bus listens to (`prefix + topic`), kept in step with its topics.
 * A SUBSCRIBE is sent only on a ready connection — one queued offline during the first
 * connection confuses node-redis's reply matching — and whatever is pending is sent on the
 * next `ready` ({@link RedisChannelSubscriptions.subscribePending}); after a reconnect
 * node-redis re-subscribes what was sent before it reports ready.
 * @internal
 */
@SdkCompatibility('6.0.0')
export class RedisChannelSubscriptions {
  private readonly listeners = new Map<string, (raw: string) => void>();
  /** Topics whose SUBSCRIBE was sent on a ready connection. */
  private readonly sent = new Set<string>();

  constructor(
    private readonly client: PubSubClient,
    private readonly prefix: string,
    private readonly onMessage: (topic: string, raw: string) => void,
    private readonly logger: Logger,
  ) {}

  /** Starts listening to `topic`'s channel. */
  add(topic: string): void {
    this.listeners.set(topic, (raw: string): void => this.onMessage(topic, raw));
    if (this.client.isReady) this.send(topic);
  }

  /** Stops listening to `topic`'s channel. */
  remove(topic: string): void {
    const listener = this.listeners.get(topic);
    this.listeners.delete(topic);
    const wasSent = this.sent.delete(topic);
    // While not ready, a re-subscription after the reconnect is harmless: nobody listens any more.
    if (listener === undefined || !wasSent || !this.client.isReady) return;
    this.client.unsubscribe(this.prefix + topic, listener).catch((error: unknown) => {
      this.logger.debug('redis unsubscribe failed', { topic, error: String(error) });
    });
  }

  /** Sends the SUBSCRIBEs not sent yet (call on the client's `ready`). */
  subscribePending(): void {
    for (const topic of this.listeners.keys()) if (!this.sent.has(topic)) this.send(topic);
  }

  /** Forgets everything (the client is being closed). */
  clear(): void {
    this.listeners.clear();
    this.sent.clear();
  }

  private send(topic: string): void {
    const listener = this.listeners.get(topic);
    if (listener === undefined) return;
    const channel = this.prefix + topic;
    this.sent.add(topic);
    this.client.subscribe(channel, listener).catch((error: unknown) => {
      // Retried on the next 'ready'.
      this.sent.delete(topic);
      this.logger.warn('redis subscribe failed', { channel, error: String(error) });
    });
  }
}
