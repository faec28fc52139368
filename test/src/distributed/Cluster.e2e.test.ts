import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPluginMessage } from '@datawarehouse/sdk';
import type { PluginMessage } from '@datawarehouse/sdk';
import {
  FederationKeyring,
  KeyringAuthenticator,
  RedisMessageBus,
  WireCodec,
} from '@datawarehouse/plugin-federation-redis';
import { eventually } from './support/hostProcess.js';
import { REDIS_REQUIRED, hasRedisBinaries, pingRedis } from './support/privateRedis.js';
import { RedisTopology, startCluster } from './support/redisTopology.js';

// Issue #15 item 1: the Redis transport on a 3-master Redis Cluster this suite creates on
// loopback ports (redis-server --cluster-enabled, redis-cli --cluster create), with sharded
// pub/sub (SPUBLISH/SSUBSCRIBE) and with classic pub/sub; three buses seeded with different nodes.
const run = ((await pingRedis(6379)) && hasRedisBinaries()) || REDIS_REQUIRED;
const SECRET = `cluster-${randomUUID()}-${randomUUID()}`;

describe.skipIf(!run)('Redis Cluster (3 masters)', () => {
  const topology = new RedisTopology();
  let ports: number[] = [];
  const buses: RedisMessageBus[] = [];

  beforeAll(async () => {
    ports = await startCluster(topology);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(buses.map((b) => b.closeAsync()));
    await topology.stopAll();
  }, 30_000);

  for (const sharded of [true, false]) {
    it(`delivers signed messages between nodes (${sharded ? 'sharded' : 'classic'} pub/sub)`, async () => {
      const prefix = `dwcluster:${randomUUID()}:`;
      const nodes = ['a', 'b', 'c'].map((id, i) => {
        const bus = new RedisMessageBus({
          nodeId: `node-${id}`,
          url: 'redis://127.0.0.1',
          channelPrefix: prefix,
          cluster: { nodes: [{ host: '127.0.0.1', port: ports[i]! }], sharded },
          codec: new WireCodec(
            65_536,
            new KeyringAuthenticator({ keyring: new FederationKeyring([{ id: 'k', secret: SECRET }]) }),
          ),
          reconnectMinDelayMs: 50,
          reconnectMaxDelayMs: 500,
          connectTimeoutMs: 2_000,
        });
        buses.push(bus);
        return bus;
      });
      const received = new Map<string, string[]>();
      for (const bus of nodes) {
        expect(await bus.connectAsync(10_000)).toBe(true);
        received.set(bus.nodeId, []);
        // Several topics: with sharded pub/sub they hash to different shards.
        for (const topic of ['t.one', 't.two', 't.three'])
          bus.subscribe(topic, (m: PluginMessage) => void received.get(bus.nodeId)!.push(`${topic}<${m.sourceNodeId}`));
      }
      await new Promise((r) => setTimeout(r, 300)); // SSUBSCRIBE / SUBSCRIBE round trips
      for (const bus of nodes)
        for (const topic of ['t.one', 't.two', 't.three'])
          await bus.publishToAllNodes(topic, createPluginMessage('x', {}, { nodeId: bus.nodeId, pluginId: 'p' }));
      await eventually(
        async () => [...received.values()].every((l) => l.length === 9),
        'every node got every message once',
        10_000,
      );
      for (const bus of nodes) {
        expect(bus.getStatistics()).toMatchObject({ deployment: 'cluster', connectionState: 'connected' });
        expect(bus.getStatistics().publishFailed).toBe(0);
      }
    }, 30_000);
  }
});
