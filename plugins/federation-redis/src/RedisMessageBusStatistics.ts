import type { ConnectionStateSnapshot } from './ConnectionStateTracker.js';
import type { WireRejectionReason } from './WireCodec.js';

/** Counters and connection state of a {@link RedisMessageBus}. @since 6.0.0 */
export interface RedisMessageBusStatistics extends ConnectionStateSnapshot {
  readonly transport: 'redis';
  /** One server, a Sentinel-managed primary, or a Cluster. */
  readonly deployment: 'standalone' | 'sentinel' | 'cluster';
  /** Primary changes reported by Sentinel (each followed by a reconnection and a re-sync). */
  readonly failovers: number;
  readonly nodeId: string;
  /** The server URL with its password redacted. */
  readonly url: string;
  readonly channelPrefix: string;
  /** Connection errors seen (each failed attempt counts). */
  readonly connectionErrors: number;
  readonly lastError: string | null;
  readonly signing: 'hmac-sha256' | 'off';
  readonly subscribedTopics: number;
  readonly published: number;
  readonly publishFailed: number;
  /** `publishToAllNodes` calls made while disconnected: delivered to this node only. */
  readonly publishSkippedDisconnected: number;
  /** Messages received from Redis (before any check). */
  readonly received: number;
  /** Messages handed to this node's handlers (from other nodes and from itself). */
  readonly delivered: number;
  /** This node's own messages coming back from Redis (dropped: delivered locally already). */
  readonly echoes: number;
  readonly handlerErrors: number;
  /**
   * The receive queue: messages waiting now, dropped because it was full (also in
   * `rejected.shed`), the deepest it got, and the slices (event-loop turns) it ran.
   */
  readonly inbound: {
    readonly queued: number;
    readonly shed: number;
    readonly maxDepth: number;
    readonly turns: number;
  };
  /**
   * Received messages dropped, by reason (`duplicateNodeId`: another node uses this node's id;
   * `shed`: the receive queue was full).
   */
  readonly rejected: Readonly<Record<WireRejectionReason | 'duplicateNodeId' | 'shed', number>>;
}
