import { InvalidConfigurationError, MIN_SECRET_BYTES } from '@datawarehouse/sdk';
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
}

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
];
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
  if (o.secret !== undefined) secret = validateSecret('secret', o.secret);
  else if (env[secretEnv] !== undefined && env[secretEnv] !== '')
    secret = validateSecret(`env ${secretEnv}`, env[secretEnv]);
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
  };
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
