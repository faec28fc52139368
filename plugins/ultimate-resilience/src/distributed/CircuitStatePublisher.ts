import { SdkCompatibility } from '@datawarehouse/sdk';
import type { IFederatedMessageBus, Logger, PluginMessage } from '@datawarehouse/sdk';
import {
  CIRCUIT_DIGEST_MESSAGE,
  CIRCUIT_STATE_MESSAGE,
  CIRCUIT_STATE_SCHEMA_VERSION,
  CIRCUIT_SYNC_REQUEST_MESSAGE,
} from './CircuitStateMessage.js';
import type { CircuitDigestPayload, CircuitStateEntry, CircuitStatePayload } from './CircuitStateMessage.js';
import { bucketOf } from './DigestIndex.js';
import type { ReplicatorMetrics } from './ReplicatorMetrics.js';

/** Where a {@link CircuitStatePublisher} sends and how. @internal */
export interface CircuitStatePublisherOptions {
  readonly bus: IFederatedMessageBus;
  readonly topic: string;
  readonly nodeId: string;
  readonly pluginId: string;
  readonly maxMessageBytes: number;
  readonly maxEntriesPerMessage: number;
  readonly wallClock: () => number;
  readonly metrics: ReplicatorMetrics;
  readonly logger: Logger;
}

/**
 * The outgoing half of the replicator: builds the envelopes, keeps every message within
 * `maxMessageBytes` (a full state is split by count, then halved until it fits), skips the
 * bus while it is disconnected, and counts what it sends. Never throws: a send the bus
 * refuses or fails is counted and logged (delivery is at most once anyway).
 * @internal
 */
@SdkCompatibility('6.0.0')
export class CircuitStatePublisher {
  constructor(private readonly o: CircuitStatePublisherOptions) {}

  /** One local transition. */
  transition(entry: CircuitStateEntry): void {
    this.send(CIRCUIT_STATE_MESSAGE, { v: CIRCUIT_STATE_SCHEMA_VERSION, kind: 'transition', entries: [entry] });
  }

  /** A request for every node's state. */
  syncRequest(): void {
    this.send(CIRCUIT_SYNC_REQUEST_MESSAGE, { v: CIRCUIT_STATE_SCHEMA_VERSION });
  }

  /** This node's whole state, split into as many messages as needed; true when anything went out. */
  fullState(entries: readonly CircuitStateEntry[]): boolean {
    if (entries.length === 0 || this.o.bus.connectionState === 'disconnected') {
      if (entries.length > 0) this.o.metrics.skippedDisconnected++;
      return false;
    }
    const max = this.o.maxEntriesPerMessage;
    for (let i = 0; i < entries.length; i += max) this.sendSync(entries.slice(i, i + max));
    return true;
  }

  /** Publishes a digest (digest anti-entropy). */
  digest(payload: CircuitDigestPayload): void {
    this.send(CIRCUIT_DIGEST_MESSAGE, payload);
  }

  /**
   * Publishes every entry held in `buckets` (of `b`) as `bucket` messages, several buckets per
   * message while they fit; a bucket too large for one message goes as plain `sync` messages.
   */
  buckets(b: number, buckets: readonly number[], entries: readonly CircuitStateEntry[]): void {
    const byBucket = new Map<number, CircuitStateEntry[]>(buckets.map((n) => [n, []]));
    for (const e of entries) byBucket.get(bucketOf(e.strategyId, b))?.push(e);
    let group: number[] = [];
    let groupEntries: CircuitStateEntry[] = [];
    const flush = (): void => {
      if (group.length > 0) this.sendBuckets(b, group, groupEntries);
      group = [];
      groupEntries = [];
    };
    for (const [n, list] of byBucket) {
      if (list.length > this.o.maxEntriesPerMessage) {
        this.fullState(list);
        continue;
      }
      if (groupEntries.length + list.length > this.o.maxEntriesPerMessage) flush();
      group.push(n);
      groupEntries.push(...list);
    }
    flush();
  }

  private sendBuckets(b: number, buckets: number[], entries: CircuitStateEntry[]): void {
    const payload: CircuitStatePayload = { v: CIRCUIT_STATE_SCHEMA_VERSION, kind: 'bucket', b, buckets, entries };
    if (buckets.length > 1 && jsonBytes(this.envelope(CIRCUIT_STATE_MESSAGE, payload))! > this.o.maxMessageBytes) {
      const half = Math.ceil(buckets.length / 2);
      const first = new Set(buckets.slice(0, half));
      const inFirst = (e: CircuitStateEntry) => first.has(bucketOf(e.strategyId, b));
      this.sendBuckets(b, buckets.slice(0, half), entries.filter(inFirst));
      this.sendBuckets(
        b,
        buckets.slice(half),
        entries.filter((e) => !inFirst(e)),
      );
      return;
    }
    if (buckets.length === 1 && jsonBytes(this.envelope(CIRCUIT_STATE_MESSAGE, payload))! > this.o.maxMessageBytes) {
      this.fullState(entries);
      return;
    }
    this.send(CIRCUIT_STATE_MESSAGE, payload);
  }

  private sendSync(entries: readonly CircuitStateEntry[]): void {
    const payload: CircuitStatePayload = { v: CIRCUIT_STATE_SCHEMA_VERSION, kind: 'sync', entries };
    if (entries.length > 1 && jsonBytes(this.envelope(CIRCUIT_STATE_MESSAGE, payload))! > this.o.maxMessageBytes) {
      const half = Math.ceil(entries.length / 2);
      this.sendSync(entries.slice(0, half));
      this.sendSync(entries.slice(half));
      return;
    }
    this.send(CIRCUIT_STATE_MESSAGE, payload);
  }

  private send(type: string, payload: CircuitStatePayload | CircuitDigestPayload | { v: number }): void {
    const m = this.o.metrics;
    if (this.o.bus.connectionState === 'disconnected') {
      m.skippedDisconnected++;
      return;
    }
    const message = this.envelope(type, payload);
    if (jsonBytes(message)! > this.o.maxMessageBytes) {
      m.oversizedOutgoing++;
      this.o.logger.warn('distributed circuit state: message exceeds maxMessageBytes, not sent', {
        maxMessageBytes: this.o.maxMessageBytes,
      });
      return;
    }
    if ('root' in payload) m.digest.bytesSent += jsonBytes(message)!;
    else if (!('entries' in payload)) m.publishedSyncRequests++;
    else {
      if (payload.kind === 'transition') m.publishedTransitions++;
      else m.publishedSync++;
      m.publishedEntries += payload.entries.length;
    }
    let sent: Promise<void>;
    try {
      sent = this.o.bus.publishToAllNodes(this.o.topic, message);
    } catch (error) {
      sent = Promise.reject(error);
    }
    sent.then(undefined, (error: unknown) => {
      m.publishFailed++;
      this.o.logger.debug('distributed circuit state: publish failed', { type, error: String(error) });
    });
  }

  private envelope(type: string, payload: unknown): PluginMessage {
    return {
      id: globalThis.crypto.randomUUID(),
      type,
      sourceNodeId: this.o.nodeId,
      sourcePluginId: this.o.pluginId,
      payload,
      timestamp: this.o.wallClock(),
    };
  }
}

/**
 * UTF-8 size of a value's JSON form, or undefined when it has none (cycles, bigint).
 * @internal
 */
export function jsonBytes(value: unknown): number | undefined {
  try {
    const text = JSON.stringify(value);
    return text === undefined ? undefined : Buffer.byteLength(text, 'utf8');
  } catch {
    return undefined;
  }
}
