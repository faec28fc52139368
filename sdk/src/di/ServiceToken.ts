/**
 * The leaf every contract folder may import: DI tokens (declared beside each interface) and the
 * handle that undoes a registration or subscription. It imports nothing of the SDK.
 */

/**
 * Something that holds a resource until disposed (a subscription, a registration).
 * `dispose()` is idempotent.
 * @since 6.0.0
 */
export interface Disposable {
  dispose(): void;
}

/**
 * A DI token: a registered symbol (`Symbol.for`), so duplicate SDK copies agree on it,
 * branded with the service type it stands for.
 * @since 6.0.0
 */
export type ServiceToken<T> = symbol & { readonly __service?: T };

/** Creates (or finds) the token registered under `key`. @since 6.0.0 */
export function createServiceToken<T>(key: string): ServiceToken<T> {
  return Symbol.for(key) as ServiceToken<T>;
}
