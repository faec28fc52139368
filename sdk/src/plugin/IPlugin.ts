import type { IFederatedMessageBus } from '../federation/IFederatedMessageBus.js';
import type { Clock } from '../time/Clock.js';
import type { IHttpRouteRegistry } from './IHttpRouteRegistry.js';
import type { IServiceRegistry } from './IServiceRegistry.js';
import type { ISubsystemRegistry } from './ISubsystemRegistry.js';

/** Minimal structured logger given to plugins. @since 6.0.0 */
export interface Logger {
  debug(message: string, fields?: Readonly<Record<string, unknown>>): void;
  info(message: string, fields?: Readonly<Record<string, unknown>>): void;
  warn(message: string, fields?: Readonly<Record<string, unknown>>): void;
  error(message: string, fields?: Readonly<Record<string, unknown>>): void;
}

/** A logger that drops everything. @since 6.0.0 */
export const silentLogger: Logger = Object.freeze({
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
});

/**
 * What the host hands a plugin at initialization.
 * @since 6.0.0
 */
export interface PluginContext {
  readonly pluginId: string;
  /** This node's id (also `bus.nodeId`). */
  readonly nodeId: string;
  /** The node's federated bus (in-memory by default; a transport plugin may replace it). */
  readonly bus: IFederatedMessageBus;
  readonly subsystems: ISubsystemRegistry;
  readonly services: IServiceRegistry;
  readonly logger: Logger;
  readonly clock: Clock;
  /** The plugin's own options from the host configuration (already JSON). */
  readonly config: Readonly<Record<string, unknown>>;
  /**
   * Makes `bus` the node's transport: subscriptions made through `ctx.bus` by any plugin move
   * to it. For transport plugins (e.g. Redis).
   */
  provideMessageBus(bus: IFederatedMessageBus): void;
  /**
   * The plugin's HTTP routes on the host's admin server (`/plugins/<pluginId>/…`, or a claimed
   * top-level path such as `/metrics`); removed when the plugin stops. Absent when the host
   * serves no HTTP (a host built before 6.1, or a test context).
   * @since 6.1.0
   */
  readonly http?: IHttpRouteRegistry;
}

/**
 * A plugin loaded by the host. The host calls `initializeAsync`, then `startAsync`, in
 * dependency order, and `stopAsync` in reverse on shutdown.
 * @since 6.0.0
 */
export interface IPlugin {
  /** Unique id, e.g. `ultimate-resilience`. */
  readonly id: string;
  /** The plugin's own version (semver). */
  readonly version: string;
  /** SDK version the plugin was built for; the host refuses another major. */
  readonly sdkVersion: string;
  /** Ids of plugins that must be initialized first. */
  readonly dependencies?: readonly string[];
  initializeAsync(ctx: PluginContext): Promise<void>;
  startAsync?(): Promise<void>;
  stopAsync?(): Promise<void>;
}

/**
 * What a plugin module exports: a default export (or named `createPlugin`) that is a
 * factory returning the plugin, or the plugin class itself.
 * @since 6.0.0
 */
export type PluginFactory = (options: Readonly<Record<string, unknown>>) => IPlugin | Promise<IPlugin>;
