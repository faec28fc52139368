import type { Clock, TimerHandle } from '@datawarehouse/sdk';

/**
 * Runs `work`, rejecting with `onTimeout()` if it has not settled after `timeoutMs` on `clock`.
 * The timer is cleared as soon as either happens; `work` itself cannot be cancelled and is
 * left to finish on its own.
 * @internal
 */
export async function runWithTimeout<T>(
  work: () => Promise<T> | T,
  clock: Clock,
  timeoutMs: number,
  onTimeout: () => Error,
): Promise<T> {
  let timer: TimerHandle | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = clock.setTimeout(() => reject(onTimeout()), timeoutMs);
  });
  try {
    return await Promise.race([Promise.resolve().then(work), timedOut]);
  } finally {
    if (timer !== undefined) clock.clearTimeout(timer);
  }
}
