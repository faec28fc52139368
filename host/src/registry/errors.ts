import { DataWarehouseError, SdkCompatibility, hasErrorCode } from '@datawarehouse/sdk';

/** No subsystem is registered under the given name. @since 6.0.0 */
@SdkCompatibility('6.0.0')
export class SubsystemNotFoundError extends DataWarehouseError {
  readonly code = 'ERR_SUBSYSTEM_NOT_FOUND' as const;
  constructor(
    readonly subsystemName: string,
    readonly known: readonly string[],
  ) {
    super(
      `No subsystem named '${subsystemName}'` +
        (known.length ? ` (registered: ${known.slice(0, 20).join(', ')})` : ' (none registered)'),
    );
    this.name = 'SubsystemNotFoundError';
  }
}
/** Guard for {@link SubsystemNotFoundError}. */
export function isSubsystemNotFoundError(e: unknown): e is SubsystemNotFoundError {
  return hasErrorCode(e, 'ERR_SUBSYSTEM_NOT_FOUND');
}

/** No service is published under the given token. @since 6.0.0 */
@SdkCompatibility('6.0.0')
export class ServiceNotFoundError extends DataWarehouseError {
  readonly code = 'ERR_SERVICE_NOT_FOUND' as const;
  constructor(readonly token: string) {
    super(
      `No service is registered under '${token}'; is the plugin that provides it configured and listed in 'dependencies'?`,
    );
    this.name = 'ServiceNotFoundError';
  }
}
/** Guard for {@link ServiceNotFoundError}. */
export function isServiceNotFoundError(e: unknown): e is ServiceNotFoundError {
  return hasErrorCode(e, 'ERR_SERVICE_NOT_FOUND');
}

/** Printable name of a DI token. */
export function tokenName(token: unknown): string {
  return typeof token === 'symbol' ? (token.description ?? 'Symbol()') : String(token);
}
