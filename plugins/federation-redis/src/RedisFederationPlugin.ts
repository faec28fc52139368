import { DurableStateStoreToken, InvalidConfigurationError, SDK_VERSION, SdkCompatibility } from '@datawarehouse/sdk';
import { RedisDurableStore } from './RedisDurableStore.js';
import { FederationKeyring } from './keys/FederationKeyring.js';
import { KeyringAuthenticator } from './keys/KeyringAuthenticator.js';
import type { Disposable, IPlugin, PluginContext } from '@datawarehouse/sdk';
import { FederationSubsystem } from './FederationSubsystem.js';
import { RedisMessageBus } from './RedisMessageBus.js';
import { redactUrl, resolveRedisFederationOptions } from './RedisFederationOptions.js';
import type { RedisFederationOptions, ResolvedRedisFederationOptions } from './RedisFederationOptions.js';
import { WireCodec } from './WireCodec.js';

/** The plugin's id. @since 6.0.0 */
export const REDIS_FEDERATION_PLUGIN_ID = 'federation-redis';

/**
 * Makes a Redis server the node's message bus: `initializeAsync` connects (waiting at most
 * `startupConnectTimeoutMs`, then carrying on disconnected and reconnecting in the
 * background), hands the bus to the host with `ctx.provideMessageBus` — every plugin's
 * `ctx.bus` subscriptions move to it — and registers the `federation` subsystem with the
 * connection state and message counters. List it first in the configuration so the other
 * plugins start on it (they also follow it when it comes later: the host's bus proxy moves
 * subscriptions).
 *
 * Messages are signed with HMAC-SHA256 using the shared secret (`secret` or the environment
 * variable `DW_FEDERATION_SECRET`); without one the plugin refuses to load unless
 * `allowUnsigned: true`.
 *
 * @example
 * ```json
 * { "module": "@datawarehouse/plugin-federation-redis", "options": { "url": "redis://127.0.0.1:6379" } }
 * ```
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class RedisFederationPlugin implements IPlugin {
  readonly id = REDIS_FEDERATION_PLUGIN_ID;
  readonly version = '6.0.0';
  readonly sdkVersion = SDK_VERSION;
  readonly dependencies: readonly string[] = [];
  private readonly options: ResolvedRedisFederationOptions;
  private busInstance: RedisMessageBus | undefined;
  private registration: Disposable | undefined;
  private storeRegistration: Disposable | undefined;

  /**
   * @param env - where `secretEnv` is read. Default `process.env`.
   * @throws {@link InvalidConfigurationError} for invalid options, or no secret without `allowUnsigned`.
   */
  constructor(options: RedisFederationOptions = {}, env: Readonly<Record<string, string | undefined>> = process.env) {
    this.options = resolveRedisFederationOptions(options, env);
  }

  /** The bus, once initialized (undefined before and after stop). */
  get bus(): RedisMessageBus | undefined {
    return this.busInstance;
  }

  async initializeAsync(ctx: PluginContext): Promise<void> {
    if (this.busInstance !== undefined) return;
    const o = this.options;
    const authenticator =
      o.keys.length === 0
        ? undefined
        : new KeyringAuthenticator({
            keyring: new FederationKeyring(o.keys, o.signingKeyId),
            ttlMs: o.messageTtlMs,
            maxClockSkewMs: o.maxClockSkewMs,
            replayCacheSize: o.replayCacheSize,
            wireVersion: o.wireVersion,
            acceptWireV1: o.acceptWireV1,
            requireNodeKeys: o.requireNodeKeys,
          });
    const signingNode = authenticator?.keyring.signingKey.nodeId;
    if (signingNode !== undefined && signingNode !== ctx.nodeId) {
      throw new InvalidConfigurationError(
        'signingKeyId',
        o.signingKeyId,
        `a key bound to this node ('${ctx.nodeId}') or to none; it is bound to '${signingNode}'`,
      );
    }
    if (authenticator === undefined) {
      ctx.logger.warn(
        'federation messages are NOT authenticated (allowUnsigned): anyone who can publish on this Redis can forge them',
      );
    }
    const bus = new RedisMessageBus({
      nodeId: ctx.nodeId,
      url: o.url,
      channelPrefix: o.channelPrefix,
      codec: new WireCodec(o.maxMessageBytes, authenticator),
      reconnectMinDelayMs: o.reconnectMinDelayMs,
      reconnectMaxDelayMs: o.reconnectMaxDelayMs,
      connectTimeoutMs: o.connectTimeoutMs,
      ...(o.sentinel !== undefined && { sentinel: o.sentinel }),
      ...(o.cluster !== undefined && { cluster: o.cluster }),
      maxInboundQueue: o.maxInboundQueue,
      maxMessagesPerTurn: o.maxMessagesPerTurn,
      logger: ctx.logger,
    });
    try {
      const connected = await bus.connectAsync(o.startupConnectTimeoutMs);
      if (!connected) {
        ctx.logger.warn('redis not reachable yet; starting on local state and reconnecting in the background', {
          url: redactUrl(o.url),
        });
      }
      ctx.provideMessageBus(bus);
      this.registration = ctx.subsystems.register(new FederationSubsystem(o.subsystemName, bus, authenticator));
      // The cluster's durable store (the resilience plugin keeps open circuits there when asked to).
      if (!ctx.services.has(DurableStateStoreToken))
        this.storeRegistration = ctx.services.register(
          DurableStateStoreToken,
          new RedisDurableStore(() => bus.kv, o.channelPrefix),
        );
    } catch (error) {
      await bus.closeAsync();
      throw error;
    }
    this.busInstance = bus;
  }

  /** Withdraws the subsystem and closes both Redis connections. */
  async stopAsync(): Promise<void> {
    this.registration?.dispose();
    this.registration = undefined;
    this.storeRegistration?.dispose();
    this.storeRegistration = undefined;
    const bus = this.busInstance;
    this.busInstance = undefined;
    await bus?.closeAsync();
  }
}

/**
 * The plugin factory the host calls with the plugin's configured options.
 * @throws {@link InvalidConfigurationError} for invalid options, or no secret without `allowUnsigned`.
 * @since 6.0.0
 */
export function createPlugin(options: Readonly<Record<string, unknown>> = {}): RedisFederationPlugin {
  return new RedisFederationPlugin(options as RedisFederationOptions);
}
