import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  InvalidConfigurationError,
  MessageAuthenticator,
  SdkCompatibility,
  canonicalJson,
  validatePluginMessage,
  validateTopic,
} from '@datawarehouse/sdk';
import type { PluginMessage } from '@datawarehouse/sdk';
import type { FederationKeyring } from './FederationKeyring.js';
import { ReplayCache } from './ReplayCache.js';

/**
 * Why a received message was refused by the keyring: the SDK's reasons (`malformed`,
 * `unsigned`, `bad-signature`, `expired`, `clock-skew`, `replayed`) plus `unknown-key` (a key
 * id this node does not hold), `wrong-node` (a per-node key used by another node, or a shared
 * key while `requireNodeKeys` is on) and `unsupported-version` (a wire version this node does
 * not read).
 * @since 6.0.0
 */
export type KeyringRejectionReason =
  | 'malformed'
  | 'unsigned'
  | 'bad-signature'
  | 'expired'
  | 'clock-skew'
  | 'replayed'
  | 'unknown-key'
  | 'wrong-node'
  | 'unsupported-version';

/** Outcome of {@link KeyringAuthenticator.decode}. @since 6.0.0 */
export type KeyringVerification =
  | { readonly ok: true; readonly message: PluginMessage; readonly keyId: string | undefined }
  | { readonly ok: false; readonly reason: KeyringRejectionReason };

/** Options of a {@link KeyringAuthenticator}. @since 6.0.0 */
export interface KeyringAuthenticatorOptions {
  readonly keyring: FederationKeyring;
  /** Validity of a signed message, ms. Default 30 000. */
  readonly ttlMs?: number;
  /** Tolerated difference between the nodes' wall clocks, ms. Default 5 000. */
  readonly maxClockSkewMs?: number;
  /** Nonces remembered against replays (an LRU). Default 20 000. */
  readonly replayCacheSize?: number;
  /** Wire version this node sends: 2 (default) or 1 (the format before key ids, for a rolling upgrade). */
  readonly wireVersion?: 1 | 2;
  /** Also read version-1 messages (JSON with the signature inside). Default false: see `decode`. */
  readonly acceptWireV1?: boolean;
  /** Refuse messages signed with a key not bound to their sender. Default false. */
  readonly requireNodeKeys?: boolean;
  /** Wall clock, ms. Default `Date.now`. */
  readonly now?: () => number;
}

/** Counters of a {@link KeyringAuthenticator}. @since 6.0.0 */
export interface KeyringAuthenticatorStatistics {
  readonly wireVersion: 1 | 2;
  readonly signingKeyId: string;
  readonly keyIds: readonly string[];
  readonly signed: number;
  readonly accepted: number;
  /** Accepted messages by the id of the key that signed them (`v1` for version-1 messages). */
  readonly acceptedByKey: Readonly<Record<string, number>>;
  readonly replayCache: { readonly size: number; readonly capacity: number; readonly evictions: number };
}

/** Prefix of a version-2 message: `dw2.<keyId>.<base64url HMAC>.<JSON>`. @since 6.0.0 */
export const WIRE_V2_PREFIX = 'dw2.';
const CONTEXT = 'datawarehouse.bus.v2\n';
const SIGNATURE_CHARS = 43; // base64url of 32 bytes, unpadded
const SIGNATURE = /^[A-Za-z0-9_-]{43}$/;
const NONCE = /^[A-Za-z0-9_-]{16,128}$/;
const VERSION_PREFIX = /^dw(\d{1,6})\./;

/**
 * Signs and verifies bus messages with a {@link FederationKeyring}. Version 2 of the wire
 * format puts the key id and the HMAC-SHA256 **in front of** the JSON
 * (`dw2.<keyId>.<mac>.<json>`, the MAC over a context string, the key id, the topic and the
 * JSON text exactly as sent), so a receiver checks the signature before parsing anything:
 * forged or garbage traffic costs one HMAC over bytes already size-checked, never a
 * `JSON.parse`. Then: envelope, expiry (± `maxClockSkewMs`), node binding, replay (an LRU
 * {@link ReplayCache}).
 *
 * Version 1 (the JSON envelope with `signature`/`nonce`/`expiresAt` inside, verified by the
 * SDK's `MessageAuthenticator`) is sent when `wireVersion: 1` and read when `acceptWireV1`,
 * with every key not bound to a node: the rolling-upgrade path. Reading it parses before
 * verifying, so leave it off once every node sends version 2. Any other `dw<n>.` prefix is
 * refused as `unsupported-version`.
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class KeyringAuthenticator {
  readonly keyring: FederationKeyring;
  readonly ttlMs: number;
  readonly maxClockSkewMs: number;
  readonly wireVersion: 1 | 2;
  readonly acceptWireV1: boolean;
  readonly requireNodeKeys: boolean;
  private readonly now: () => number;
  private readonly replay: ReplayCache;
  private readonly legacy: readonly MessageAuthenticator[];
  private signedCount = 0;
  private acceptedCount = 0;
  private readonly byKey = new Map<string, number>();

  /** @throws {@link InvalidConfigurationError} naming the option. */
  constructor(options: KeyringAuthenticatorOptions) {
    this.keyring = options.keyring;
    this.ttlMs = positive('ttlMs', options.ttlMs ?? 30_000, 1);
    this.maxClockSkewMs = positive('maxClockSkewMs', options.maxClockSkewMs ?? 5_000, 0);
    this.replay = new ReplayCache(options.replayCacheSize ?? 20_000);
    const version = options.wireVersion ?? 2;
    if (version !== 1 && version !== 2) throw new InvalidConfigurationError('wireVersion', version, '1 or 2');
    this.wireVersion = version;
    this.acceptWireV1 = options.acceptWireV1 ?? false;
    this.requireNodeKeys = options.requireNodeKeys ?? false;
    this.now = options.now ?? Date.now;
    const shared = [...this.keyring.keys()].filter((k) => k.nodeId === undefined);
    const signingId = this.keyring.signingKeyId;
    const signingFirst = [...shared.filter((k) => k.id === signingId), ...shared.filter((k) => k.id !== signingId)];
    // Version 1 carries no key id: it is signed with the signing key and checked against each shared key.
    this.legacy =
      version === 1 || this.acceptWireV1
        ? signingFirst.map(
            (k) =>
              new MessageAuthenticator({
                secret: k.key.export(),
                ttlMs: this.ttlMs,
                maxClockSkewMs: this.maxClockSkewMs,
                replayCacheSize: options.replayCacheSize ?? 20_000,
                now: this.now,
              }),
          )
        : [];
    if (version === 1 && this.keyring.signingKey.nodeId !== undefined) {
      throw new InvalidConfigurationError('wireVersion', 1, '2 when the signing key is bound to a node');
    }
  }

  /**
   * The text to publish for `message` on `topic`.
   * @throws {@link InvalidConfigurationError} for a bad topic or envelope, or a payload JSON cannot carry.
   */
  encode(topic: string, message: PluginMessage): string {
    validateTopic(topic);
    validatePluginMessage(message);
    canonicalJson(message.payload, 'message.payload');
    this.signedCount++;
    if (this.wireVersion === 1) return JSON.stringify(this.legacy[0]!.sign(topic, message));
    const key = this.keyring.signingKey;
    const json = JSON.stringify({
      id: message.id,
      type: message.type,
      sourceNodeId: message.sourceNodeId,
      sourcePluginId: message.sourcePluginId,
      payload: message.payload,
      timestamp: message.timestamp,
      nonce: randomBytes(16).toString('base64url'),
      expiresAt: this.now() + this.ttlMs,
    });
    return `${WIRE_V2_PREFIX}${key.id}.${this.mac(key.id, topic, json).toString('base64url')}.${json}`;
  }

  /** Checks text received on `topic` (already size-checked by the caller). Never throws. */
  decode(topic: string, raw: string): KeyringVerification {
    if (raw.startsWith(WIRE_V2_PREFIX)) return this.decodeV2(topic, raw);
    if (raw.startsWith('{'))
      return this.acceptWireV1 ? this.decodeV1(topic, raw) : { ok: false, reason: 'unsupported-version' };
    return { ok: false, reason: VERSION_PREFIX.test(raw) ? 'unsupported-version' : 'malformed' };
  }

  /** The replay cache's new capacity (the most recent nonces kept). @throws {@link InvalidConfigurationError} */
  setReplayCacheSize(size: number): void {
    this.replay.resize(size, this.now());
    for (const l of this.legacy) l.setReplayCacheSize(size);
  }

  getStatistics(): KeyringAuthenticatorStatistics {
    return {
      wireVersion: this.wireVersion,
      signingKeyId: this.keyring.signingKeyId,
      keyIds: this.keyring.ids,
      signed: this.signedCount,
      accepted: this.acceptedCount,
      acceptedByKey: Object.fromEntries(this.byKey),
      replayCache: { size: this.replay.size, capacity: this.replay.capacity, evictions: this.replay.evictions },
    };
  }

  private decodeV2(topic: string, raw: string): KeyringVerification {
    const idEnd = raw.indexOf('.', WIRE_V2_PREFIX.length);
    if (idEnd < 0 || idEnd > WIRE_V2_PREFIX.length + 64) return { ok: false, reason: 'malformed' };
    const keyId = raw.slice(WIRE_V2_PREFIX.length, idEnd);
    const sigEnd = idEnd + 1 + SIGNATURE_CHARS;
    if (raw.charCodeAt(idEnd + 1) === 46 /* . */) return { ok: false, reason: 'unsigned' };
    if (raw.charCodeAt(sigEnd) !== 46) return { ok: false, reason: 'malformed' };
    const signature = raw.slice(idEnd + 1, sigEnd);
    if (!SIGNATURE.test(signature)) return { ok: false, reason: 'malformed' };
    const key = this.keyring.get(keyId);
    if (key === undefined) return { ok: false, reason: 'unknown-key' };
    const json = raw.slice(sigEnd + 1);
    if (!timingSafeEqual(Buffer.from(signature, 'base64url'), this.mac(keyId, topic, json))) {
      return { ok: false, reason: 'bad-signature' };
    }
    // Authentic from here on: a member of the cluster sent it. Still checked strictly.
    let m: PluginMessage;
    try {
      m = validatePluginMessage(JSON.parse(json));
    } catch {
      return { ok: false, reason: 'malformed' };
    }
    if (
      typeof m.nonce !== 'string' ||
      !NONCE.test(m.nonce) ||
      typeof m.expiresAt !== 'number' ||
      m.signature !== undefined
    ) {
      return { ok: false, reason: 'malformed' };
    }
    if (key.nodeId !== undefined ? key.nodeId !== m.sourceNodeId : this.requireNodeKeys) {
      return { ok: false, reason: 'wrong-node' };
    }
    const now = this.now();
    if (now > m.expiresAt + this.maxClockSkewMs) return { ok: false, reason: 'expired' };
    if (m.expiresAt - now > this.ttlMs + this.maxClockSkewMs) return { ok: false, reason: 'clock-skew' };
    if (!this.replay.checkAndRemember(m.nonce, m.expiresAt + this.maxClockSkewMs, now)) {
      return { ok: false, reason: 'replayed' };
    }
    return this.accept({ ...m, signature }, keyId);
  }

  private decodeV1(topic: string, raw: string): KeyringVerification {
    if (this.requireNodeKeys) return { ok: false, reason: 'wrong-node' };
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      return { ok: false, reason: 'malformed' };
    }
    let reason: KeyringRejectionReason = 'unknown-key';
    for (const auth of this.legacy) {
      const result = auth.verify(topic, parsed);
      if (result.ok) return this.accept(result.message, 'v1');
      reason = result.reason;
      if (result.reason !== 'bad-signature') break;
    }
    return { ok: false, reason };
  }

  private accept(message: PluginMessage, keyId: string): KeyringVerification {
    this.acceptedCount++;
    this.byKey.set(keyId, (this.byKey.get(keyId) ?? 0) + 1);
    return { ok: true, message, keyId: keyId === 'v1' ? undefined : keyId };
  }

  private mac(keyId: string, topic: string, json: string): Buffer {
    const key = this.keyring.get(keyId)!.key;
    return createHmac('sha256', key)
      .update(CONTEXT + keyId + '\n' + JSON.stringify(topic) + '\n')
      .update(json)
      .digest();
  }
}

function positive(field: string, value: number, min: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new InvalidConfigurationError(field, value, `a duration in ms >= ${min}`);
  }
  return value;
}
