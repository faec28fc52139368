import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createClient } from 'redis';
import { isInvalidConfigurationError } from '@datawarehouse/sdk';
import { RedisDurableStore } from './RedisDurableStore.js';
import type { KvCommands } from './links/RedisLink.js';
import { REDIS_REQUIRED, pingRedis } from './testing/redisTestServer.js';

const run = (await pingRedis(6379)) || REDIS_REQUIRED;

describe.skipIf(!run)('RedisDurableStore (shared Redis)', () => {
  const client = createClient({ url: 'redis://127.0.0.1:6379' });
  const prefix = `dwtest:${randomUUID()}:`;
  afterAll(async () => {
    if (client.isOpen) {
      for (const k of await client.keys(`${prefix}*`)) await client.del(k);
      client.destroy();
    }
  });

  it('keeps values with a time to live, lists them by prefix, forgets deleted and expired ones', async () => {
    await client.connect();
    const store = new RedisDurableStore(() => client as unknown as KvCommands, prefix);
    await store.putAsync('t:open:db', '{"a":1}', 60_000);
    await store.putAsync('t:open:cache', '{"b":2}', 1);
    await store.putAsync('other:x', 'y', 60_000);
    expect(await client.pTTL(`${prefix}{durable}:t:open:db`)).toBeGreaterThan(59_000);
    await new Promise((r) => setTimeout(r, 50)); // cache's 1 ms is over (Redis's clock, not ours)
    expect(await store.listAsync('t:open:', 100)).toEqual([{ key: 't:open:db', value: '{"a":1}' }]);
    // The expired key left the index when the listing found it gone.
    expect((await client.sMembers(`${prefix}{durable}`)).sort()).toEqual(['other:x', 't:open:db']);
    await store.deleteAsync('t:open:db');
    expect(await store.listAsync('t:open:', 100)).toEqual([]);
    expect(await store.listAsync('', 1)).toHaveLength(1);
    for (const bad of [() => store.putAsync('', 'v', 1), () => store.putAsync('k', 'v', 0)]) {
      await expect(bad()).rejects.toSatisfy(isInvalidConfigurationError);
    }
  });
});
