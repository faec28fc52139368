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
    services: {} as IServiceRegistry,
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

  describe.skipIf(!(redisUp || REDIS_REQUIRED))('against the shared Redis', () => {
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
