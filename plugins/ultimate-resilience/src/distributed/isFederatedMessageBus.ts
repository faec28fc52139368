import { InvalidConfigurationError } from '@datawarehouse/sdk';
import type { IFederatedMessageBus } from '@datawarehouse/sdk';

/**
 * True when `bus` has the members of an {@link IFederatedMessageBus} (the plugin shares
 * circuit state only when the host gave it one).
 * @since 6.0.0
 */
export function isFederatedMessageBus(bus: unknown): bus is IFederatedMessageBus {
  if (typeof bus !== 'object' || bus === null) return false;
  const b = bus as Record<string, unknown>;
  return (
    typeof b.nodeId === 'string' &&
    typeof b.publishToAllNodes === 'function' &&
    typeof b.subscribe === 'function' &&
    typeof b.onConnectionStateChange === 'function'
  );
}

/**
 * Narrows `bus` to an {@link IFederatedMessageBus}.
 * @throws {@link InvalidConfigurationError} (field `bus`) when it is not one.
 * @internal
 */
export function assertBus(bus: unknown): asserts bus is IFederatedMessageBus {
  if (!isFederatedMessageBus(bus)) throw new InvalidConfigurationError('bus', bus, 'an IFederatedMessageBus');
}
