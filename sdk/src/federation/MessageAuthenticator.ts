import { createHmac, createSecretKey, randomBytes, timingSafeEqual } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { SdkCompatibility } from '../compat/SdkCompatibility.js';
import { InvalidConfigurationError } from '../errors/errors.js';
import { rejectUnknownKeys, validateDuration, validateInteger, validateObject } from '../config/validate.js';
import type { PluginMessage } from './IFederatedMessageBus.js';
import { canonicalJson } from './canonicalJson.js';
import { validatePluginMessage, validateTopic } from './validatePluginMessage.js';

export { canonicalJson, MAX_CANONICAL_DEPTH } from './canonicalJson.js';

/**
 * Why {@link MessageAuthenticator.verify} refused a message:
 * - `malformed`: not a valid envelope, a nonce of the wrong shape, or a payload JSON cannot carry;
 * - `unsigned`: no `signature`, `nonce` or `expiresAt`;
 * - `bad-signature`: the HMAC does not match (forged, altered, or signed with another secret);
 * - `expired`: `expiresAt` (plus the tolerated clock skew) has passed;
 * - `clock-skew`: `expiresAt` lies further ahead than `ttlMs` + skew allow (the sender's
 *   clock is off, or the message was made to outlive the replay cache);
 * - `replayed`: this nonce was already accepted.
 * @since 6.0.0
 */
export type MessageRejectionReason = 'malformed' | 'unsigned' | 'bad-signature' | 'expired' | 'clock-skew' | 'replayed';

/** Every {@link MessageRejectionReason}, in the order verification checks them. @since 6.0.0 */
export const MESSAGE_REJECTION_REASONS: readonly MessageRejectionReason[] = Object.freeze([
  'malformed',
  'unsigned',
  'bad-signature',
  'expired',
  'clock-skew',
  'replayed',
]);

/** Outcome of {@link MessageAuthenticator.verify}. @since 6.0.0 */
export type MessageVerification =
  | { readonly ok: true; readonly message: PluginMessage }
  | { readonly ok: false; readonly reason: MessageRejectionReason };

/** Options of {@link MessageAuthenticator}. @since 6.0.0 */
export interface MessageAuthenticatorOptions {
  /**
   * The secret shared by every node: at least {@link MIN_SECRET_BYTES} bytes (a string counts
   * its UTF-8 bytes). Kept in a `KeyObject`; never logged, serialized or exposed.
   */
  readonly secret: string | Uint8Array;
  /** How long a signed message is valid, ms (`expiresAt = now + ttlMs`). Default 30 000. */
  readonly ttlMs?: number;
  /** Tolerated difference between the nodes' wall clocks, ms. Default 5 000. */
  readonly maxClockSkewMs?: number;
  /** Most nonces remembered for replay detection (oldest evicted first). Default 20 000. */
  readonly replayCacheSize?: number;
  /** Wall clock, ms since the Unix epoch. Default `Date.now`. */
  readonly now?: () => number;
}

/** Counters of a {@link MessageAuthenticator}. @since 6.0.0 */
export interface MessageAuthenticatorStatistics {
  readonly signed: number;
  readonly accepted: number;
  readonly rejected: Readonly<Record<MessageRejectionReason, number>>;
  /** Nonces currently remembered, and the most that are. */
  readonly replayCacheSize: number;
  readonly replayCacheCapacity: number;
  /** Nonces dropped while still valid because the cache was full (each opens a replay window). */
  readonly replayCacheEvictions: number;
}

/** Smallest accepted secret, bytes (256 bits, the HMAC-SHA256 block-size guidance). @since 6.0.0 */
export const MIN_SECRET_BYTES = 32;

const OPTION_KEYS = ['secret', 'ttlMs', 'maxClockSkewMs', 'replayCacheSize', 'now'] as const;
// Domain separation: a signature over a bus message can never be valid for anything else.
const CONTEXT = 'datawarehouse.bus.v1\n';
const SIGNATURE = /^[0-9a-f]{64}$/;
const NONCE = /^[A-Za-z0-9_-]{16,128}$/;
const MAX_REPLAY_CACHE = 10_000_000;

/**
 * Signs and verifies {@link PluginMessage}s with HMAC-SHA256 over a canonical serialization
 * ({@link canonicalJson}) of the topic and every envelope field but the signature, with a
 * random nonce and an expiry. Verification rejects unsigned, malformed, forged, expired and
 * replayed messages and counts each reason; it never throws.
 *
 * - **Replay cache**: a nonce is remembered (only after its signature checked out, so forged
 *   traffic cannot fill the cache) until its message expires; the cache is bounded by
 *   `replayCacheSize`, oldest first. Expiry bounds it in time, the size bounds it in memory.
 * - **Clocks**: `expiresAt` is wall-clock time; nodes may disagree by up to `maxClockSkewMs`.
 * - **The secret** lives in a private `KeyObject`: `JSON.stringify`, `util.inspect` and every
 *   error message show only the algorithm and settings.
 *
 * @example
 * ```ts
 * const auth = new MessageAuthenticator({ secret: process.env.DW_FEDERATION_SECRET! });
 * const wire = JSON.stringify(auth.sign(topic, message));
 * const result = auth.verify(topic, JSON.parse(wire));
 * if (result.ok) deliver(result.message); else count(result.reason);
 * ```
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class MessageAuthenticator {
  readonly #key: KeyObject;
  readonly ttlMs: number;
  readonly maxClockSkewMs: number;
  private readonly now: () => number;
  private capacity: number;
  // Insertion order approximates expiry order, so purging from the head is amortized O(1).
  private readonly nonces = new Map<string, number>();
  private signedCount = 0;
  private acceptedCount = 0;
  private evictions = 0;
  private readonly rejected: Record<MessageRejectionReason, number> = {
    malformed: 0,
    unsigned: 0,
    'bad-signature': 0,
    expired: 0,
    'clock-skew': 0,
    replayed: 0,
  };

  /**
   * @throws {@link InvalidConfigurationError} for an unknown option, a secret shorter than
   * {@link MIN_SECRET_BYTES} (the error shows its length, never its value), a bad duration,
   * cache size (1..10 000 000) or clock.
   */
  constructor(options: MessageAuthenticatorOptions) {
    const o = validateObject('options', options);
    rejectUnknownKeys('', o, OPTION_KEYS);
    this.#key = createSecretKey(secretBytes(o.secret));
    this.ttlMs = validateDuration('ttlMs', o.ttlMs ?? 30_000, 1);
    this.maxClockSkewMs = validateDuration('maxClockSkewMs', o.maxClockSkewMs ?? 5_000, 0);
    this.capacity = validateInteger('replayCacheSize', o.replayCacheSize ?? 20_000, 1, MAX_REPLAY_CACHE);
    if (o.now !== undefined && typeof o.now !== 'function')
      throw new InvalidConfigurationError('now', o.now, 'a function');
    this.now = (o.now as (() => number) | undefined) ?? Date.now;
  }

  /**
   * Returns a copy of `message` with a fresh `nonce`, `expiresAt = now + ttlMs` and the
   * `signature` (any of the three already present is replaced). Serialize it with
   * `JSON.stringify`; the receiver verifies what `JSON.parse` gives back.
   * @throws {@link InvalidConfigurationError} for a bad topic or envelope, or a payload JSON
   * cannot round-trip (naming the path, e.g. `message.payload.at`).
   */
  sign<T>(topic: string, message: PluginMessage<T>): PluginMessage<T> {
    validateTopic(topic);
    validatePluginMessage(message);
    const signed = {
      id: message.id,
      type: message.type,
      sourceNodeId: message.sourceNodeId,
      sourcePluginId: message.sourcePluginId,
      payload: message.payload,
      timestamp: message.timestamp,
      nonce: randomBytes(16).toString('base64url'),
      expiresAt: this.now() + this.ttlMs,
    };
    const signature = this.mac(topic, signed, 'message');
    this.signedCount++;
    return { ...signed, signature };
  }

  /**
   * Checks `message` (as received, e.g. from `JSON.parse`) arrived on `topic`: shape,
   * signature, expiry, then replay. Never throws.
   */
  verify(topic: string, message: unknown): MessageVerification {
    let m: PluginMessage;
    try {
      m = validatePluginMessage(message);
    } catch {
      return this.reject('malformed');
    }
    if (m.signature === undefined || m.nonce === undefined || m.expiresAt === undefined) return this.reject('unsigned');
    if (!NONCE.test(m.nonce) || !SIGNATURE.test(m.signature)) return this.reject('malformed');
    const unsigned = withoutSignature(m);
    let expected: Buffer;
    try {
      expected = Buffer.from(this.mac(topic, unsigned, 'message'), 'hex');
    } catch {
      return this.reject('malformed');
    }
    if (!timingSafeEqual(Buffer.from(m.signature, 'hex'), expected)) return this.reject('bad-signature');
    const now = this.now();
    if (now > m.expiresAt + this.maxClockSkewMs) return this.reject('expired');
    if (m.expiresAt - now > this.ttlMs + this.maxClockSkewMs) return this.reject('clock-skew');
    this.purge(now);
    if (this.nonces.has(m.nonce)) return this.reject('replayed');
    if (this.nonces.size >= this.capacity) this.evictOldest();
    this.nonces.set(m.nonce, m.expiresAt + this.maxClockSkewMs);
    this.acceptedCount++;
    // Only the signed fields travel on: anything else a sender added was never authenticated.
    return { ok: true, message: { ...unsigned, signature: m.signature } };
  }

  /**
   * Changes the replay cache's capacity in place (oldest nonces evicted when it shrinks).
   * @throws {@link InvalidConfigurationError} unless an integer in 1..10 000 000.
   */
  setReplayCacheSize(size: number): void {
    this.capacity = validateInteger('replayCacheSize', size, 1, MAX_REPLAY_CACHE);
    while (this.nonces.size > this.capacity) this.evictOldest();
  }

  /** A snapshot of the counters. */
  getStatistics(): MessageAuthenticatorStatistics {
    return {
      signed: this.signedCount,
      accepted: this.acceptedCount,
      rejected: { ...this.rejected },
      replayCacheSize: this.nonces.size,
      replayCacheCapacity: this.capacity,
      replayCacheEvictions: this.evictions,
    };
  }

  /** Settings only; the secret is never part of any serialization. */
  toJSON(): Record<string, unknown> {
    return {
      algorithm: 'hmac-sha256',
      ttlMs: this.ttlMs,
      maxClockSkewMs: this.maxClockSkewMs,
      replayCacheSize: this.capacity,
    };
  }

  private mac(topic: string, unsigned: Omit<PluginMessage, 'signature'>, field: string): string {
    const text = CONTEXT + JSON.stringify(topic) + '\n' + canonicalJson(unsigned, field);
    return createHmac('sha256', this.#key).update(text, 'utf8').digest('hex');
  }

  private reject(reason: MessageRejectionReason): MessageVerification {
    this.rejected[reason]++;
    return { ok: false, reason };
  }

  private purge(now: number): void {
    for (const [nonce, until] of this.nonces) {
      if (until >= now) return;
      this.nonces.delete(nonce);
    }
  }

  private evictOldest(): void {
    const oldest = this.nonces.keys().next();
    if (oldest.done === true) return;
    this.nonces.delete(oldest.value);
    this.evictions++;
  }
}

function withoutSignature(m: PluginMessage): Omit<PluginMessage, 'signature'> {
  return {
    id: m.id,
    type: m.type,
    sourceNodeId: m.sourceNodeId,
    sourcePluginId: m.sourcePluginId,
    payload: m.payload,
    timestamp: m.timestamp,
    nonce: m.nonce,
    expiresAt: m.expiresAt,
  };
}

function secretBytes(secret: unknown): Buffer {
  let bytes: Buffer;
  if (typeof secret === 'string') bytes = Buffer.from(secret, 'utf8');
  else if (secret instanceof Uint8Array) bytes = Buffer.from(secret);
  else
    throw new InvalidConfigurationError(
      'secret',
      typeof secret,
      `a string or Uint8Array of at least ${MIN_SECRET_BYTES} bytes`,
    );
  if (bytes.length < MIN_SECRET_BYTES) {
    // Never echo the secret itself, not even a short or mistyped one.
    throw new InvalidConfigurationError(
      'secret',
      `[redacted, ${bytes.length} bytes]`,
      `a shared secret of at least ${MIN_SECRET_BYTES} bytes`,
    );
  }
  return bytes;
}
