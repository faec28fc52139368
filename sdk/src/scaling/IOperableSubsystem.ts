import type { IScalableSubsystem } from './ScalingLimits.js';

/** Describes one operator action of a subsystem. @since 6.0.0 */
export interface SubsystemActionInfo {
  readonly name: string;
  readonly description: string;
  /** Names of the arguments it takes (all JSON). */
  readonly arguments: readonly string[];
}

/**
 * A subsystem that offers operator actions beyond limits (e.g. the resilience subsystem's
 * `trip`, `isolate`, `reset` of one strategy's circuit). The host's admin API exposes them.
 * @since 6.0.0
 */
export interface IOperableSubsystem {
  listActions(): readonly SubsystemActionInfo[];
  /**
   * Runs an action; resolves to a JSON-serializable result.
   * @throws {@link InvalidConfigurationError} for an unknown action or bad arguments.
   */
  invokeActionAsync(action: string, args: Readonly<Record<string, unknown>>): Promise<unknown>;
}

/** True when `subsystem` offers operator actions. @since 6.0.0 */
export function isOperableSubsystem(
  subsystem: IScalableSubsystem,
): subsystem is IScalableSubsystem & IOperableSubsystem {
  const s = subsystem as Partial<IOperableSubsystem>;
  return typeof s.listActions === 'function' && typeof s.invokeActionAsync === 'function';
}
