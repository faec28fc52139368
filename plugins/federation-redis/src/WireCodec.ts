import {
  InvalidConfigurationError,
  SdkCompatibility,
  canonicalJson,
  validatePluginMessage,
  validateTopic,
} from '@datawarehouse/sdk';
import type { MessageRejectionReason, PluginMessage, MessageAuthenticator } from '@datawarehouse/sdk';
import { KeyringAuthenticator } from './keys/KeyringAuthenticator.js';
import type { KeyringRejectionReason } from './keys/KeyringAuthenticator.js';

/** Why {@link WireCodec.decode} dropped a message. @since 6.0.0 */
export type WireRejectionReason = 'oversized' | MessageRejectionReason | KeyringRejectionReason;

/** Outcome of {@link WireCodec.decode}. @since 6.0.0 */
export type WireDecoding =
  { readonly ok: true; readonly message: PluginMessage } | { readonly ok: false; readonly reason: WireRejectionReason };

/**
 * Turns messages into the text published on Redis and back, and bounds their size both ways
 * (on the way in, before anything else, without parsing). `decode` never throws.
 *
 * - With a {@link KeyringAuthenticator} (what the plugin uses): wire version 2, key id and
 *   HMAC in front of the JSON, the signature checked before any parsing (see there).
 * - With the SDK's `MessageAuthenticator`: wire version 1 only (JSON, then envelope, then HMAC).
 * - Without either (the explicit `allowUnsigned` mode): unsigned JSON, size and schema checked.
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class WireCodec {
  constructor(
    /** Largest message in bytes (UTF-8 of the whole text sent). */
    readonly maxMessageBytes: number,
    private readonly authenticator: KeyringAuthenticator | MessageAuthenticator | undefined,
  ) {}

  /** Whether messages are signed and verified. */
  get signing(): boolean {
    return this.authenticator !== undefined;
  }

  /**
   * The text to publish for `message` on `topic`.
   * @throws {@link InvalidConfigurationError} for a bad topic or envelope, a payload JSON
   * cannot carry (naming its path), or a message larger than `maxMessageBytes`.
   */
  encode(topic: string, message: PluginMessage): string {
    validateTopic(topic);
    validatePluginMessage(message);
    // Both ways must see the same JSON: refuse what would not survive the trip (NaN, Date, ...).
    canonicalJson(message.payload, 'message.payload');
    const a = this.authenticator;
    const wire =
      a === undefined
        ? JSON.stringify(message)
        : a instanceof KeyringAuthenticator
          ? a.encode(topic, message)
          : JSON.stringify(a.sign(topic, message));
    const bytes = Buffer.byteLength(wire, 'utf8');
    if (bytes > this.maxMessageBytes) {
      throw new InvalidConfigurationError(
        'message',
        `${bytes} bytes`,
        `at most ${this.maxMessageBytes} bytes (maxMessageBytes)`,
      );
    }
    return wire;
  }

  /** Checks and parses text received on `topic`. Never throws. */
  decode(topic: string, raw: unknown): WireDecoding {
    if (typeof raw !== 'string') return { ok: false, reason: 'malformed' };
    // A UTF-8 byte is at least one UTF-16 unit: too many units is too many bytes, no need to count.
    if (raw.length > this.maxMessageBytes || Buffer.byteLength(raw, 'utf8') > this.maxMessageBytes) {
      return { ok: false, reason: 'oversized' };
    }
    const a = this.authenticator;
    if (a instanceof KeyringAuthenticator) {
      const result = a.decode(topic, raw);
      return result.ok ? { ok: true, message: result.message } : result;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      return { ok: false, reason: 'malformed' };
    }
    if (a !== undefined) return a.verify(topic, parsed);
    try {
      return { ok: true, message: validatePluginMessage(parsed) };
    } catch {
      return { ok: false, reason: 'malformed' };
    }
  }

  /** The message as this node's own subscribers receive it (what `JSON.parse` of the wire gives back). */
  static localCopy(wire: string): PluginMessage {
    if (!wire.startsWith('dw2.')) return JSON.parse(wire) as PluginMessage;
    const sigStart = wire.indexOf('.', 4) + 1;
    const jsonStart = wire.indexOf('.', sigStart) + 1;
    return { ...(JSON.parse(wire.slice(jsonStart)) as PluginMessage), signature: wire.slice(sigStart, jsonStart - 1) };
  }
}
