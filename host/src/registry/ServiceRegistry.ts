import { SdkCompatibility } from '@datawarehouse/sdk';
import type { Disposable, IServiceRegistry, ServiceToken } from '@datawarehouse/sdk';
import type { DependencyContainer } from 'tsyringe';
import type { ServiceDirectory } from './ServiceDirectory.js';

/**
 * One plugin's {@link IServiceRegistry}: its own tsyringe child container for resolution,
 * publishing into the host's root container so every other plugin can resolve what it
 * registers.
 *
 * @example
 * ```ts
 * ctx.services.register(ResilienceServiceToken, service);          // in the provider
 * const resilience = ctx.services.resolve(ResilienceServiceToken); // in a consumer
 * ```
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class ServiceRegistry implements IServiceRegistry {
  /** This plugin's child container. */
  readonly container: DependencyContainer;

  constructor(
    private readonly directory: ServiceDirectory,
    readonly pluginId: string,
  ) {
    this.container = directory.root.createChildContainer();
  }

  /**
   * Publishes `service` under `token` for every plugin; the handle withdraws it.
   * @throws {@link InvalidConfigurationError} when the token is taken or the arguments are bad.
   */
  register<T>(token: ServiceToken<T>, service: T): Disposable {
    return this.directory.publish(this.pluginId, token, service);
  }

  /** @throws {@link ServiceNotFoundError} when nothing is published under `token`. */
  resolve<T>(token: ServiceToken<T>): T {
    return this.directory.resolve(token, this.container);
  }

  tryResolve<T>(token: ServiceToken<T>): T | undefined {
    return this.directory.has(token) ? this.directory.resolve(token, this.container) : undefined;
  }

  has(token: symbol): boolean {
    return this.directory.has(token);
  }
}
