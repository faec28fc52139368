import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createClient } from 'redis';
import { MessageAuthenticator, createPluginMessage, getSdkCompatibility, isBusClosedError } from '@datawarehouse/sdk';
import type { BusConnectionState, PluginMessage } from '@datawarehouse/sdk';
import { RedisMessageBus } from './RedisMessageBus.js';
import { WireCodec } from './WireCodec.js';
import { PrivateRedisServer, REDIS_REQUIRED, hasRedisServerBinary, pingRedis } from './testing/redisTestServer.js';

// Real Redis, real time: every wait has a deadline. Runs whenever Redis answers on 6379 and
// always under CI=true (where a missing Redis fails the suite instead of skipping it).
const SHARED_URL = 'redis://127.0.0.1:6379';
const redisUp = await pingRedis(6379);
const runShared = redisUp || REDIS_REQUIRED;
const runPrivate = (redisUp && hasRedisServerBinary()) || REDIS_REQUIRED;
const SECRET = 'redis-bus-test-secret-0123456789abcdef';
const TOPIC = 'dw.resilience.circuit-breaker.state';
const DEADLINE_MS = 10_000;

const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
});

function codec(secret: string | undefined = SECRET, maxBytes = 8_192): WireCodec {
  return new WireCodec(maxBytes, secret === undefined ? undefined : new MessageAuthenticator({ secret }));
}

function bus(nodeId: string, prefix: string, url = SHARED_URL, c = codec()): RedisMessageBus {
  const b = new RedisMessageBus({
    nodeId,
    url,
    channelPrefix: prefix,
    codec: c,
    reconnectMinDelayMs: 20,
    reconnectMaxDelayMs: 200,
    connectTimeoutMs: 1_000,
  });
  cleanup.push(() => b.closeAsync());
  return b;
}

async function eventually(probe: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + DEADLINE_MS;
  while (Date.now() < deadline) {
    if (probe()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`not within ${DEADLINE_MS} ms: ${what}`);
}

async function rawClient(url = SHARED_URL) {
  const client = createClient({ url });
  client.on('error', () => undefined);
  await client.connect();
  cleanup.push(() => client.close());
  return client;
}

const msg = (payload: unknown, from: string) =>
  createPluginMessage('circuit-state', payload, { nodeId: from, pluginId: 'test' });

describe('RedisMessageBus', () => {
  it('is decorated with @SdkCompatibility 6.0.0', () => {
    expect(getSdkCompatibility(RedisMessageBus)?.sdkVersion).toBe('6.0.0');
  });

  describe.skipIf(!runShared)('on the shared Redis (127.0.0.1:6379)', () => {
    it('delivers a message to every node, the sender included exactly once', async () => {
      const prefix = `dwtest:${randomUUID()}:`;
      const a = bus('a', prefix);
      const b = bus('b', prefix);
      const got: Record<string, PluginMessage[]> = { a: [], b: [] };
      a.subscribe(TOPIC, (m) => void got.a!.push(m));
      b.subscribe(TOPIC, (m) => void got.b!.push(m));
      expect(await a.connectAsync(DEADLINE_MS)).toBe(true);
      expect(await b.connectAsync(DEADLINE_MS)).toBe(true);
      expect(a.connectionState).toBe('connected');
      await a.publishToAllNodes(TOPIC, msg({ n: 1 }, 'a'));
      await eventually(() => got.b!.length === 1 && a.getStatistics().echoes === 1, "delivery to b and a's echo");
      expect(got.a).toHaveLength(1);
      expect(got.b![0]).toMatchObject({ sourceNodeId: 'a', payload: { n: 1 } });
      expect(got.b![0]!.signature).toMatch(/^[0-9a-f]{64}$/);
      expect(a.getStatistics()).toMatchObject({ published: 1, delivered: 1, connected: 1, signing: 'hmac-sha256' });
    });

    it('drops forged, unsigned, replayed, malformed and oversized messages published on the server, and counts each', async () => {
      const prefix = `dwtest:${randomUUID()}:`;
      const a = bus('a', prefix);
      const b = bus('b', prefix);
      const got: PluginMessage[] = [];
      b.subscribe(TOPIC, (m) => void got.push(m));
      await a.connectAsync(DEADLINE_MS);
      await b.connectAsync(DEADLINE_MS);
      // Capture one genuine wire message to replay it.
      const spy = await rawClient();
      const captured: string[] = [];
      await spy.subscribe(prefix + TOPIC, (raw) => void captured.push(raw));
      await a.publishToAllNodes(TOPIC, msg({ genuine: true }, 'a'));
      await eventually(() => got.length === 1 && captured.length === 1, 'the genuine message');

      const raw = await rawClient();
      const channel = prefix + TOPIC;
      const otherSecret = new MessageAuthenticator({ secret: 'not-the-cluster-secret-0123456789abcdef' });
      await raw.publish(channel, JSON.stringify(otherSecret.sign(TOPIC, msg({ forged: true }, 'a'))));
      await raw.publish(channel, JSON.stringify({ ...JSON.parse(captured[0]!), payload: { tampered: true } }));
      await raw.publish(channel, JSON.stringify(msg({ unsigned: true }, 'x')));
      await raw.publish(channel, captured[0]!);
      await raw.publish(channel, '{"this is": not json');
      await raw.publish(channel, 'x'.repeat(9_000));
      await eventually(() => b.getStatistics().received === 7, 'all seven messages to arrive');
      expect(got).toHaveLength(1);
      expect(b.getStatistics().rejected).toMatchObject({
        'bad-signature': 2,
        unsigned: 1,
        replayed: 1,
        malformed: 1,
        oversized: 1,
      });
      expect(b.getStatistics().handlerErrors).toBe(0);
    });

    it('detects another node publishing under this node id', async () => {
      const prefix = `dwtest:${randomUUID()}:`;
      const a = bus('a', prefix);
      const impostor = bus('a', prefix);
      a.subscribe(TOPIC, () => undefined);
      await a.connectAsync(DEADLINE_MS);
      await impostor.connectAsync(DEADLINE_MS);
      await impostor.publishToAllNodes(TOPIC, msg({}, 'a'));
      await eventually(() => a.getStatistics().rejected.duplicateNodeId === 1, 'duplicate node id counted');
    });

    it('isolates a throwing handler from the others', async () => {
      const prefix = `dwtest:${randomUUID()}:`;
      const a = bus('a', prefix);
      let reached = 0;
      a.subscribe(TOPIC, () => {
        throw new Error('handler bug');
      });
      a.subscribe(TOPIC, () => void reached++);
      await a.connectAsync(DEADLINE_MS);
      await a.publish(TOPIC, msg({}, 'a'));
      await eventually(() => reached === 1, 'second handler');
      expect(a.getStatistics().handlerErrors).toBe(1);
    });

    it('refuses to publish an oversized message and rejects use after close', async () => {
      const a = bus('a', `dwtest:${randomUUID()}:`, SHARED_URL, codec(SECRET, 1_024));
      await a.connectAsync(DEADLINE_MS);
      await expect(a.publishToAllNodes(TOPIC, msg({ blob: 'x'.repeat(2_000) }, 'a'))).rejects.toMatchObject({
        field: 'message',
      });
      const states: BusConnectionState[] = [];
      a.onConnectionStateChange((s) => states.push(s));
      await a.closeAsync();
      expect(states).toEqual(['disconnected']);
      expect(() => a.subscribe(TOPIC, () => undefined)).toThrow();
      await a.publishToAllNodes(TOPIC, msg({}, 'a')).then(
        () => expect.unreachable(),
        (e: unknown) => expect(isBusClosedError(e)).toBe(true),
      );
    });
  });

  describe.skipIf(!runPrivate)('on a private redis-server that the test restarts', () => {
    it('reports the outage, keeps delivering locally, reconnects with backoff and re-subscribes', async () => {
      const server = await PrivateRedisServer.startAsync();
      cleanup.push(() => server.stopAsync());
      const prefix = `dwtest:${randomUUID()}:`;
      const a = bus('a', prefix, server.url);
      const b = bus('b', prefix, server.url);
      const states: BusConnectionState[] = [];
      a.onConnectionStateChange((s) => states.push(s));
      const gotA: PluginMessage[] = [];
      const gotB: PluginMessage[] = [];
      a.subscribe(TOPIC, (m) => void gotA.push(m));
      b.subscribe(TOPIC, (m) => void gotB.push(m));
      expect(await a.connectAsync(DEADLINE_MS)).toBe(true);
      expect(await b.connectAsync(DEADLINE_MS)).toBe(true);

      await server.killAsync();
      await eventually(
        () => a.connectionState === 'disconnected' && b.connectionState === 'disconnected',
        'both disconnected',
      );
      await a.publishToAllNodes(TOPIC, msg({ during: 'outage' }, 'a'));
      await eventually(() => gotA.length === 1, 'local delivery during the outage');
      expect(gotB).toHaveLength(0);
      expect(a.getStatistics().publishSkippedDisconnected).toBe(1);
      expect(a.getStatistics().lastError).not.toBeNull();

      await server.launchAsync();
      await eventually(
        () => a.connectionState === 'connected' && b.connectionState === 'connected',
        'both reconnected',
      );
      expect(states).toEqual(['connected', 'disconnected', 'connected']);
      expect(a.getStatistics().reconnects).toBe(1);
      await a.publishToAllNodes(TOPIC, msg({ after: 'restart' }, 'a'));
      await eventually(() => gotB.length === 1, 'delivery after the restart (re-subscribed)');
      expect(gotB[0]!.payload).toEqual({ after: 'restart' });
    }, 30_000);

    it('starts disconnected when the server is down and connects when it comes up', async () => {
      const server = await PrivateRedisServer.startAsync();
      cleanup.push(() => server.stopAsync());
      await server.killAsync();
      const a = bus('a', `dwtest:${randomUUID()}:`, server.url);
      const got: PluginMessage[] = [];
      a.subscribe(TOPIC, (m) => void got.push(m));
      expect(await a.connectAsync(200)).toBe(false);
      expect(a.connectionState).toBe('disconnected');
      await server.launchAsync();
      expect(await a.connectAsync(DEADLINE_MS)).toBe(true);
      const b = bus('b', a.getStatistics().channelPrefix, server.url);
      await b.connectAsync(DEADLINE_MS);
      await b.publishToAllNodes(TOPIC, msg({ hello: 1 }, 'b'));
      await eventually(() => got.length === 1, 'subscription made before the server was up');
    }, 30_000);
  });
});
