import { createServiceToken } from '../di/ServiceToken.js';

/** One value held by an {@link IDurableStateStore}. @since 6.0.0 */
export interface DurableStateEntry {
  readonly key: string;
  readonly value: string;
}

/**
 * Small values kept outside the nodes, each with an expiry, so they outlive a restart of the
 * whole cluster (the resilience plugin keeps open circuits there when
 * `distributed.durableOpenCircuits` is on). A transport that has such a store (the Redis
 * federation plugin does) registers it under {@link DurableStateStoreToken}.
 *
 * Every method may reject (the store is remote); callers treat what they read as untrusted.
 * @since 6.0.0
 */
export interface IDurableStateStore {
  /** Stores `value` under `key` until `ttlMs` (>= 1) from now, replacing any value. */
  putAsync(key: string, value: string, ttlMs: number): Promise<void>;
  /** Removes `key` (no error when absent). */
  deleteAsync(key: string): Promise<void>;
  /** Every unexpired value whose key starts with `prefix`, at most `max` of them. */
  listAsync(prefix: string, max: number): Promise<readonly DurableStateEntry[]>;
}

/** Service token of the cluster's {@link IDurableStateStore}, when a transport provides one. @since 6.0.0 */
export const DurableStateStoreToken = createServiceToken<IDurableStateStore>('datawarehouse.sdk.IDurableStateStore');
