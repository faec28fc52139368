import type { VirtualClock } from '@datawarehouse/sdk';
import type { ResilienceScalingManager } from '../manager/ResilienceScalingManager.js';

/**
 * Open-loop traffic in virtual time: one call to strategy `id` every 1000 / perSecond ms for
 * `ms`, each taking `latencyMs` and failing when `fail(n)` says so.
 */
export async function driveTraffic(
  clock: VirtualClock,
  manager: ResilienceScalingManager,
  id: string,
  o: { ms: number; perSecond: number; latencyMs: number; fail?: (n: number) => boolean },
): Promise<void> {
  const gap = 1000 / o.perSecond;
  const end = clock.now() + o.ms;
  for (let n = 0; clock.now() + gap <= end; n++) {
    await clock.advanceAsync(gap);
    const failing = o.fail?.(n) ?? false;
    manager
      .executeWithResilience(
        id,
        () =>
          new Promise((resolve, reject) => {
            clock.setTimeout(() => (failing ? reject(new Error('downstream error')) : resolve(n)), o.latencyMs);
          }),
      )
      .catch(() => undefined);
  }
  await clock.advanceAsync(end - clock.now());
}
