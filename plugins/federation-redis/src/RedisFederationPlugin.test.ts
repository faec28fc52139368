import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { getSdkCompatibility, isInvalidConfigurationError, systemClock } from '@datawarehouse/sdk';
import type {
  IFederatedMessageBus,
  IScalableSubsystem,
  IServiceRegistry,
  ISubsystemRegistry,
  Logger,
  PluginContext,
} from '@datawarehouse/sdk';
import createPluginDefault, { RedisFederationPlugin, createPlugin } from './index.js';
import { PrivateRedisServer, REDIS_REQUIRED, hasRedisServerBinary, pingRedis } from './testing/redisTestServer.js';

const redisUp = await pingRedis(6379);
const SECRET = 'plugin-test-secret-0123456789abcdef-xyz';
const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
});

function serviceRegistry(): IServiceRegistry {
  const services = new Map<symbol, unknown>();
  return {
    register: (token, service) => {
      services.set(token, service);
      return { dispose: () => services.delete(token) };
    },
    resolve: (token) => services.get(token) as never,
    tryResolve: (token) => services.get(token) as never,
    has: (token) => services.has(token),
  };
}

function context(nodeId = 'node-a') {
  const subsystems = new Map<string, IScalableSubsystem>();
  const provided: IFederatedMessageBus[] = [];
  const logs: { level: string; message: string; fields: unknown }[] = [];
  const log = (level: string) => (message: string, fields?: unknown) => void logs.push({ level, message, fields });
  const logger: Logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
  const registry: ISubsystemRegistry = {
    register(s) {
      subsystems.set(s.name, s);
      return { dispose: () => subsystems.delete(s.name) };
    },
    get: (n) => subsystems.get(n),
    list: () => [...subsystems.values()],
    reconfigureAsync: (n, l) => subsystems.get(n)!.reconfigureLimitsAsync(l),
  };
  const ctx: PluginContext = {
    pluginId: 'federation-redis',
    nodeId,
    bus: {} as IFederatedMessageBus,
    subsystems: registry,
    services: serviceRegistry(),
    logger,
    clock: systemClock,
    config: {},
    provideMessageBus: (bus) => void provided.push(bus),
  };
  return { ctx, subsystems, provided, logs };
}

describe('RedisFederationPlugin', () => {
  it('is an SDK 6 plugin with id federation-redis, created by the default export', () => {
    const plugin = createPluginDefault({ secret: SECRET });
    expect(plugin).toBeInstanceOf(RedisFederationPlugin);
    expect(plugin.id).toBe('federation-redis');
    expect(plugin.sdkVersion).toBe('6.0.0');
    expect(getSdkCompatibility(plugin)?.sdkVersion).toBe('6.0.0');
  });

  it('refuses to load without a secret unless unsigned traffic is allowed', () => {
    try {
      new RedisFederationPlugin({}, {});
      expect.unreachable();
    } catch (e) {
      expect(isInvalidConfigurationError(e) && e.field).toBe('secret');
    }
    expect(() => new RedisFederationPlugin({ allowUnsigned: true }, {})).not.toThrow();
    expect(() => createPlugin({ url: 'redis://127.0.0.1:6379', secret: 'short' })).toThrow(/at least 32 bytes/);
  });

  it('refuses at start a signing key bound to another node', async () => {
    const plugin = new RedisFederationPlugin(
      { keys: [{ id: 'kb', secret: SECRET, nodeId: 'node-b' }], startupConnectTimeoutMs: 0 },
      {},
    );
    await expect(plugin.initializeAsync(context('node-a').ctx)).rejects.toMatchObject({
      code: 'ERR_INVALID_CONFIGURATION',
      field: 'signingKeyId',
    });
    expect(plugin.bus).toBeUndefined();
  });

  describe.skipIf(!(redisUp || REDIS_REQUIRED))('against the shared Redis', () => {
    it('mid-rotation, nodes signing with different keys of the ring hear each other; per-node keys name the sender', async () => {
      const channelPrefix = `dwtest:${randomUUID()}:`;
      const OLD = 'old-rotation-secret-0123456789abcdef';
      const NEW = 'new-rotation-secret-0123456789abcdef';
      const BKEY = 'node-b-own-secret-0123456789abcdef';
      const ring = [
        { id: 'old', secret: OLD },
        { id: 'new', secret: NEW },
        { id: 'b-own', secret: BKEY, nodeId: 'node-b' },
      ];
      const nodes = [
        { id: 'node-a', signingKeyId: 'new' },
        { id: 'node-b', signingKeyId: 'b-own' },
        { id: 'node-c', signingKeyId: 'old' },
      ].map(({ id, signingKeyId }) => {
        const plugin = new RedisFederationPlugin({ keys: ring, signingKeyId, channelPrefix }, {});
        cleanup.push(() => plugin.stopAsync());
        return { plugin, ...context(id) };
      });
      for (const n of nodes) await n.plugin.initializeAsync(n.ctx);
      const got = new Map<string, string[]>();
      for (const n of nodes) {
        got.set(n.ctx.nodeId, []);
        n.provided[0]!.subscribe('t', (m) => void got.get(n.ctx.nodeId)!.push(m.sourceNodeId));
      }
      await new Promise((r) => setTimeout(r, 100)); // SUBSCRIBE round trips
      for (const n of nodes) {
        await n.provided[0]!.publishToAllNodes('t', {
          id: randomUUID(),
          type: 'x',
          sourceNodeId: n.ctx.nodeId,
          sourcePluginId: 'p',
          payload: {},
          timestamp: Date.now(),
        });
      }
      const deadline = Date.now() + 5_000;
      while ([...got.values()].some((l) => l.length < 3) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      for (const l of got.values()) expect([...l].sort()).toEqual(['node-a', 'node-b', 'node-c']);
      const metrics = nodes[0]!.subsystems.get('federation')!.getScalingMetrics() as unknown as {
        authentication: { acceptedByKey: Record<string, number>; signingKeyId: string };
      };
      expect(metrics.authentication).toMatchObject({ signingKeyId: 'new', acceptedByKey: { 'b-own': 1, old: 1 } });
    });

    it('connects, provides its bus to the host and reports the connection as the federation subsystem', async () => {
      const plugin = new RedisFederationPlugin({ secret: SECRET, channelPrefix: `dwtest:${randomUUID()}:` }, {});
      cleanup.push(() => plugin.stopAsync());
      const { ctx, subsystems, provided, logs } = context();
      await plugin.initializeAsync(ctx);
      expect(provided).toHaveLength(1);
      expect(provided[0]!.nodeId).toBe('node-a');
      expect(provided[0]!.connectionState).toBe('connected');
      const federation = subsystems.get('federation')!;
      expect(federation.getScalingMetrics()).toMatchObject({
        transport: 'redis',
        connectionState: 'connected',
        connected: 1,
        signing: 'hmac-sha256',
        authentication: { replayCache: { capacity: 20_000 } },
      });
      expect(JSON.stringify(logs)).not.toContain(SECRET);

      expect((await federation.reconfigureLimitsAsync({ maxCacheEntries: 500 })).maxCacheEntries).toBe(500);
      await expect(federation.reconfigureLimitsAsync({ maxQueueDepth: 3 })).rejects.toMatchObject({
        field: 'maxQueueDepth',
      });

      await plugin.stopAsync();
      expect(subsystems.has('federation')).toBe(false);
      expect(provided[0]!.connectionState).toBe('disconnected');
    });
  });

  describe.skipIf(!((redisUp && hasRedisServerBinary()) || REDIS_REQUIRED))('with the server down', () => {
    it('starts anyway on local state, says so, and connects when the server comes up', async () => {
      const server = await PrivateRedisServer.startAsync();
      cleanup.push(() => server.stopAsync());
      await server.killAsync();
      const plugin = new RedisFederationPlugin(
        {
          url: server.url,
          secret: SECRET,
          startupConnectTimeoutMs: 100,
          reconnectMinDelayMs: 20,
          reconnectMaxDelayMs: 100,
        },
        {},
      );
      cleanup.push(() => plugin.stopAsync());
      const { ctx, provided, logs } = context();
      await plugin.initializeAsync(ctx);
      expect(provided[0]!.connectionState).toBe('disconnected');
      expect(logs.some((l) => l.level === 'warn' && /not reachable/.test(l.message))).toBe(true);
      await server.launchAsync();
      const deadline = Date.now() + 10_000;
      while (provided[0]!.connectionState !== 'connected' && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      expect(provided[0]!.connectionState).toBe('connected');
    }, 30_000);
  });
});
