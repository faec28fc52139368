import { InvalidConfigurationError, SdkCompatibility } from '@datawarehouse/sdk';
import { validateString } from '@datawarehouse/sdk/internals';

/**
 * Named sections other modules add to `getScalingMetrics()` (e.g. the distributed circuit
 * state's `distributed`). A provider that throws yields `{ error }` instead of its section.
 * @internal
 */
@SdkCompatibility('6.0.0')
export class MetricsSections {
  private readonly providers = new Map<string, () => unknown>();

  /** Adds a section; the handle removes it. @throws {@link InvalidConfigurationError} for a bad or used name. */
  add(name: string, provider: () => unknown): { dispose(): void } {
    validateString('name', name, 64);
    if (this.providers.has(name))
      throw new InvalidConfigurationError('name', name, 'a metrics section name not yet used');
    this.providers.set(name, provider);
    return { dispose: () => void (this.providers.get(name) === provider && this.providers.delete(name)) };
  }

  /** Every section, read now. */
  read(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [name, provider] of this.providers) {
      try {
        out[name] = provider();
      } catch (error) {
        out[name] = { error: String(error) };
      }
    }
    return out;
  }
}
