import type { PluginMessage } from './IFederatedMessageBus.js';
import { InvalidConfigurationError } from '../errors/errors.js';
import { validateObject, validateString } from '../config/validate.js';

/** Longest topic name a bus accepts. @since 6.0.0 */
export const MAX_TOPIC_LENGTH = 256;

// Envelope strings are identifiers (UUIDs, node and plugin ids, hex HMACs), never bulk data.
const MAX_ENVELOPE_STRING = 1024;

/**
 * Checks a topic name: a non-empty string of at most {@link MAX_TOPIC_LENGTH} characters.
 * @throws {@link InvalidConfigurationError} naming `topic` and the value.
 * @since 6.0.0
 */
export function validateTopic(topic: unknown): string {
  return validateString('topic', topic, MAX_TOPIC_LENGTH);
}

/**
 * Checks the shape of a {@link PluginMessage} envelope: `id`, `type`, `sourceNodeId`,
 * `sourcePluginId` non-empty strings (at most 1024 characters), `timestamp` a finite number,
 * and, when present, `signature`/`nonce` strings and `expiresAt` a finite number. The payload
 * is not inspected. Transports call it before sending; receivers may call it on what arrives.
 * @throws {@link InvalidConfigurationError} naming the field (e.g. `message.timestamp`) and the value.
 * @since 6.0.0
 */
export function validatePluginMessage(message: unknown, field = 'message'): PluginMessage {
  const m = validateObject(field, message);
  validateString(`${field}.id`, m.id, MAX_ENVELOPE_STRING);
  validateString(`${field}.type`, m.type, MAX_ENVELOPE_STRING);
  validateString(`${field}.sourceNodeId`, m.sourceNodeId, MAX_ENVELOPE_STRING);
  validateString(`${field}.sourcePluginId`, m.sourcePluginId, MAX_ENVELOPE_STRING);
  finite(`${field}.timestamp`, m.timestamp);
  if (m.signature !== undefined) validateString(`${field}.signature`, m.signature, MAX_ENVELOPE_STRING);
  if (m.nonce !== undefined) validateString(`${field}.nonce`, m.nonce, MAX_ENVELOPE_STRING);
  if (m.expiresAt !== undefined) finite(`${field}.expiresAt`, m.expiresAt);
  return m as unknown as PluginMessage;
}

function finite(field: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new InvalidConfigurationError(field, value, 'a finite number');
  }
}
