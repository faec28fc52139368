import { InvalidConfigurationError, validateTopic } from '@datawarehouse/sdk';
import {
  rejectUnknownKeys,
  validateBoolean,
  validateDuration,
  validateEnum,
  validateInteger,
  validateObject,
} from '@datawarehouse/sdk/internals';
import { MAX_DIGEST_BUCKETS, MIN_DIGEST_BUCKETS } from './DigestIndex.js';

/** Topic the circuit states travel on. @since 6.0.0 */
export const CIRCUIT_STATE_TOPIC = 'dw.resilience.circuit-breaker.state';

/**
 * The `distributed` section of the plugin's options: sharing circuit state with the other
 * nodes over the host's federated bus. Every field is optional on input.
 * @since 6.0.0
 */
export interface DistributedOptions {
  /** Share circuit state at all (each strategy can still opt out with `shareState: false`). Default true. */
  readonly enabled: boolean;
  /** Topic of the messages. Default {@link CIRCUIT_STATE_TOPIC}. */
  readonly topic: string;
  /**
   * Period of anti-entropy: every node re-publishes the state it holds, so messages lost in
   * transit or during a partition are healed. `0` turns the periodic round off (sync on
   * start and on reconnect still run). Default 30 000 ms; otherwise at least 10.
   */
  readonly antiEntropyIntervalMs: number;
  /** Ask the other nodes for their state when starting. Default true. */
  readonly syncOnStart: boolean;
  /**
   * How long a node waits before answering a sync request, so requests arriving together
   * (a cluster-wide reconnect) share one answer. Default 20 ms.
   */
  readonly syncResponseDelayMs: number;
  /**
   * Largest message sent or accepted, bytes (JSON). 4 096..16 777 216. Default 32 768: keep it
   * below the transport's own limit (the Redis transport's default is 65 536), which also
   * counts the signature fields it adds (about 200 bytes).
   */
  readonly maxMessageBytes: number;
  /** Most strategy states in one message (a full state is split). 1..10 000. Default 200. */
  readonly maxEntriesPerMessage: number;
  /**
   * What an anti-entropy round sends: `digest` (default) a root hash, then bucket hashes and
   * the differing entries only where nodes differ; `full` the whole state (what releases
   * before digests did; use it while such nodes are in the cluster).
   */
  readonly antiEntropy: 'digest' | 'full';
  /** Buckets of the digest (the same on every node). 16..2 048. Default 1 024. */
  readonly digestBuckets: number;
  /**
   * Keep open circuits in the cluster's durable store (Redis with the Redis transport), with an
   * expiry equal to the break left, and read them on start when no peer answered: a cluster
   * restarted as a whole still rejects calls to a downstream that is down. Default false.
   */
  readonly durableOpenCircuits: boolean;
  /** With `durableOpenCircuits`: how long a starting node waits for a peer's answer before reading the store, ms. Default 1 000. */
  readonly durableReadDelayMs: number;
}

/** Defaults of {@link DistributedOptions}. @since 6.0.0 */
export const DEFAULT_DISTRIBUTED_OPTIONS: DistributedOptions = Object.freeze({
  enabled: true,
  topic: CIRCUIT_STATE_TOPIC,
  antiEntropyIntervalMs: 30_000,
  syncOnStart: true,
  syncResponseDelayMs: 20,
  maxMessageBytes: 32_768,
  maxEntriesPerMessage: 200,
  antiEntropy: 'digest',
  digestBuckets: 1024,
  durableOpenCircuits: false,
  durableReadDelayMs: 1_000,
});

const KEYS = Object.keys(DEFAULT_DISTRIBUTED_OPTIONS);
const MODES = ['digest', 'full'] as const;

/**
 * Validates a partial `distributed` section into a frozen, fully-resolved object.
 * @throws {@link InvalidConfigurationError} naming `distributed.<field>` and the value.
 * @since 6.0.0
 */
export function resolveDistributedOptions(input: unknown, field = 'distributed'): DistributedOptions {
  const o = validateObject(field, input);
  rejectUnknownKeys(field, o, KEYS);
  const at = (key: string): string => `${field}.${key}`;
  const d = DEFAULT_DISTRIBUTED_OPTIONS;
  const antiEntropyIntervalMs =
    o.antiEntropyIntervalMs === undefined
      ? d.antiEntropyIntervalMs
      : validateDuration(at('antiEntropyIntervalMs'), o.antiEntropyIntervalMs, 0);
  if (antiEntropyIntervalMs > 0 && antiEntropyIntervalMs < 10) {
    throw new InvalidConfigurationError(
      at('antiEntropyIntervalMs'),
      antiEntropyIntervalMs,
      '0 (off) or a duration in ms >= 10',
    );
  }
  let topic = d.topic;
  if (o.topic !== undefined) {
    try {
      topic = validateTopic(o.topic);
    } catch (e) {
      if (e instanceof InvalidConfigurationError) throw new InvalidConfigurationError(at('topic'), e.value, e.expected);
      throw e;
    }
  }
  return Object.freeze({
    enabled: o.enabled === undefined ? d.enabled : validateBoolean(at('enabled'), o.enabled),
    topic,
    antiEntropyIntervalMs,
    syncOnStart: o.syncOnStart === undefined ? d.syncOnStart : validateBoolean(at('syncOnStart'), o.syncOnStart),
    syncResponseDelayMs:
      o.syncResponseDelayMs === undefined
        ? d.syncResponseDelayMs
        : validateDuration(at('syncResponseDelayMs'), o.syncResponseDelayMs, 0),
    maxMessageBytes:
      o.maxMessageBytes === undefined
        ? d.maxMessageBytes
        : validateInteger(at('maxMessageBytes'), o.maxMessageBytes, 4096, 16 * 1024 * 1024),
    maxEntriesPerMessage:
      o.maxEntriesPerMessage === undefined
        ? d.maxEntriesPerMessage
        : validateInteger(at('maxEntriesPerMessage'), o.maxEntriesPerMessage, 1, 10_000),
    antiEntropy: o.antiEntropy === undefined ? d.antiEntropy : validateEnum(at('antiEntropy'), o.antiEntropy, MODES),
    digestBuckets:
      o.digestBuckets === undefined
        ? d.digestBuckets
        : validateInteger(at('digestBuckets'), o.digestBuckets, MIN_DIGEST_BUCKETS, MAX_DIGEST_BUCKETS),
    durableOpenCircuits:
      o.durableOpenCircuits === undefined
        ? d.durableOpenCircuits
        : validateBoolean(at('durableOpenCircuits'), o.durableOpenCircuits),
    durableReadDelayMs:
      o.durableReadDelayMs === undefined
        ? d.durableReadDelayMs
        : validateDuration(at('durableReadDelayMs'), o.durableReadDelayMs, 0),
  });
}
