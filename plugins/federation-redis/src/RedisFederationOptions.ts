// Over ~350 lines on purpose: one option type (about 130 lines of TSDoc: every field, default and bound is documented
// where users read it) and its one validator, with the keyring, Sentinel and Cluster sections it must check together.
import { InvalidConfigurationError, MIN_SECRET_BYTES } from '@datawarehouse/sdk';
import { KEY_ID_PATTERN, MAX_KEYS } from './keys/FederationKeyring.js';
import type { RedisNodeAddress } from './RedisMessageBus.js';
import {
  rejectUnknownKeys,
  validateBoolean,
  validateDuration,
  validateInteger,
  validateObject,
  validateString,
} from '@datawarehouse/sdk/internals';

/**
 * Options of the Redis federation plugin (its `options` in the host configuration). Every
 * field is optional.
 * @since 6.0.0
 */
export interface RedisFederationOptions {
  /** `redis[s]://[[user][:password]@]host[:port][/db]`. Default `redis://127.0.0.1:6379`. */
  readonly url?: string;
  /**
   * Shared HMAC secret (at least 32 bytes). Prefer the environment (`secretEnv`): a config
   * file is easier to leak. Never logged.
   */
  readonly secret?: string;
  /** Environment variable holding the secret when `secret` is not set. Default `DW_FEDERATION_SECRET`. */
  readonly secretEnv?: string;
  /**
   * Start without a secret, sending unsigned messages and accepting unsigned ones (anyone who
   * can publish to the Redis server can then forge circuit states). Default false: without a
   * secret the plugin refuses to start.
   */
  readonly allowUnsigned?: boolean;
  /** Prefix of the Redis channels (`<prefix><topic>`); separates clusters sharing a server. Default `dw:bus:`. */
  readonly channelPrefix?: string;
  /** Largest message sent or accepted, bytes. 1 024..16 777 216. Default 65 536. */
  readonly maxMessageBytes?: number;
  /** Validity of a signed message, ms. Default 30 000. */
  readonly messageTtlMs?: number;
  /** Tolerated difference between the nodes' wall clocks, ms. Default 5 000. */
  readonly maxClockSkewMs?: number;
  /** Nonces remembered against replays. Default 20 000. */
  readonly replayCacheSize?: number;
  /**
   * First reconnect delay, ms; doubles per attempt (with jitter) up to `reconnectMaxDelayMs`.
   * 1..{@link MAX_RECONNECT_DELAY_MS}. Default 100.
   */
  readonly reconnectMinDelayMs?: number;
  /**
   * Longest reconnect delay (the backoff cap), ms: once Redis is back, a node reconnects
   * within this long (plus the connect itself), and re-syncs its circuit states as soon as
   * the bus reports connected, so it bounds how long a node keeps working on local state
   * after an outage. `reconnectMinDelayMs`..{@link MAX_RECONNECT_DELAY_MS}. Default
   * {@link DEFAULT_RECONNECT_MAX_DELAY_MS} (1 000), or `reconnectMinDelayMs` when larger.
   */
  readonly reconnectMaxDelayMs?: number;
  /** TCP connect timeout per attempt, ms. Default 2 000. */
  readonly connectTimeoutMs?: number;
  /**
   * How long `initializeAsync` waits for the first connection, ms; the node then starts on
   * local state and keeps reconnecting in the background. `0`: do not wait. Default 5 000.
   */
  readonly startupConnectTimeoutMs?: number;
  /** Name of the subsystem reporting the connection. Default `federation`. */
  readonly subsystemName?: string;
  /**
   * The keyring: every key this node accepts, by id (instead of `secret`/`secretEnv`, which
   * make one key with id `default`). Each key takes its secret from `secretEnv` (preferred)
   * or `secret`; `nodeId` binds it to the one node allowed to sign with it. See
   * docs/distributed.md, "Rotating keys".
   */
  readonly keys?: readonly RedisFederationKeyOption[];
  /** Id of the key this node signs with. Default: the first of `keys`. */
  readonly signingKeyId?: string;
  /** Refuse messages signed with a key that is not bound to their sending node. Default false. */
  readonly requireNodeKeys?: boolean;
  /**
   * Wire version sent: 2 (default; signature in front, checked before parsing) or 1 (the
   * format of earlier releases, for a rolling upgrade). Signed traffic only.
   */
  readonly wireVersion?: 1 | 2;
  /** Also read version-1 messages (rolling upgrade; parses before verifying). Default false. */
  readonly acceptWireV1?: boolean;
  /** Most received messages waiting to be checked (more are shed). 1..1 000 000. Default 10 000. */
  readonly maxInboundQueue?: number;
  /** Most received messages checked per event-loop turn. 1..100 000. Default 256. */
  readonly maxMessagesPerTurn?: number;
  /**
   * Redis Sentinel: the primary named `masterName`, found through these Sentinels
   * (`"host:port"`, 1..32 of them); the bus follows failovers. `url` then gives only the
   * credentials and TLS of the data nodes. See docs/distributed.md, "Highly available Redis".
   */
  readonly sentinel?: { readonly masterName: string; readonly sentinels: readonly string[] };
  /**
   * Redis Cluster from these seed nodes (`"host:port"`, 1..64). `sharded` (default true, Redis
   * 7+) uses sharded pub/sub. `url` then gives only the credentials and TLS. Not with `sentinel`.
   */
  readonly cluster?: { readonly nodes: readonly string[]; readonly sharded?: boolean };
}

/** One key of the `keys` option. Exactly one of `secret` and `secretEnv`. @since 6.0.0 */
export interface RedisFederationKeyOption {
  /** 1..64 of `A-Z a-z 0-9 _ -`; travels in every message. */
  readonly id: string;
  /** Environment variable holding the secret (at least 32 bytes). */
  readonly secretEnv?: string;
  /** The secret itself (at least 32 bytes); prefer `secretEnv`. */
  readonly secret?: string;
  /** The only node allowed to sign with this key. */
  readonly nodeId?: string;
}

/** A resolved key; `secret` is non-enumerable. @since 6.0.0 */
export interface ResolvedRedisFederationKey {
  readonly id: string;
  readonly nodeId: string | undefined;
  readonly secret: string;
}

/**
 * {@link RedisFederationOptions} resolved; `secret` is `undefined` when running unsigned and
 * is a non-enumerable property (absent from `JSON.stringify` and default inspection).
 * @since 6.0.0
 */
export interface ResolvedRedisFederationOptions {
  readonly url: string;
  readonly secret: string | undefined;
  readonly channelPrefix: string;
  readonly maxMessageBytes: number;
  readonly messageTtlMs: number;
  readonly maxClockSkewMs: number;
  readonly replayCacheSize: number;
  readonly reconnectMinDelayMs: number;
  readonly reconnectMaxDelayMs: number;
  readonly connectTimeoutMs: number;
  readonly startupConnectTimeoutMs: number;
  readonly subsystemName: string;
  /** The keyring (empty when unsigned). */
  readonly keys: readonly ResolvedRedisFederationKey[];
  readonly signingKeyId: string | undefined;
  readonly requireNodeKeys: boolean;
  readonly wireVersion: 1 | 2;
  readonly acceptWireV1: boolean;
  readonly maxInboundQueue: number;
  readonly maxMessagesPerTurn: number;
  readonly sentinel: { readonly masterName: string; readonly sentinels: readonly RedisNodeAddress[] } | undefined;
  readonly cluster: { readonly nodes: readonly RedisNodeAddress[]; readonly sharded: boolean } | undefined;
}

/** Id of the key made from `secret`/`secretEnv` when `keys` is not given. @since 6.0.0 */
export const DEFAULT_KEY_ID = 'default';

/** Default `reconnectMaxDelayMs`, ms: the reconnect backoff cap. @since 6.0.0 */
export const DEFAULT_RECONNECT_MAX_DELAY_MS = 1_000;

/**
 * Largest `reconnectMinDelayMs` / `reconnectMaxDelayMs` accepted, ms (1 minute): a longer cap
 * would leave a node on local state that long after Redis is back. @since 6.0.0
 */
export const MAX_RECONNECT_DELAY_MS = 60_000;

/** Environment variable read for the secret by default. @since 6.0.0 */
export const DEFAULT_SECRET_ENV = 'DW_FEDERATION_SECRET';

const KEYS: readonly (keyof RedisFederationOptions)[] = [
  'url',
  'secret',
  'secretEnv',
  'allowUnsigned',
  'channelPrefix',
  'maxMessageBytes',
  'messageTtlMs',
  'maxClockSkewMs',
  'replayCacheSize',
  'reconnectMinDelayMs',
  'reconnectMaxDelayMs',
  'connectTimeoutMs',
  'startupConnectTimeoutMs',
  'subsystemName',
  'keys',
  'signingKeyId',
  'requireNodeKeys',
  'wireVersion',
  'acceptWireV1',
  'maxInboundQueue',
  'maxMessagesPerTurn',
  'sentinel',
  'cluster',
];
const KEY_KEYS = ['id', 'secret', 'secretEnv', 'nodeId'];
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const REDACTED = '[redacted]';

/**
 * Validates the plugin's options into a frozen, fully-resolved object, reading the secret
 * from `env[secretEnv]` when `secret` is not given.
 * @throws {@link InvalidConfigurationError} naming the field: a bad URL (shown without its
 * password), a secret shorter than 32 bytes (never shown), no secret at all without
 * `allowUnsigned: true`, or any other bad value.
 * @since 6.0.0
 */
export function resolveRedisFederationOptions(
  input: unknown,
  env: Readonly<Record<string, string | undefined>> = process.env,
): ResolvedRedisFederationOptions {
  const o = validateObject('options', input);
  rejectUnknownKeys('', o, KEYS);
  const url = o.url === undefined ? 'redis://127.0.0.1:6379' : validateUrl(o.url);
  const secretEnv =
    o.secretEnv === undefined
      ? DEFAULT_SECRET_ENV
      : validateString('secretEnv', o.secretEnv, 128, /^[A-Za-z_][A-Za-z0-9_]*$/);
  const allowUnsigned = o.allowUnsigned === undefined ? false : validateBoolean('allowUnsigned', o.allowUnsigned);
  let secret: string | undefined;
  let keys: ResolvedRedisFederationKey[] = [];
  if (o.keys !== undefined) {
    for (const field of ['secret', 'secretEnv'] as const) {
      if (o[field] !== undefined)
        throw new InvalidConfigurationError(
          field,
          field === 'secret' ? REDACTED : o[field],
          "absent when 'keys' is set",
        );
    }
    keys = validateKeys(o.keys, env);
  } else if (o.secret !== undefined) secret = validateSecret('secret', o.secret);
  else if (env[secretEnv] !== undefined && env[secretEnv] !== '')
    secret = validateSecret(`env ${secretEnv}`, env[secretEnv]);
  if (secret !== undefined) keys = [key(DEFAULT_KEY_ID, undefined, secret)];
  let signingKeyId: string | undefined;
  if (o.signingKeyId !== undefined) {
    signingKeyId = validateString('signingKeyId', o.signingKeyId, 64, KEY_ID_PATTERN);
    if (!keys.some((k) => k.id === signingKeyId))
      throw new InvalidConfigurationError(
        'signingKeyId',
        signingKeyId,
        `the id of one of the keys (${keys.map((k) => k.id).join(', ') || 'none configured'})`,
      );
  } else signingKeyId = keys[0]?.id;
  secret = keys.find((k) => k.id === signingKeyId)?.secret;
  if (secret === undefined && !allowUnsigned) {
    throw new InvalidConfigurationError(
      'secret',
      undefined,
      `a shared secret of at least ${MIN_SECRET_BYTES} bytes (option 'secret' or environment variable ${secretEnv}), ` +
        "or 'allowUnsigned: true' to run without message authentication",
    );
  }
  const reconnectMinDelayMs =
    o.reconnectMinDelayMs === undefined ? 100 : validateReconnectDelay('reconnectMinDelayMs', o.reconnectMinDelayMs);
  const reconnectMaxDelayMs =
    o.reconnectMaxDelayMs === undefined
      ? Math.max(DEFAULT_RECONNECT_MAX_DELAY_MS, reconnectMinDelayMs)
      : validateReconnectDelay('reconnectMaxDelayMs', o.reconnectMaxDelayMs);
  if (reconnectMaxDelayMs < reconnectMinDelayMs) {
    throw new InvalidConfigurationError(
      'reconnectMaxDelayMs',
      reconnectMaxDelayMs,
      `a duration in ms >= reconnectMinDelayMs (${reconnectMinDelayMs})`,
    );
  }
  const resolved = {
    url,
    channelPrefix: o.channelPrefix === undefined ? 'dw:bus:' : validateString('channelPrefix', o.channelPrefix, 128),
    maxMessageBytes:
      o.maxMessageBytes === undefined
        ? 65_536
        : validateInteger('maxMessageBytes', o.maxMessageBytes, 1024, 16 * 1024 * 1024),
    messageTtlMs: o.messageTtlMs === undefined ? 30_000 : validateDuration('messageTtlMs', o.messageTtlMs, 1),
    maxClockSkewMs: o.maxClockSkewMs === undefined ? 5_000 : validateDuration('maxClockSkewMs', o.maxClockSkewMs, 0),
    replayCacheSize:
      o.replayCacheSize === undefined ? 20_000 : validateInteger('replayCacheSize', o.replayCacheSize, 1, 10_000_000),
    reconnectMinDelayMs,
    reconnectMaxDelayMs,
    connectTimeoutMs:
      o.connectTimeoutMs === undefined ? 2_000 : validateDuration('connectTimeoutMs', o.connectTimeoutMs, 1),
    startupConnectTimeoutMs:
      o.startupConnectTimeoutMs === undefined
        ? 5_000
        : validateDuration('startupConnectTimeoutMs', o.startupConnectTimeoutMs, 0),
    subsystemName:
      o.subsystemName === undefined
        ? 'federation'
        : validateString('subsystemName', o.subsystemName, 128, /^[A-Za-z0-9][A-Za-z0-9._-]*$/),
    keys: Object.freeze(keys),
    signingKeyId,
    requireNodeKeys: o.requireNodeKeys === undefined ? false : validateBoolean('requireNodeKeys', o.requireNodeKeys),
    wireVersion: o.wireVersion === undefined ? 2 : validateWireVersion(o.wireVersion),
    acceptWireV1: o.acceptWireV1 === undefined ? false : validateBoolean('acceptWireV1', o.acceptWireV1),
    maxInboundQueue:
      o.maxInboundQueue === undefined ? 10_000 : validateInteger('maxInboundQueue', o.maxInboundQueue, 1, 1_000_000),
    maxMessagesPerTurn:
      o.maxMessagesPerTurn === undefined
        ? 256
        : validateInteger('maxMessagesPerTurn', o.maxMessagesPerTurn, 1, 100_000),
    sentinel: o.sentinel === undefined ? undefined : validateSentinel(o.sentinel),
    cluster: o.cluster === undefined ? undefined : validateCluster(o.cluster),
  };
  if (resolved.sentinel !== undefined && resolved.cluster !== undefined) {
    throw new InvalidConfigurationError('cluster', 'set', "absent when 'sentinel' is set (one deployment)");
  }
  // Non-enumerable: logging or serializing the resolved options never carries the secret.
  Object.defineProperty(resolved, 'secret', { value: secret, enumerable: false });
  return Object.freeze(resolved) as ResolvedRedisFederationOptions;
}

/**
 * A Redis URL with its password (and user) replaced, for logs and metrics.
 * @since 6.0.0
 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = 'redacted';
    return u.toString();
  } catch {
    return REDACTED;
  }
}

function validateAddresses(field: string, value: unknown, max: number): RedisNodeAddress[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > max) {
    throw new InvalidConfigurationError(field, value, `an array of 1..${max} "host:port" strings`);
  }
  return value.map((item: unknown, i) => {
    const text = validateString(`${field}[${i}]`, item, 300);
    const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(text);
    const port = m === null ? 0 : Number(m[2]);
    if (m === null || port < 1 || port > 65_535) {
      throw new InvalidConfigurationError(`${field}[${i}]`, text, 'a "host:port" address, port 1..65535');
    }
    return Object.freeze({ host: m[1]!.replace(/^\[|\]$/g, ''), port });
  });
}

function validateSentinel(value: unknown): ResolvedRedisFederationOptions['sentinel'] {
  const o = validateObject('sentinel', value);
  rejectUnknownKeys('sentinel', o, ['masterName', 'sentinels']);
  return Object.freeze({
    masterName: validateString('sentinel.masterName', o.masterName, 128, /^[A-Za-z0-9._-]+$/),
    sentinels: Object.freeze(validateAddresses('sentinel.sentinels', o.sentinels, 32)),
  });
}

function validateCluster(value: unknown): ResolvedRedisFederationOptions['cluster'] {
  const o = validateObject('cluster', value);
  rejectUnknownKeys('cluster', o, ['nodes', 'sharded']);
  return Object.freeze({
    nodes: Object.freeze(validateAddresses('cluster.nodes', o.nodes, 64)),
    sharded: o.sharded === undefined ? true : validateBoolean('cluster.sharded', o.sharded),
  });
}

function validateWireVersion(value: unknown): 1 | 2 {
  if (value !== 1 && value !== 2) throw new InvalidConfigurationError('wireVersion', value, '1 or 2');
  return value;
}

function key(id: string, nodeId: string | undefined, secret: string): ResolvedRedisFederationKey {
  const k = { id, nodeId };
  Object.defineProperty(k, 'secret', { value: secret, enumerable: false });
  return Object.freeze(k) as ResolvedRedisFederationKey;
}

function validateKeys(value: unknown, env: Readonly<Record<string, string | undefined>>): ResolvedRedisFederationKey[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_KEYS) {
    throw new InvalidConfigurationError(
      'keys',
      Array.isArray(value) ? `${value.length} keys` : value,
      `1..${MAX_KEYS} keys`,
    );
  }
  const seen = new Set<string>();
  return value.map((item: unknown, i) => {
    const field = `keys[${i}]`;
    const k = validateObject(field, item);
    rejectUnknownKeys(field, k, KEY_KEYS);
    const id = validateString(`${field}.id`, k.id, 64, KEY_ID_PATTERN);
    if (seen.has(id)) throw new InvalidConfigurationError(`${field}.id`, id, 'an id no other key has');
    seen.add(id);
    const nodeId = k.nodeId === undefined ? undefined : validateString(`${field}.nodeId`, k.nodeId, 64);
    if ((k.secret === undefined) === (k.secretEnv === undefined)) {
      throw new InvalidConfigurationError(field, `key '${id}'`, "exactly one of 'secret' and 'secretEnv'");
    }
    let secret: string;
    if (k.secret !== undefined) secret = validateSecret(`${field}.secret`, k.secret);
    else {
      const name = validateString(`${field}.secretEnv`, k.secretEnv, 128, ENV_NAME);
      const fromEnv = env[name];
      if (fromEnv === undefined || fromEnv === '')
        throw new InvalidConfigurationError(`${field}.secretEnv`, name, 'the name of a set environment variable');
      secret = validateSecret(`env ${name}`, fromEnv);
    }
    return key(id, nodeId, secret);
  });
}

function validateUrl(value: unknown): string {
  if (typeof value !== 'string' || value.length > 2048)
    throw new InvalidConfigurationError('url', REDACTED, 'a redis:// or rediss:// URL');
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new InvalidConfigurationError('url', redactUrl(value), 'a redis:// or rediss:// URL');
  }
  if ((u.protocol !== 'redis:' && u.protocol !== 'rediss:') || u.hostname === '') {
    throw new InvalidConfigurationError('url', redactUrl(value), 'a redis:// or rediss:// URL with a host');
  }
  return value;
}

function validateReconnectDelay(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 1 || value > MAX_RECONNECT_DELAY_MS) {
    throw new InvalidConfigurationError(field, value, `a duration in ms in [1, ${MAX_RECONNECT_DELAY_MS}]`);
  }
  return value;
}

function validateSecret(field: string, value: unknown): string {
  if (typeof value !== 'string')
    throw new InvalidConfigurationError(field, typeof value, `a string of at least ${MIN_SECRET_BYTES} bytes`);
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes < MIN_SECRET_BYTES) {
    throw new InvalidConfigurationError(
      field,
      `[redacted, ${bytes} bytes]`,
      `a shared secret of at least ${MIN_SECRET_BYTES} bytes`,
    );
  }
  return value;
}
