import type { IScalableSubsystem, ScalingLimits } from './ScalingLimits.js';

/**
 * A subsystem whose limits are partly inherited (e.g. every bulkhead follows
 * `maxConcurrentOperations` unless a strategy overrides it), so that what is in force
 * (`currentLimits`) differs from what was set. It exposes what was set, so the host can
 * restore it exactly after a rejected change and make a configuration reload declarative
 * (a value removed from the file stops applying) instead of turning everything it reads back
 * into explicit settings.
 * @since 6.0.0
 */
export interface IConfigurableSubsystem {
  /**
   * The limits set explicitly (at creation, from code, the admin API or a configuration),
   * without anything defaulted or inherited: `replaceLimitsAsync(configuredLimits)` changes
   * nothing. A JSON tree (numbers may be `Infinity`).
   */
  readonly configuredLimits: Partial<ScalingLimits>;
  /**
   * Checks `limits` exactly as {@link IConfigurableSubsystem.replaceLimitsAsync} would,
   * applying nothing.
   * @throws {@link InvalidConfigurationError} naming the first bad field.
   */
  validateReplacement(limits: Partial<ScalingLimits>): void;
  /**
   * Makes `limits` the whole explicit configuration, in place: what it leaves out goes back
   * to its default or to what it inherits (a per-strategy override it does not list is
   * removed). All or nothing; resolves to the limits now in force.
   * @throws {@link InvalidConfigurationError} naming the first bad field; nothing is applied then.
   */
  replaceLimitsAsync(limits: Partial<ScalingLimits>): Promise<ScalingLimits>;
}

/**
 * True when `subsystem` exposes its configured limits and can replace them as a whole.
 * @since 6.0.0
 */
export function isConfigurableSubsystem(
  subsystem: IScalableSubsystem,
): subsystem is IScalableSubsystem & IConfigurableSubsystem {
  const s = subsystem as Partial<IConfigurableSubsystem>;
  return (
    typeof s.validateReplacement === 'function' &&
    typeof s.replaceLimitsAsync === 'function' &&
    'configuredLimits' in subsystem
  );
}
