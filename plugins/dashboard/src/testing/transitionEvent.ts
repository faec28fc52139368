import type { CircuitTransitionEvent } from '@datawarehouse/sdk';

/** A local `closed → open` transition of `strategyId` for the failures reason at time 0, with `extra` over it. */
export const transitionEvent = (
  strategyId: string,
  extra: Partial<CircuitTransitionEvent> = {},
): CircuitTransitionEvent => ({
  strategyId,
  from: 'closed',
  to: 'open',
  origin: 'local',
  reason: 'failures',
  timestamp: 0,
  ...extra,
});
