import { DataWarehouseError, SdkCompatibility } from '@datawarehouse/sdk';

/**
 * An admin API failure with an HTTP status (401, 404, 405, 413, 415) and a stable code.
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class HttpError extends DataWarehouseError {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Extra response headers, e.g. `Allow` or `WWW-Authenticate`. */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}
