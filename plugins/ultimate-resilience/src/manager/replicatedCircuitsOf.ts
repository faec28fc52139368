import type { CircuitStateChange, Disposable, ICircuitBreaker } from '@datawarehouse/sdk';
import type { ReplicatedCircuits, ReplicatedCircuitsListener } from '../distributed/ReplicatedCircuits.js';
import type { ResolvedStrategy } from '../strategies/StrategyDefinition.js';
import type { ResilienceScalingManager } from './ResilienceScalingManager.js';

/**
 * The manager's circuits as the distributed layer sees them ({@link ReplicatedCircuits}): the
 * adapter between the replicator's port and the manager, so neither knows the other.
 * @since 6.0.0
 */
export function replicatedCircuitsOf(manager: ResilienceScalingManager): ReplicatedCircuits {
  const runtimes = manager.activeRuntimes();
  const activeBreaker = (id: string): ICircuitBreaker | undefined => runtimes.get(id)?.breaker;
  return {
    clock: manager.clock,
    isRegistered: (id) => manager.registry.has(id),
    activeStrategies: () => runtimes.keys(),
    get activeCount() {
      return runtimes.size;
    },
    activeBreaker,
    breakerOf: (id) => manager.getCircuitBreaker(id),
    sharesState(id) {
      const runtime = runtimes.get(id);
      return runtime !== undefined && runtime.options.shareState && runtime.breaker !== undefined;
    },
    watch(listener: ReplicatedCircuitsListener): Disposable {
      const onTransition = (id: string, change: CircuitStateChange): void => listener.transition(id, change);
      const onSharing = (): void => listener.sharingMayHaveChanged();
      const onRemoved = (strategy: ResolvedStrategy): void => listener.removed(strategy.id);
      manager.events.on('circuitStateChanged', onTransition);
      manager.events.on('limitsChanged', onSharing);
      manager.events.on('runtimeCreated', onSharing);
      manager.registry.events.on('registered', onSharing);
      manager.registry.events.on('removed', onRemoved);
      return {
        dispose() {
          manager.events.off('circuitStateChanged', onTransition);
          manager.events.off('limitsChanged', onSharing);
          manager.events.off('runtimeCreated', onSharing);
          manager.registry.events.off('registered', onSharing);
          manager.registry.events.off('removed', onRemoved);
        },
      };
    },
  };
}
