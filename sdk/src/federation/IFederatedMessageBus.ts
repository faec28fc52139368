import { createServiceToken } from '../di/ServiceToken.js';
import type { Disposable } from '../di/ServiceToken.js';

/**
 * The envelope of every message on the federated bus.
 * @since 6.0.0
 */
export interface PluginMessage<TPayload = unknown> {
  /** Unique id (UUID); used to drop duplicates and replays. */
  readonly id: string;
  /** Message type, e.g. `circuit-state`. */
  readonly type: string;
  /** Node that sent it. */
  readonly sourceNodeId: string;
  /** Plugin that sent it. */
  readonly sourcePluginId: string;
  readonly payload: TPayload;
  /** Sender's wall-clock time, ms since the Unix epoch. */
  readonly timestamp: number;
  /** HMAC over the canonical message, when signed. */
  readonly signature?: string;
  /** Random value that makes a signed message unique. */
  readonly nonce?: string;
  /** Wall-clock ms after which the message must be dropped. */
  readonly expiresAt?: number;
}

/** Called for each message delivered on a subscribed topic. @since 6.0.0 */
export type MessageHandler = (message: PluginMessage, topic: string) => void | Promise<void>;

/** Connection state of a bus. @since 6.0.0 */
export type BusConnectionState = 'connected' | 'disconnected';

/**
 * A message bus spanning the nodes of a cluster.
 *
 * - `publish` delivers to this node's subscribers of `topic` only.
 * - `publishToAllNodes` delivers to the subscribers of `topic` on every reachable node,
 *   this one included (handlers can skip their own node's messages by `sourceNodeId`).
 *
 * Delivery is at most once and unordered across nodes; handlers must tolerate loss,
 * duplicates and reordering. A handler that throws or rejects is isolated: the error is
 * reported to the bus's error hook, never to the publisher, and other handlers still run.
 * @since 6.0.0
 */
export interface IFederatedMessageBus {
  readonly nodeId: string;
  publish(topic: string, message: PluginMessage): Promise<void>;
  publishToAllNodes(topic: string, message: PluginMessage): Promise<void>;
  subscribe(topic: string, handler: MessageHandler): Disposable;
  /** Whether the bus can currently reach other nodes. */
  readonly connectionState: BusConnectionState;
  /** Called on every change of {@link IFederatedMessageBus.connectionState}. */
  onConnectionStateChange(listener: (state: BusConnectionState) => void): Disposable;
}

/** DI token for the node's bus. @since 6.0.0 */
export const FederatedMessageBusToken = createServiceToken<IFederatedMessageBus>(
  'datawarehouse.sdk.IFederatedMessageBus',
);

/** Builds a {@link PluginMessage} with a fresh id and the current wall-clock timestamp. @since 6.0.0 */
export function createPluginMessage<T>(
  type: string,
  payload: T,
  source: { nodeId: string; pluginId: string },
): PluginMessage<T> {
  return {
    id: globalThis.crypto.randomUUID(),
    type,
    sourceNodeId: source.nodeId,
    sourcePluginId: source.pluginId,
    payload,
    timestamp: Date.now(),
  };
}
