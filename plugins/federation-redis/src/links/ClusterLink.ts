import { createCluster } from 'redis';
import type { PubSubClient } from '../RedisChannelSubscriptions.js';
import { reconnectDelay } from '../reconnectDelay.js';
import type { KvCommands, RedisLink, RedisLinkEvents } from './RedisLink.js';

// node-redis types an unsubscribe listener for either buffer mode; string mode is what is subscribed.
type Listener = (message: string | Buffer, channel: string | Buffer) => unknown;
import { socketOptions } from './StandaloneLink.js';
import type { LinkSettings } from './StandaloneLink.js';

/** The cluster's seed nodes and the pub/sub flavour. @internal */
export interface ClusterSettings {
  readonly nodes: readonly { readonly host: string; readonly port: number }[];
  /** `SPUBLISH`/`SSUBSCRIBE` (Redis 7+): a channel lives on one shard. Otherwise classic pub/sub. */
  readonly sharded: boolean;
}

const READINESS_POLL_MS = 100;

/**
 * A Redis Cluster through node-redis's own cluster client (`createCluster`). With sharded
 * pub/sub (the default, Redis 7+) a message goes to the one shard owning its channel's slot
 * instead of being broadcast over the cluster bus to every node, and node-redis follows the
 * slot when it moves; classic pub/sub works on any version. The URL's credentials and TLS
 * apply to every node.
 * @internal
 */
export class ClusterLink implements RedisLink {
  readonly kind = 'cluster';
  private readonly cluster: ReturnType<typeof createCluster>;
  private started = false;
  private destroyed = false;
  private connected = false;
  private poll: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private attempts = 0;

  constructor(
    private readonly settings: LinkSettings,
    private readonly cluster_: ClusterSettings,
    private readonly events: RedisLinkEvents,
  ) {
    const url = new URL(settings.url);
    this.cluster = createCluster({
      rootNodes: cluster_.nodes.map((n) => ({ socket: { host: n.host, port: n.port } })),
      defaults: {
        ...(url.username !== '' && { username: decodeURIComponent(url.username) }),
        ...(url.password !== '' && { password: decodeURIComponent(url.password) }),
        socket: { ...socketOptions(settings), ...(url.protocol === 'rediss:' && { tls: true as const }) },
      },
    });
    this.cluster.on('error', (error: unknown) => events.onError('cluster', error));
    this.cluster.on('node-error', (error: unknown) => events.onError('cluster-node', error));
    this.cluster.on('disconnect', () => {
      this.connected = false;
      events.onChange();
    });
  }

  get ready(): boolean {
    return !this.destroyed && this.connected && this.cluster.isOpen;
  }

  get pubsub(): PubSubClient {
    const c = this.cluster;
    const sharded = this.cluster_.sharded;
    const isReady = (): boolean => this.ready;
    return {
      get isReady() {
        return isReady();
      },
      subscribe: (channel, listener) =>
        (sharded ? c.sSubscribe(channel, listener) : c.subscribe(channel, listener)) as Promise<void>,
      unsubscribe: (channel, listener) =>
        (sharded
          ? c.sUnsubscribe(channel, listener as Listener)
          : c.unsubscribe(channel, listener as Listener)) as Promise<void>,
    };
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.poll = setInterval(() => this.events.onChange(), READINESS_POLL_MS);
    this.poll.unref();
    this.connect();
  }

  get kv(): KvCommands {
    return this.cluster as unknown as KvCommands;
  }

  publish(channel: string, message: string): Promise<unknown> {
    return this.cluster_.sharded ? this.cluster.sPublish(channel, message) : this.cluster.publish(channel, message);
  }

  destroy(): void {
    this.destroyed = true;
    if (this.poll !== undefined) clearInterval(this.poll);
    if (this.retry !== undefined) clearTimeout(this.retry);
    if (this.cluster.isOpen) this.cluster.destroy();
  }

  private connect(): void {
    this.cluster.connect().then(
      () => {
        this.attempts = 0;
        this.connected = true;
        this.events.onSubscriberReady();
        this.events.onChange();
      },
      (error: unknown) => {
        if (this.destroyed) return;
        this.events.onError('cluster', error);
        const s = this.settings;
        this.retry = setTimeout(
          () => this.connect(),
          reconnectDelay(this.attempts++, s.reconnectMinDelayMs, s.reconnectMaxDelayMs, s.random),
        );
        this.retry.unref();
      },
    );
  }
}
