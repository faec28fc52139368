// tsyringe reads Reflect metadata when it is first imported; this is the host's only tsyringe
// import, so the polyfill is loaded here, once, before it.
import 'reflect-metadata';
import { container as globalContainer } from 'tsyringe';
import type { DependencyContainer } from 'tsyringe';
import { InvalidConfigurationError, SdkCompatibility } from '@datawarehouse/sdk';
import type { Disposable, ServiceToken } from '@datawarehouse/sdk';
import { ServiceNotFoundError, tokenName } from './errors.js';

/**
 * The host's service directory: one tsyringe root container (a child of tsyringe's global
 * container, so two hosts in one process never see each other's services) into which every
 * published service is registered, plus the record of who published what. Plugins reach it
 * through their own `ServiceRegistry`, whose child container resolves through the root.
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class ServiceDirectory {
  /** The root container; per-plugin containers are its children. */
  readonly root: DependencyContainer;
  private readonly owners = new Map<symbol, string>();

  constructor(parent: DependencyContainer = globalContainer) {
    this.root = parent.createChildContainer();
  }

  /**
   * Publishes `service` under `token` on behalf of `owner`; the handle withdraws it.
   * @throws {@link InvalidConfigurationError} when the token is not a symbol, the service is
   * `null`/`undefined`, or the token is taken.
   */
  publish<T>(owner: string, token: ServiceToken<T>, service: T): Disposable {
    if (typeof token !== 'symbol')
      throw new InvalidConfigurationError('token', token, 'a symbol (see createServiceToken)');
    if (service === undefined || service === null) {
      throw new InvalidConfigurationError('service', service, `a service object for '${tokenName(token)}'`);
    }
    const taken = this.owners.get(token);
    if (taken !== undefined) {
      throw new InvalidConfigurationError(
        'token',
        tokenName(token),
        `a token not yet registered (already published by '${taken}')`,
      );
    }
    this.owners.set(token, owner);
    // tsyringe keeps a list per token and resolves the last entry, so a token withdrawn and
    // published again resolves to the new service.
    this.root.registerInstance(token, service);
    let active = true;
    return {
      dispose: () => {
        if (!active) return;
        active = false;
        if (this.owners.get(token) === owner) this.owners.delete(token);
      },
    };
  }

  /** Whether a service is currently published under `token`. */
  has(token: symbol): boolean {
    return this.owners.has(token);
  }

  /** Who published `token`, if anyone. */
  ownerOf(token: symbol): string | undefined {
    return this.owners.get(token);
  }

  /**
   * Resolves `token` through `scope` (a plugin's child container) or the root.
   * @throws {@link ServiceNotFoundError} when nothing is published under it.
   */
  resolve<T>(token: ServiceToken<T>, scope: DependencyContainer = this.root): T {
    if (!this.owners.has(token)) throw new ServiceNotFoundError(tokenName(token));
    return scope.resolve<T>(token);
  }

  /** Withdraws every service `owner` published (on plugin shutdown). */
  withdrawAll(owner: string): void {
    for (const [token, o] of this.owners) if (o === owner) this.owners.delete(token);
  }

  /** Withdraws everything and clears the root container. */
  clear(): void {
    this.owners.clear();
    this.root.reset();
  }
}
