import {
  InvalidConfigurationError,
  SdkCompatibility,
  canonicalJson,
  validatePluginMessage,
  validateTopic,
} from '@datawarehouse/sdk';
import type { MessageAuthenticator, MessageRejectionReason, PluginMessage } from '@datawarehouse/sdk';

/** Why {@link WireCodec.decode} dropped a message. @since 6.0.0 */
export type WireRejectionReason = 'oversized' | MessageRejectionReason;

/** Outcome of {@link WireCodec.decode}. @since 6.0.0 */
export type WireDecoding =
  { readonly ok: true; readonly message: PluginMessage } | { readonly ok: false; readonly reason: WireRejectionReason };

/**
 * Turns messages into the text published on Redis and back: signs (HMAC-SHA256, nonce,
 * expiry — see `MessageAuthenticator`) and bounds the size on the way out; on the way in,
 * checks the size before parsing, then the JSON, the envelope schema, the signature, the
 * expiry and replays. `decode` never throws. Without an authenticator (the explicit
 * `allowUnsigned` mode) messages go unsigned and only size and schema are checked.
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class WireCodec {
  constructor(
    /** Largest message in bytes (UTF-8 of the JSON). */
    readonly maxMessageBytes: number,
    private readonly authenticator: MessageAuthenticator | undefined,
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
    const wire = JSON.stringify(this.authenticator === undefined ? message : this.authenticator.sign(topic, message));
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
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      return { ok: false, reason: 'malformed' };
    }
    if (this.authenticator !== undefined) return this.authenticator.verify(topic, parsed);
    try {
      return { ok: true, message: validatePluginMessage(parsed) };
    } catch {
      return { ok: false, reason: 'malformed' };
    }
  }
}
