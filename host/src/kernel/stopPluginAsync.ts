import type { Clock, DataWarehouseError, IPlugin, TimerHandle } from '@datawarehouse/sdk';
import { PluginStopFailedError, PluginStopTimeoutError } from './errors.js';

/**
 * Runs `plugin.stopAsync()` bounded by `timeoutMs` on `clock`; resolves to `undefined` when it
 * stopped, or the coded error (never rejects). A plugin that overruns is left behind: its
 * promise may still settle later, but shutdown goes on. The timer is always cleared.
 */
export async function stopPluginAsync(
  plugin: IPlugin,
  clock: Clock,
  timeoutMs: number,
): Promise<DataWarehouseError | undefined> {
  if (plugin.stopAsync === undefined) return undefined;
  let timer: TimerHandle | undefined;
  const timedOut = new Promise<true>((resolve) => {
    timer = clock.setTimeout(() => resolve(true), timeoutMs);
  });
  try {
    const stop = Promise.resolve()
      .then(() => plugin.stopAsync?.())
      .then(() => false as const);
    const result = await Promise.race([stop, timedOut]);
    return result ? new PluginStopTimeoutError(plugin.id, timeoutMs) : undefined;
  } catch (e) {
    return new PluginStopFailedError(plugin.id, e);
  } finally {
    if (timer !== undefined) clock.clearTimeout(timer);
  }
}
