import diagnostics from 'node:diagnostics_channel';
import { afterEach, describe, expect, it } from 'vitest';
import {
  RESILIENCE_DIAGNOSTICS_CHANNELS,
  VirtualClock,
  flushMicrotasks,
  isCircuitOpenError,
  isInvalidConfigurationError,
} from '@datawarehouse/sdk';
import type { ResilienceHooks } from '@datawarehouse/sdk';
import { deferred } from '@datawarehouse/sdk/testing';
import { ResilienceScalingManager } from './ResilienceScalingManager.js';
import { StrategyRegistry } from '../strategies/StrategyRegistry.js';
import type { StrategyDefinition } from '../strategies/StrategyDefinition.js';

const BOOM = new Error('downstream down');

function setup(strategies: StrategyDefinition[]) {
  const clock = new VirtualClock(1_000);
  const manager = new ResilienceScalingManager({
    registry: new StrategyRegistry(strategies),
    clock,
    random: () => 0.5,
  });
  return { clock, manager };
}

/** Records every hook call as `[name, event]`, in order. */
function recorder(): { log: [string, Record<string, unknown>][]; hooks: ResilienceHooks } {
  const log: [string, Record<string, unknown>][] = [];
  const hook =
    (name: string) =>
    (event: object): void => {
      log.push([name, { ...event }]);
    };
  return {
    log,
    hooks: {
      onSuccess: hook('success'),
      onFailure: hook('failure'),
      onRetry: hook('retry'),
      onTimeout: hook('timeout'),
      onRejected: hook('rejected'),
      onFallback: hook('fallback'),
      onCircuitTransition: hook('circuit'),
    },
  };
}

const managers: ResilienceScalingManager[] = [];
afterEach(() => {
  for (const m of managers.splice(0)) m.dispose();
});

describe('ResilienceScalingManager per-call hooks', () => {
  it('reports a success with the attempt, its duration and the elapsed time', async () => {
    const { clock, manager } = setup([{ id: 's', retry: false }]);
    managers.push(manager);
    const { log, hooks } = recorder();
    manager.addHooks(hooks);
    const gate = deferred<string>();
    const call = manager.executeWithResilience('s', () => gate.promise);
    clock.advance(25);
    gate.resolve('ok');
    await expect(call).resolves.toBe('ok');
    expect(log).toEqual([['success', { strategyId: 's', attempt: 1, durationMs: 25, elapsedMs: 25 }]]);
  });

  it('reports timeout, then retry, then success, in that order, for one call', async () => {
    const { clock, manager } = setup([
      {
        id: 's',
        retry: { maxRetries: 2, backoff: 'fixed', baseDelayMs: 10 },
        timeout: { attemptTimeoutMs: 100 },
        circuitBreaker: false,
      },
    ]);
    managers.push(manager);
    const { log, hooks } = recorder();
    manager.addHooks(hooks);
    let attempt = 0;
    const call = manager.executeWithResilience('s', () => (++attempt === 1 ? new Promise(() => {}) : 'second'));
    await clock.advanceAsync(100); // the first attempt times out
    await clock.advanceAsync(10); // the backoff elapses, the retry succeeds at once
    await expect(call).resolves.toBe('second');
    expect(log.map(([name]) => name)).toEqual(['timeout', 'retry', 'success']);
    expect(log[0]![1]).toEqual({ strategyId: 's', attempt: 1, timeoutMs: 100, scope: 'attempt' });
    expect(log[1]![1]).toMatchObject({ strategyId: 's', attempt: 2, delayMs: 10 });
    expect(log[2]![1]).toEqual({ strategyId: 's', attempt: 2, durationMs: 0, elapsedMs: 110 });
  });

  it('reports each retry with the error that caused it, then the failure, then the fallback', async () => {
    const { manager } = setup([
      { id: 's', retry: { maxRetries: 2, backoff: 'immediate' }, circuitBreaker: false, fallback: { value: 'cached' } },
    ]);
    managers.push(manager);
    const { log, hooks } = recorder();
    manager.addHooks(hooks);
    await expect(manager.executeWithResilience('s', () => Promise.reject(BOOM))).resolves.toBe('cached');
    expect(log).toEqual([
      ['retry', { strategyId: 's', attempt: 2, delayMs: 0, error: BOOM }],
      ['retry', { strategyId: 's', attempt: 3, delayMs: 0, error: BOOM }],
      ['failure', { strategyId: 's', attempts: 3, error: BOOM, elapsedMs: 0 }],
      ['fallback', { strategyId: 's', error: BOOM }],
    ]);
  });

  it('reports the trip as a local transition, then each refused call as a rejection', async () => {
    const { manager } = setup([
      { id: 's', retry: false, circuitBreaker: { mode: 'consecutive', failureThreshold: 1, breakDurationMs: 1_000 } },
    ]);
    managers.push(manager);
    const { log, hooks } = recorder();
    manager.addHooks(hooks);
    await expect(manager.executeWithResilience('s', () => Promise.reject(BOOM))).rejects.toBe(BOOM);
    const refused = await manager.executeWithResilience('s', () => 'never').catch((e: unknown) => e);
    expect(isCircuitOpenError(refused)).toBe(true);
    expect(log.map(([name]) => name)).toEqual(['circuit', 'failure', 'rejected']);
    expect(log[0]![1]).toMatchObject({ strategyId: 's', from: 'closed', to: 'open', origin: 'local' });
    expect(log[2]![1]).toEqual({ strategyId: 's', cause: 'circuitOpen', error: refused });
  });

  it('gives an operator transition its origin, and names the node of a remote one', () => {
    const { manager } = setup([{ id: 's' }]);
    managers.push(manager);
    const { log, hooks } = recorder();
    manager.addHooks(hooks);
    manager.executeWithResilience('s', () => 'warm').catch(() => undefined);
    const breaker = manager.getCircuitBreaker('s')!;
    breaker.trip('maintenance');
    breaker.reset('peer closed it (from node-b)', 'remote');
    expect(log.filter(([name]) => name === 'circuit')).toEqual([
      ['circuit', expect.objectContaining({ from: 'closed', to: 'open', origin: 'operator', reason: 'maintenance' })],
      ['circuit', expect.objectContaining({ from: 'open', to: 'closed', origin: 'remote', remoteNode: 'node-b' })],
    ]);
  });

  it('reports a bulkhead rejection with its cause', async () => {
    const { manager } = setup([{ id: 's', bulkhead: { maxConcurrency: 1, maxQueueSize: 0 }, retry: false }]);
    managers.push(manager);
    const { log, hooks } = recorder();
    manager.addHooks(hooks);
    const gate = deferred<string>();
    const first = manager.executeWithResilience('s', () => gate.promise);
    await expect(manager.executeWithResilience('s', () => 'second')).rejects.toThrow();
    gate.resolve('first');
    await first;
    expect(log.map(([name, e]) => `${name}:${String(e.cause ?? '')}`)).toEqual(['rejected:bulkhead', 'success:']);
  });

  it('publishes the same events on node:diagnostics_channel, and nothing once unsubscribed', async () => {
    const { manager } = setup([{ id: 's', retry: { maxRetries: 1, backoff: 'immediate' }, circuitBreaker: false }]);
    managers.push(manager);
    const seen: [string, unknown][] = [];
    const onRetry = (event: unknown): void => void seen.push(['retry', event]);
    const onSuccess = (event: unknown): void => void seen.push(['success', event]);
    diagnostics.subscribe(RESILIENCE_DIAGNOSTICS_CHANNELS.retry, onRetry);
    diagnostics.subscribe(RESILIENCE_DIAGNOSTICS_CHANNELS.success, onSuccess);
    try {
      let n = 0;
      await manager.executeWithResilience('s', () => (++n === 1 ? Promise.reject(BOOM) : 'ok'));
      expect(seen).toEqual([
        ['retry', { strategyId: 's', attempt: 2, delayMs: 0, error: BOOM }],
        ['success', { strategyId: 's', attempt: 2, durationMs: 0, elapsedMs: 0 }],
      ]);
    } finally {
      diagnostics.unsubscribe(RESILIENCE_DIAGNOSTICS_CHANNELS.retry, onRetry);
      diagnostics.unsubscribe(RESILIENCE_DIAGNOSTICS_CHANNELS.success, onSuccess);
    }
    await manager.executeWithResilience('s', () => 'again');
    expect(seen).toHaveLength(2);
  });

  it('stops calling removed hooks; removing twice does nothing; other hooks keep running', async () => {
    const { manager } = setup([{ id: 's', retry: false }]);
    managers.push(manager);
    const a = recorder();
    const b = recorder();
    const removeA = manager.addHooks(a.hooks);
    manager.addHooks(b.hooks);
    await manager.executeWithResilience('s', () => 1);
    removeA();
    removeA();
    await manager.executeWithResilience('s', () => 2);
    expect(a.log).toHaveLength(1);
    expect(b.log).toHaveLength(2);
  });

  it('never lets a throwing hook change the outcome: counted, and the next hook still runs', async () => {
    const { manager } = setup([{ id: 's', retry: false }]);
    managers.push(manager);
    const after = recorder();
    manager.addHooks({
      onSuccess: () => {
        throw new Error('hook bug');
      },
    });
    manager.addHooks(after.hooks);
    await expect(manager.executeWithResilience('s', () => 'value')).resolves.toBe('value');
    expect(manager.hookErrors).toBe(1);
    expect(after.log.map(([name]) => name)).toEqual(['success']);
    const metrics = manager.getScalingMetrics() as { strategies: Record<string, { successes: number }> };
    expect(metrics.strategies.s!.successes).toBe(1);
  });

  it('calls hooks defined as class methods with their own `this`', async () => {
    const { manager } = setup([{ id: 's', retry: false }]);
    managers.push(manager);
    class Counter implements ResilienceHooks {
      successes = 0;
      onSuccess(): void {
        this.successes++;
      }
    }
    const counter = new Counter();
    manager.addHooks(counter);
    await manager.executeWithResilience('s', () => 'v');
    await flushMicrotasks();
    expect(counter.successes).toBe(1);
    expect(manager.hookErrors).toBe(0);
  });

  it('refuses a hooks object that is not one, or a member that is not a function, naming it', () => {
    const { manager } = setup([{ id: 's' }]);
    managers.push(manager);
    for (const [bad, field] of [
      [null, 'hooks'],
      ['onSuccess', 'hooks'],
      [{ onRetry: 42 }, 'hooks.onRetry'],
      [{ onCircuitTransition: 'log' }, 'hooks.onCircuitTransition'],
    ] as const) {
      let caught: unknown;
      try {
        manager.addHooks(bad as unknown as ResilienceHooks);
      } catch (e) {
        caught = e;
      }
      expect(isInvalidConfigurationError(caught)).toBe(true);
      expect((caught as { field: string }).field).toBe(field);
    }
  });
});
