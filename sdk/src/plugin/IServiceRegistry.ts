import type { Disposable, ServiceToken } from '../di/ServiceToken.js';

/**
 * Where plugins publish services for each other. The host backs it with tsyringe.
 * @since 6.0.0
 */
export interface IServiceRegistry {
  /**
   * Publishes `service` under `token`; the returned handle withdraws it.
   * @throws {@link InvalidConfigurationError} when the token is already taken.
   */
  register<T>(token: ServiceToken<T>, service: T): Disposable;
  /** The service under `token`. @throws Error with code `ERR_SERVICE_NOT_FOUND` when absent. */
  resolve<T>(token: ServiceToken<T>): T;
  /** The service under `token`, or `undefined`. */
  tryResolve<T>(token: ServiceToken<T>): T | undefined;
  has(token: symbol): boolean;
}
