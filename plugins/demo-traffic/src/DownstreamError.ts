import { DataWarehouseError, SdkCompatibility, hasErrorCode } from '@datawarehouse/sdk';

/** Why the simulated downstream failed a call. @since 6.0.0 */
export type DownstreamFailureReason = 'error' | 'overload' | 'outage' | 'shutdown';

/**
 * A failure of the simulated downstream: a random error, an overload beyond its capacity,
 * a scheduled outage, or the simulation shutting down.
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class DownstreamError extends DataWarehouseError {
  readonly code = 'ERR_DOWNSTREAM_FAILURE' as const;
  constructor(
    readonly reason: DownstreamFailureReason,
    readonly inFlight: number,
    readonly capacity: number,
  ) {
    super(`Simulated downstream failed (${reason}); in flight ${inFlight}, capacity ${capacity}`);
    this.name = 'DownstreamError';
  }
}
/** Guard for {@link DownstreamError}. */
export function isDownstreamError(e: unknown): e is DownstreamError {
  return hasErrorCode(e, 'ERR_DOWNSTREAM_FAILURE');
}
