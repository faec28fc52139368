import { createServiceToken } from '../di/ServiceToken.js';
import type { Disposable } from '../di/ServiceToken.js';
import type { IScalableSubsystem, ScalingLimits } from '../scaling/ScalingLimits.js';

/**
 * The host's registry of scalable subsystems, through which limits are read and changed at
 * runtime without restart.
 * @since 6.0.0
 */
export interface ISubsystemRegistry {
  /** @throws {@link InvalidConfigurationError} when the name is taken. */
  register(subsystem: IScalableSubsystem): Disposable;
  get(name: string): IScalableSubsystem | undefined;
  list(): readonly IScalableSubsystem[];
  /**
   * Validates and applies `limits` to the named subsystem; resolves to the limits in force.
   * @throws Error with code `ERR_SUBSYSTEM_NOT_FOUND`, or {@link InvalidConfigurationError}.
   */
  reconfigureAsync(name: string, limits: Partial<ScalingLimits>): Promise<ScalingLimits>;
}

/** DI token of the host's subsystem registry. @since 6.0.0 */
export const SubsystemRegistryToken = createServiceToken<ISubsystemRegistry>('datawarehouse.sdk.ISubsystemRegistry');
