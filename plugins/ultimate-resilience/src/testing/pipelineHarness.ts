import { InMemoryCircuitBreaker, VirtualClock } from '@datawarehouse/sdk';
import type { CircuitOpenError, CircuitPermit } from '@datawarehouse/sdk';
import { ResilienceScalingManager } from '../manager/ResilienceScalingManager.js';
import { StrategyRegistry } from '../strategies/StrategyRegistry.js';
import type { StrategyDefinition } from '../strategies/StrategyDefinition.js';

/**
 * An {@link InMemoryCircuitBreaker} that audits the permit protocol: every permit it hands out
 * must come back through exactly one of `recordSuccess`, `recordFailure` or `releasePermission`.
 * A permit never given back is a leaked probe slot in half-open; one given back twice is an
 * outcome counted twice.
 */
export class AuditedCircuitBreaker extends InMemoryCircuitBreaker {
  /** Permits handed out. */
  issued = 0;
  /** Outcomes for a permit already given back, or never handed out. */
  protocolViolations = 0;
  private readonly open = new Set<CircuitPermit>();

  /** Permits handed out and not yet given back. */
  get outstanding(): number {
    return this.open.size;
  }

  override tryAcquirePermission(nowMs?: number): CircuitPermit | CircuitOpenError {
    const permit = super.tryAcquirePermission(nowMs);
    if (typeof permit === 'number') {
      this.issued++;
      this.open.add(permit);
    }
    return permit;
  }

  override recordSuccess(permit: CircuitPermit, durationMs: number, nowMs?: number): void {
    this.giveBack(permit);
    super.recordSuccess(permit, durationMs, nowMs);
  }

  override recordFailure(permit: CircuitPermit, durationMs: number, nowMs?: number): void {
    this.giveBack(permit);
    super.recordFailure(permit, durationMs, nowMs);
  }

  override releasePermission(permit: CircuitPermit): void {
    this.giveBack(permit);
    super.releasePermission(permit);
  }

  private giveBack(permit: CircuitPermit): void {
    if (!this.open.delete(permit)) this.protocolViolations++;
  }
}

/** A manager over `strategies` in virtual time, whose breakers are {@link AuditedCircuitBreaker}s. */
export interface PipelineHarness {
  readonly clock: VirtualClock;
  readonly manager: ResilienceScalingManager;
  /** The audited breaker of a strategy (created with its runtime). */
  breaker(strategyId: string): AuditedCircuitBreaker;
  /** `getScalingMetrics().strategies[strategyId]`. */
  report(strategyId: string): StrategyReport;
}

/** The fields of a strategy's metrics report these tests read. */
export interface StrategyReport {
  readonly inFlight: number;
  readonly running: number;
  readonly queued: number;
  readonly calls: number;
  readonly successes: number;
  readonly failures: number;
  readonly passedThrough: number;
  readonly attempts: number;
  readonly aborted: number;
  /** Operations abandoned (timed out or aborted) and still running — a gauge. */
  readonly abandonedRunning: number;
  readonly rejected: { readonly circuitOpen: number; readonly bulkhead: number; readonly rateLimited: number };
}

/**
 * Builds a {@link ResilienceScalingManager} over `strategies` with a {@link VirtualClock}
 * (at 1 000 000), jitter fixed at 0.5 and audited breakers.
 */
export function pipelineHarness(strategies: readonly StrategyDefinition[]): PipelineHarness {
  const clock = new VirtualClock(1_000_000);
  const manager = new ResilienceScalingManager({
    registry: new StrategyRegistry([...strategies]),
    clock,
    random: () => 0.5,
    createCircuitBreaker: (name, options, c) => new AuditedCircuitBreaker(name, options, c),
  });
  return {
    clock,
    manager,
    breaker(strategyId) {
      const breaker = manager.getCircuitBreaker(strategyId);
      if (!(breaker instanceof AuditedCircuitBreaker))
        throw new Error(`strategy '${strategyId}' has no circuit breaker`);
      return breaker;
    },
    report(strategyId) {
      const strategies = manager.getScalingMetrics().strategies as Record<string, StrategyReport | undefined>;
      const report = strategies[strategyId];
      if (report === undefined) throw new Error(`strategy '${strategyId}' has not run yet`);
      return report;
    },
  };
}

/** How a call's promise ended, observed without awaiting it. */
export interface CallRecord<T = unknown> {
  /** How many times a settlement handler ran (a promise settles at most once: 0 or 1). */
  settlements: number;
  status: 'pending' | 'resolved' | 'rejected';
  value: T | undefined;
  error: unknown;
}

/** Observes `promise` (and handles its rejection, so none is ever unhandled). */
export function trackCall<T>(promise: Promise<T>): CallRecord<T> {
  const record: CallRecord<T> = { settlements: 0, status: 'pending', value: undefined, error: undefined };
  promise.then(
    (value) => {
      record.settlements++;
      record.status = 'resolved';
      record.value = value;
    },
    (error: unknown) => {
      record.settlements++;
      record.status = 'rejected';
      record.error = error;
    },
  );
  return record;
}
