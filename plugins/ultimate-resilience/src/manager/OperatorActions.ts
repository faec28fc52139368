import { InvalidConfigurationError } from '@datawarehouse/sdk';
import { rejectUnknownKeys, validateObject, validateString } from '@datawarehouse/sdk/internals';
import type { ICircuitBreaker, SubsystemActionInfo } from '@datawarehouse/sdk';

/** The operator actions of the `resilience` subsystem. @internal */
export const OPERATOR_ACTIONS: readonly SubsystemActionInfo[] = Object.freeze([
  {
    name: 'trip',
    description: "Open a strategy's circuit for one break duration",
    arguments: ['strategyId', 'reason'],
  },
  { name: 'isolate', description: "Hold a strategy's circuit open until reset", arguments: ['strategyId', 'reason'] },
  {
    name: 'reset',
    description: "Close a strategy's circuit and clear its counts",
    arguments: ['strategyId', 'reason'],
  },
]);

/**
 * Validates an operator action and its arguments, runs it on the strategy's circuit (found by
 * `breakerOf`) and returns the circuit's state afterwards.
 * @throws {@link InvalidConfigurationError} for an unknown action, a bad argument or a strategy
 *   without a circuit breaker; whatever `breakerOf` throws for an unknown strategy.
 * @internal
 */
export function runOperatorAction(
  action: string,
  args: Readonly<Record<string, unknown>>,
  breakerOf: (strategyId: string) => ICircuitBreaker | undefined,
): { strategyId: string; state: string; retryAfterMs: number } {
  if (!OPERATOR_ACTIONS.some((a) => a.name === action)) {
    throw new InvalidConfigurationError('action', action, `one of ${OPERATOR_ACTIONS.map((a) => a.name).join(', ')}`);
  }
  const body = validateObject('arguments', args);
  rejectUnknownKeys('', body, ['strategyId', 'reason']);
  const strategyId = validateString('strategyId', body.strategyId, 128);
  const reason = body.reason === undefined ? `operator-${action}` : validateString('reason', body.reason, 256);
  const breaker = breakerOf(strategyId);
  if (breaker === undefined)
    throw new InvalidConfigurationError('strategyId', strategyId, 'a strategy with a circuit breaker');
  if (action === 'trip') breaker.trip(reason);
  else if (action === 'isolate') breaker.isolate(reason);
  else breaker.reset(reason);
  return { strategyId, state: breaker.state, retryAfterMs: breaker.retryAfterMs() };
}
