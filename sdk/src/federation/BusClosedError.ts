import { SdkCompatibility } from '../compat/SdkCompatibility.js';
import { DataWarehouseError, hasErrorCode } from '../errors/DataWarehouseError.js';

/** Why a bus is closed: its node was removed, or its whole federation disposed. @since 6.0.0 */
export type BusClosedReason = 'removed' | 'disposed';

/**
 * Thrown (or the returned promise rejected) when a message bus is used after it was closed:
 * the node was removed from its federation or the federation was disposed.
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class BusClosedError extends DataWarehouseError {
  readonly code = 'ERR_BUS_CLOSED' as const;
  constructor(
    /** Node whose bus is closed. */
    readonly nodeId: string,
    readonly reason: BusClosedReason,
  ) {
    super(
      `Message bus of node '${nodeId}' is closed (${reason === 'removed' ? 'node removed' : 'federation disposed'})`,
    );
    this.name = 'BusClosedError';
  }
}
/** Guard for {@link BusClosedError}; works across duplicate SDK copies. @since 6.0.0 */
export function isBusClosedError(e: unknown): e is BusClosedError {
  return hasErrorCode(e, 'ERR_BUS_CLOSED');
}
