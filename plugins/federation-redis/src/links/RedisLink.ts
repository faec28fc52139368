import type { PubSubClient } from '../RedisChannelSubscriptions.js';

/** The key-value commands the durable store uses (node-redis's, on every deployment). @since 6.0.0 */
export interface KvCommands {
  set(key: string, value: string, options: { PX: number }): Promise<unknown>;
  del(key: string): Promise<unknown>;
  sAdd(key: string, member: string): Promise<unknown>;
  sRem(key: string, members: string[]): Promise<unknown>;
  sMembers(key: string): Promise<string[]>;
  mGet(keys: string[]): Promise<(string | null)[]>;
}

/** What a link tells its bus. @internal */
export interface RedisLinkEvents {
  /** The subscribing side is ready: send pending SUBSCRIBEs (called before `onChange`). */
  readonly onSubscriberReady: () => void;
  /** Readiness may have changed: re-read `ready`. */
  readonly onChange: () => void;
  /** A connection error (each failed attempt); never thrown. */
  readonly onError: (role: string, error: unknown) => void;
  /**
   * The server behind the link changed (Sentinel promoted a replica): messages may have been
   * lost across it, so the bus reports a reconnection and its listeners re-sync.
   */
  readonly onFailover: (detail: string) => void;
}

/**
 * The Redis deployment under a `RedisMessageBus`: one server (two connections), a Sentinel-
 * managed primary, or a Cluster. The bus keeps subscriptions, state and counters; a link only
 * connects, publishes and subscribes.
 * @internal
 */
export interface RedisLink {
  /** Kind, for metrics: `standalone`, `sentinel` or `cluster`. */
  readonly kind: 'standalone' | 'sentinel' | 'cluster';
  /** Whether a publish and the subscriptions can work now. */
  readonly ready: boolean;
  /** Where SUBSCRIBEs go. */
  readonly pubsub: PubSubClient;
  /** Key-value commands (the durable store). */
  readonly kv: KvCommands;
  /** Starts connecting (once); keeps retrying in the background. */
  start(): void;
  publish(channel: string, message: string): Promise<unknown>;
  /** Closes every connection at once. */
  destroy(): void;
}
