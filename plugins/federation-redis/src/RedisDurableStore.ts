import { InvalidConfigurationError, SdkCompatibility } from '@datawarehouse/sdk';
import type { DurableStateEntry, IDurableStateStore } from '@datawarehouse/sdk';
import type { KvCommands } from './links/RedisLink.js';

/** Longest key and value stored. */
const MAX_KEY = 512;
const MAX_VALUE = 4_096;
const MGET_CHUNK = 500;

/**
 * The cluster's {@link IDurableStateStore} on Redis (registered by the Redis federation plugin
 * under `DurableStateStoreToken`): each value a key `<prefix>{durable}:<key>` with `PX` = its
 * time to live, and a set `<prefix>{durable}` listing the keys. The hash tag `{durable}` keeps
 * them in one slot, so it works on a Redis Cluster too; a key expired is dropped from the set
 * when a listing finds it gone. Works through whatever deployment the bus uses (standalone,
 * Sentinel, Cluster).
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class RedisDurableStore implements IDurableStateStore {
  private readonly index: string;

  /**
   * @param kv - the deployment's commands, looked up per call (the bus's `kv`).
   * @param prefix - namespace of the keys (the bus's `channelPrefix`).
   */
  constructor(
    private readonly kv: () => KvCommands,
    prefix: string,
  ) {
    this.index = `${prefix}{durable}`;
  }

  /**
   * Stores `value` under `key` for `ttlMs` (`SET ... PX`) and lists the key.
   * @throws {@link InvalidConfigurationError} (as a rejection) for a key, value or ttl out of range.
   */
  async putAsync(key: string, value: string, ttlMs: number): Promise<void> {
    check('key', key, MAX_KEY);
    check('value', value, MAX_VALUE);
    if (!Number.isInteger(ttlMs) || ttlMs < 1) throw new InvalidConfigurationError('ttlMs', ttlMs, 'an integer >= 1');
    const kv = this.kv();
    await kv.set(this.keyOf(key), value, { PX: ttlMs });
    await kv.sAdd(this.index, key);
  }

  /** Removes `key` and its listing. */
  async deleteAsync(key: string): Promise<void> {
    check('key', key, MAX_KEY);
    const kv = this.kv();
    await kv.del(this.keyOf(key));
    await kv.sRem(this.index, [key]);
  }

  /** Unexpired values whose key starts with `prefix` (at most `max`); expired keys leave the listing. */
  async listAsync(prefix: string, max: number): Promise<readonly DurableStateEntry[]> {
    const kv = this.kv();
    const keys = (await kv.sMembers(this.index)).filter((k) => typeof k === 'string' && k.startsWith(prefix));
    const out: DurableStateEntry[] = [];
    const gone: string[] = [];
    for (let i = 0; i < keys.length && out.length < max; i += MGET_CHUNK) {
      const chunk = keys.slice(i, i + MGET_CHUNK);
      const values = await kv.mGet(chunk.map((k) => this.keyOf(k)));
      chunk.forEach((key, j) => {
        const value = values[j];
        if (typeof value !== 'string') gone.push(key);
        else if (out.length < max) out.push({ key, value });
      });
    }
    if (gone.length > 0) await kv.sRem(this.index, gone);
    return out;
  }

  private keyOf(key: string): string {
    return `${this.index}:${key}`;
  }
}

function check(field: string, value: unknown, max: number): void {
  if (typeof value !== 'string' || value.length === 0 || value.length > max)
    throw new InvalidConfigurationError(field, typeof value, `a non-empty string of at most ${max} characters`);
}
