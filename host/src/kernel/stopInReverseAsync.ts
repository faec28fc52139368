import type { Clock, DataWarehouseError, Logger, TimerHandle } from '@datawarehouse/sdk';
import type { ShutdownReport } from './KernelHealth.js';
import type { PluginRecord } from './PluginRecord.js';
import { stopPluginAsync } from './stopPluginAsync.js';

/** Options of {@link stopInReverseAsync}. @since 6.0.0 */
export interface ReverseStopOptions {
  /** Clock of the stop timeouts. */
  readonly clock: Clock;
  /** Bound of each `stopAsync`, and of the wait for a timed-out start to settle. */
  readonly shutdownTimeoutMs: number;
  /** Receives stop failures and late stops. */
  readonly logger: Logger;
  /** Withdraws a plugin's services and subsystems (once it is stopped, or cannot be). */
  readonly withdraw: (pluginId: string) => void;
}

/**
 * Stops, in reverse order, every plugin of `records` whose `initializeAsync` completed — on
 * shutdown and to roll back a failed startup — updating each record's state; never rejects.
 * A plugin whose `initializeAsync` failed only has its registrations withdrawn; one whose
 * `startAsync` threw is stopped too (its `initializeAsync` may hold resources); one whose
 * `startAsync` timed out and still runs is withdrawn now and stopped once that start settles,
 * without holding up the report.
 * @since 6.0.0
 */
export async function stopInReverseAsync(
  records: readonly PluginRecord[],
  options: ReverseStopOptions,
): Promise<ShutdownReport> {
  const stopped: string[] = [];
  const errors: DataWarehouseError[] = [];
  for (const r of [...records].reverse()) {
    if (r.state === 'loaded' || r.state === 'stopped') continue;
    const failedStart = r.state === 'failed' ? r.failedStart : undefined;
    if (failedStart !== undefined && !failedStart.settled) {
      // Its start timed out and still runs: stopping it now would race that start, and
      // waiting here would hold up the failure report; it is stopped once the start settles.
      options.withdraw(r.plugin.id);
      void stopAfterStartSettlesAsync(r, failedStart.done, options);
      continue;
    }
    if (failedStart === undefined && (r.state === 'failed' || r.state === 'initializing')) {
      // Its initializeAsync failed (or a stop already failed); only its registrations are withdrawn.
      options.withdraw(r.plugin.id);
      continue;
    }
    // Running, initialized, or whose startAsync threw: its initializeAsync may hold resources.
    r.failedStart = undefined;
    r.state = 'stopping';
    const error = await stopPluginAsync(r.plugin, options.clock, options.shutdownTimeoutMs);
    options.withdraw(r.plugin.id);
    if (error === undefined) {
      r.state = 'stopped';
      stopped.push(r.plugin.id);
    } else {
      r.state = 'failed';
      errors.push(error);
      options.logger.error(error.message, { plugin: r.plugin.id, code: error.code });
    }
  }
  return { stopped, errors };
}

/**
 * Stops a plugin whose `startAsync` timed out once that start settles; waits for it at most
 * `shutdownTimeoutMs` (then stops it anyway), and bounds the stop by `shutdownTimeoutMs` too.
 */
async function stopAfterStartSettlesAsync(
  r: PluginRecord,
  settled: Promise<void>,
  options: ReverseStopOptions,
): Promise<void> {
  const { clock, shutdownTimeoutMs, logger } = options;
  r.failedStart = undefined;
  let timer: TimerHandle | undefined;
  const waited = new Promise<void>((resolve) => {
    timer = clock.setTimeout(resolve, shutdownTimeoutMs);
  });
  await Promise.race([settled, waited]);
  if (timer !== undefined) clock.clearTimeout(timer);
  r.state = 'stopping';
  const error = await stopPluginAsync(r.plugin, clock, shutdownTimeoutMs);
  options.withdraw(r.plugin.id);
  if (error === undefined) {
    r.state = 'stopped';
    logger.info('plugin stopped after its timed-out start settled', { plugin: r.plugin.id });
  } else {
    r.state = 'failed';
    logger.error(error.message, { plugin: r.plugin.id, code: error.code });
  }
}
