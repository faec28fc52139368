import { VirtualClock, silentLogger } from '@datawarehouse/sdk';
import type {
  Clock,
  Disposable,
  IFederatedMessageBus,
  IScalableSubsystem,
  IServiceRegistry,
  ISubsystemRegistry,
  PluginContext,
  ServiceToken,
} from '@datawarehouse/sdk';

/**
 * A {@link PluginContext} built by {@link fakePluginContext}, exposing the maps behind its
 * registries so tests can see what the plugin registered and disposed.
 */
export type FakePluginContext = PluginContext & {
  readonly subsystemMap: Map<string, IScalableSubsystem>;
  readonly serviceMap: Map<symbol, unknown>;
};

/** Options of {@link fakePluginContext}; every field is optional. */
export interface FakePluginContextOptions {
  /** Default: a new `VirtualClock` at 0. */
  readonly clock?: Clock;
  /** Default: an empty object, for tests that never touch the bus. */
  readonly bus?: IFederatedMessageBus;
}

/**
 * Builds a test-only {@link PluginContext} for the `ultimate-resilience` plugin with in-memory
 * subsystem and service registries, `silentLogger` and an empty `config`. `nodeId` is
 * `bus.nodeId` when a bus is given, else `'n1'`; `provideMessageBus` does nothing.
 * `services.resolve` throws for a missing token, like the host's registry.
 */
export function fakePluginContext(options: FakePluginContextOptions = {}): FakePluginContext {
  const subsystemMap = new Map<string, IScalableSubsystem>();
  const serviceMap = new Map<symbol, unknown>();
  const subsystems: ISubsystemRegistry = {
    register(s) {
      subsystemMap.set(s.name, s);
      return { dispose: () => subsystemMap.delete(s.name) };
    },
    get: (n) => subsystemMap.get(n),
    list: () => [...subsystemMap.values()],
    reconfigureAsync: (n, l) => subsystemMap.get(n)!.reconfigureLimitsAsync(l),
  };
  const services: IServiceRegistry = {
    register<T>(token: ServiceToken<T>, service: T): Disposable {
      serviceMap.set(token, service);
      return { dispose: () => serviceMap.delete(token) };
    },
    resolve<T>(token: ServiceToken<T>): T {
      if (!serviceMap.has(token)) throw new Error('missing');
      return serviceMap.get(token) as T;
    },
    tryResolve: <T>(token: ServiceToken<T>) => serviceMap.get(token) as T | undefined,
    has: (t) => serviceMap.has(t),
  };
  const bus = options.bus ?? ({} as IFederatedMessageBus);
  return {
    pluginId: 'ultimate-resilience',
    nodeId: options.bus === undefined ? 'n1' : bus.nodeId,
    bus,
    subsystems,
    services,
    logger: silentLogger,
    clock: options.clock ?? new VirtualClock(),
    config: {},
    provideMessageBus: () => undefined,
    subsystemMap,
    serviceMap,
  };
}
