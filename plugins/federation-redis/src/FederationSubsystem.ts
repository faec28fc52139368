import { DEFAULT_SCALING_LIMITS, InvalidConfigurationError, SdkCompatibility } from '@datawarehouse/sdk';
import { validateInteger, validateObject } from '@datawarehouse/sdk/internals';
import type { BackpressureState, IScalableSubsystem, ScalingLimits, ScalingMetrics } from '@datawarehouse/sdk';
import type { KeyringAuthenticator } from './keys/KeyringAuthenticator.js';
import type { RedisMessageBus } from './RedisMessageBus.js';

/**
 * The transport as a subsystem of the host (`GET /subsystems/federation`): its metrics are
 * the connection state and message counters of the {@link RedisMessageBus} plus the
 * authenticator's; its only limit is `maxCacheEntries`, the replay cache's size.
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class FederationSubsystem implements IScalableSubsystem {
  constructor(
    readonly name: string,
    private readonly bus: RedisMessageBus,
    private readonly authenticator: KeyringAuthenticator | undefined,
  ) {}

  /** The common limits; `maxCacheEntries` is the replay cache's capacity (0 when unsigned). */
  get currentLimits(): ScalingLimits {
    return {
      ...DEFAULT_SCALING_LIMITS,
      maxCacheEntries: this.authenticator?.getStatistics().replayCache.capacity ?? 0,
    };
  }

  /** Always `normal`: the bus queues nothing (a disconnection shows in the metrics instead). */
  get currentBackpressureState(): BackpressureState {
    return 'normal';
  }

  getScalingMetrics(): ScalingMetrics {
    const auth = this.authenticator?.getStatistics();
    return { ...this.bus.getStatistics(), ...(auth && { authentication: { ...auth } }) };
  }

  /**
   * Applies `maxCacheEntries` (the replay cache's size, 1..10 000 000) in place. Other limits
   * do not apply to a message bus and are refused rather than ignored.
   * @throws {@link InvalidConfigurationError} naming the field.
   */
  async reconfigureLimitsAsync(limits: Partial<ScalingLimits>): Promise<ScalingLimits> {
    const l = validateObject('limits', limits);
    for (const [key, value] of Object.entries(l)) {
      if (key !== 'maxCacheEntries' && value !== undefined) {
        throw new InvalidConfigurationError(
          key,
          value,
          `absent: the ${this.name} subsystem only has maxCacheEntries (replay cache size)`,
        );
      }
    }
    if (l.maxCacheEntries !== undefined) {
      const size = validateInteger('maxCacheEntries', l.maxCacheEntries, 1, 10_000_000);
      if (this.authenticator === undefined) {
        throw new InvalidConfigurationError(
          'maxCacheEntries',
          size,
          'absent: messages are unsigned (allowUnsigned), there is no replay cache',
        );
      }
      this.authenticator.setReplayCacheSize(size);
    }
    return this.currentLimits;
  }
}
