import { createSentinel } from 'redis';
import type { PubSubClient } from '../RedisChannelSubscriptions.js';
import { reconnectDelay } from '../reconnectDelay.js';
import type { KvCommands, RedisLink, RedisLinkEvents } from './RedisLink.js';

// node-redis types an unsubscribe listener for either buffer mode; string mode is what is subscribed.
type Listener = (message: string | Buffer, channel: string | Buffer) => unknown;
import { socketOptions } from './StandaloneLink.js';
import type { LinkSettings } from './StandaloneLink.js';

/** Where the Sentinels are and which primary they watch. @internal */
export interface SentinelSettings {
  readonly masterName: string;
  readonly sentinels: readonly { readonly host: string; readonly port: number }[];
}

/** How often readiness is re-read (node-redis's Sentinel client has no ready/end events). */
const READINESS_POLL_MS = 100;
/**
 * How long the link reports not ready after a failover, so the bus reports a reconnection and
 * its listeners re-sync once the subscriptions have moved to the new primary.
 */
const FAILOVER_SETTLE_MS = 300;

/**
 * A primary managed by Redis Sentinel, through node-redis's own Sentinel client
 * (`createSentinel`): it asks the Sentinels for the primary, publishes there, keeps the
 * subscriptions on a pub/sub connection it moves to the new primary after a failover, and
 * reports the failover (`topology-change` / `MASTER_CHANGE`), upon which the bus reports a
 * reconnection so its listeners re-sync what was lost across it. The URL's credentials and
 * TLS apply to the data nodes; its host and port are not used.
 * @internal
 */
export class SentinelLink implements RedisLink {
  readonly kind = 'sentinel';
  private readonly sentinel: ReturnType<typeof createSentinel>;
  private started = false;
  private destroyed = false;
  private poll: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private attempts = 0;
  private wasReady = false;
  /** After a failover, not ready until then (`performance.now()`): the pub/sub connection moves first. */
  private settleUntil = 0;
  private primary: string | undefined;

  constructor(
    private readonly settings: LinkSettings,
    sentinel: SentinelSettings,
    private readonly events: RedisLinkEvents,
  ) {
    const url = new URL(settings.url);
    const socket = { ...socketOptions(settings), ...(url.protocol === 'rediss:' && { tls: true as const }) };
    this.sentinel = createSentinel({
      name: sentinel.masterName,
      sentinelRootNodes: sentinel.sentinels.map((n) => ({ host: n.host, port: n.port })),
      nodeClientOptions: {
        ...(url.username !== '' && { username: decodeURIComponent(url.username) }),
        ...(url.password !== '' && { password: decodeURIComponent(url.password) }),
        socket,
      },
      sentinelClientOptions: { socket: socketOptions(settings) },
    });
    this.sentinel.on('error', (error: unknown) => events.onError('sentinel', error));
    this.sentinel.on('topology-change', (event: { type: string; node?: { host: string; port: number } }) => {
      if (event.type !== 'MASTER_CHANGE' || this.destroyed) return;
      const primary = `${event.node?.host}:${event.node?.port}`;
      const previous = this.primary;
      this.primary = primary;
      // The first one is the discovery of the primary at connect, not a failover.
      if (previous === undefined || previous === primary) return;
      this.settleUntil = performance.now() + FAILOVER_SETTLE_MS;
      this.check();
      events.onFailover(`primary moved from ${previous} to ${primary}`);
    });
  }

  get ready(): boolean {
    return !this.destroyed && this.sentinel.isReady && performance.now() >= this.settleUntil;
  }

  get pubsub(): PubSubClient {
    const s = this.sentinel;
    return {
      get isReady() {
        return s.isReady;
      },
      subscribe: (channel, listener) => s.subscribe(channel, listener) as Promise<void>,
      unsubscribe: (channel, listener) => s.unsubscribe(channel, listener as Listener) as Promise<void>,
    };
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.poll = setInterval(() => this.check(), READINESS_POLL_MS);
    this.poll.unref();
    this.connect();
  }

  get kv(): KvCommands {
    return this.sentinel as unknown as KvCommands;
  }

  publish(channel: string, message: string): Promise<unknown> {
    return this.sentinel.publish(channel, message);
  }

  destroy(): void {
    this.destroyed = true;
    if (this.poll !== undefined) clearInterval(this.poll);
    if (this.retry !== undefined) clearTimeout(this.retry);
    this.sentinel.destroy().catch(() => undefined);
  }

  private connect(): void {
    this.sentinel.connect().then(
      () => {
        this.attempts = 0;
        this.check();
      },
      (error: unknown) => {
        if (this.destroyed) return;
        this.events.onError('sentinel', error);
        const s = this.settings;
        this.retry = setTimeout(
          () => this.connect(),
          reconnectDelay(this.attempts++, s.reconnectMinDelayMs, s.reconnectMaxDelayMs, s.random),
        );
        this.retry.unref();
      },
    );
  }

  private check(): void {
    const ready = this.ready;
    if (ready && !this.wasReady) this.events.onSubscriberReady();
    this.wasReady = ready;
    this.events.onChange();
  }
}
