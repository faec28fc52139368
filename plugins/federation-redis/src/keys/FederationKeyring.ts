import { createSecretKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { InvalidConfigurationError, MIN_SECRET_BYTES, SdkCompatibility } from '@datawarehouse/sdk';

/** What a key id may be: 1..64 of `A-Z a-z 0-9 _ -` (it travels in every message's header). @since 6.0.0 */
export const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** Most keys a keyring holds (a rotation needs two; per-node keys one per node). @since 6.0.0 */
export const MAX_KEYS = 1024;

/**
 * One key of a {@link FederationKeyring}: its id, its secret (at least 32 bytes) and, for a
 * per-node key, the only node allowed to sign with it.
 * @since 6.0.0
 */
export interface FederationKeySpec {
  readonly id: string;
  readonly secret: string | Uint8Array;
  /** When set, a message signed with this key is accepted only from this node id. */
  readonly nodeId?: string;
}

/** A key as the keyring holds it: the secret is in a `KeyObject`, never exposed. @since 6.0.0 */
export interface FederationKey {
  readonly id: string;
  readonly nodeId: string | undefined;
  /** @internal */
  readonly key: KeyObject;
}

/**
 * The keys a node accepts, by id, and the one it signs with. Several accepted keys are what
 * makes a rotation possible without downtime (see docs/distributed.md, "Rotating keys"):
 * every node first accepts the new key, then signs with it, then drops the old one.
 * A key may be bound to a node (`nodeId`): a receiver then knows which node signed.
 *
 * `toJSON` and `util.inspect` show ids and bindings only, never a secret.
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class FederationKeyring {
  readonly #keys: ReadonlyMap<string, FederationKey>;
  /** Id of the key this node signs with. */
  readonly signingKeyId: string;

  /**
   * @param keys - 1..{@link MAX_KEYS} keys with distinct ids.
   * @param signingKeyId - one of their ids. Default: the first key's.
   * @throws {@link InvalidConfigurationError} naming the field (`keys[2].id`, `signingKeyId`,
   * ...): a bad or duplicate id, a secret shorter than 32 bytes (shown by its length only), a
   * bad node id, or a signing key id that is not in the ring.
   */
  constructor(keys: readonly FederationKeySpec[], signingKeyId?: string) {
    if (!Array.isArray(keys) || keys.length === 0 || keys.length > MAX_KEYS) {
      throw new InvalidConfigurationError(
        'keys',
        Array.isArray(keys) ? `${keys.length} keys` : keys,
        `1..${MAX_KEYS} keys`,
      );
    }
    const map = new Map<string, FederationKey>();
    keys.forEach((spec, i) => {
      const field = `keys[${i}]`;
      if (typeof spec !== 'object' || spec === null) throw new InvalidConfigurationError(field, spec, 'a key object');
      const id = spec.id;
      if (typeof id !== 'string' || !KEY_ID_PATTERN.test(id)) {
        throw new InvalidConfigurationError(`${field}.id`, id, `a key id matching ${KEY_ID_PATTERN}`);
      }
      if (map.has(id)) throw new InvalidConfigurationError(`${field}.id`, id, 'an id no other key has');
      const nodeId = spec.nodeId;
      if (nodeId !== undefined && (typeof nodeId !== 'string' || nodeId.length === 0 || nodeId.length > 64)) {
        throw new InvalidConfigurationError(`${field}.nodeId`, nodeId, 'a node id of 1..64 characters');
      }
      map.set(id, { id, nodeId, key: createSecretKey(secretBytes(`${field}.secret`, spec.secret)) });
    });
    const signing = signingKeyId ?? keys[0]!.id;
    if (!map.has(signing)) {
      throw new InvalidConfigurationError(
        'signingKeyId',
        signing,
        `the id of one of the keys (${[...map.keys()].join(', ')})`,
      );
    }
    this.#keys = map;
    this.signingKeyId = signing;
  }

  /** The key with this id, if the ring holds it. */
  get(id: string): FederationKey | undefined {
    return this.#keys.get(id);
  }

  /** The key this node signs with. */
  get signingKey(): FederationKey {
    return this.#keys.get(this.signingKeyId)!;
  }

  /** Ids of every accepted key, in configuration order. */
  get ids(): readonly string[] {
    return [...this.#keys.keys()];
  }

  /** Every accepted key. */
  keys(): IterableIterator<FederationKey> {
    return this.#keys.values();
  }

  /** Ids and bindings only; never a secret. */
  toJSON(): Record<string, unknown> {
    return {
      signingKeyId: this.signingKeyId,
      keys: [...this.#keys.values()].map((k) =>
        k.nodeId === undefined ? { id: k.id } : { id: k.id, nodeId: k.nodeId },
      ),
    };
  }

  /** Same as {@link toJSON}, for `util.inspect`. */
  [Symbol.for('nodejs.util.inspect.custom')](): Record<string, unknown> {
    return this.toJSON();
  }
}

function secretBytes(field: string, secret: unknown): Buffer {
  let bytes: Buffer;
  if (typeof secret === 'string') bytes = Buffer.from(secret, 'utf8');
  else if (secret instanceof Uint8Array) bytes = Buffer.from(secret);
  else
    throw new InvalidConfigurationError(
      field,
      typeof secret,
      `a string or Uint8Array of at least ${MIN_SECRET_BYTES} bytes`,
    );
  if (bytes.length < MIN_SECRET_BYTES) {
    // Never echo a secret, not even a short or mistyped one.
    throw new InvalidConfigurationError(
      field,
      `[redacted, ${bytes.length} bytes]`,
      `a secret of at least ${MIN_SECRET_BYTES} bytes`,
    );
  }
  return bytes;
}
