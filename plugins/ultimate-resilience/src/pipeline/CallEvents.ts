import diagnostics from 'node:diagnostics_channel';
import { InvalidConfigurationError, RESILIENCE_DIAGNOSTICS_CHANNELS, SdkCompatibility } from '@datawarehouse/sdk';
import type {
  CallFailedEvent,
  CallFallbackEvent,
  CallRejectedEvent,
  CallRejectionCause,
  CallRetryEvent,
  CallSucceededEvent,
  CallTimeoutEvent,
  CircuitStateChange,
  CircuitTransitionEvent,
  Logger,
  ResilienceHooks,
} from '@datawarehouse/sdk';

const HOOK_MEMBERS = [
  'onSuccess',
  'onFailure',
  'onRetry',
  'onTimeout',
  'onRejected',
  'onFallback',
  'onCircuitTransition',
] as const satisfies readonly (keyof ResilienceHooks)[];

/** What the events need of an OpenTelemetry span: `addEvent`. @internal */
export interface SpanLike {
  addEvent(name: string, attributes?: Record<string, string | number | boolean>): unknown;
}

/** Finds the caller's active span when a call starts (an OpenTelemetry tracer's context). @internal */
export interface SpanSource {
  activeSpan(): SpanLike | undefined;
}

/** `String(value)`, or a placeholder when even that throws (a null-prototype object, a hostile getter). */
function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return '[unprintable]';
  }
}

/** An error for a log line: its message, or its string form; never throws. */
function describe(error: unknown): string {
  if (error instanceof Error) {
    try {
      return safeString(error.message);
    } catch {
      return '[unprintable]';
    }
  }
  return safeString(error);
}

/** Attributes of an error on a span event: its type and message (never throws). */
function errorAttributes(error: unknown): Record<string, string> {
  if (error instanceof Error) {
    let type: string;
    let message: string;
    try {
      type = safeString(error.name);
      message = safeString(error.message);
    } catch {
      type = 'Error';
      message = '[unprintable]';
    }
    return { 'error.type': type, 'exception.message': message };
  }
  return { 'error.type': typeof error, 'exception.message': safeString(error) };
}

/** `<reason> (from <node>)`: how a transition adopted from another node names it (see `applyRemoteState`). */
const FROM_NODE = / \(from ([^()]+)\)$/;

/**
 * Checks a hooks object: an object whose known members are functions or undefined.
 * @throws {@link InvalidConfigurationError} naming `hooks` or `hooks.<member>`.
 * @internal
 */
export function validateHooks(hooks: unknown): asserts hooks is ResilienceHooks {
  if (typeof hooks !== 'object' || hooks === null) {
    throw new InvalidConfigurationError('hooks', hooks, 'an object of hook functions');
  }
  for (const member of HOOK_MEMBERS) {
    const fn = (hooks as Record<string, unknown>)[member];
    if (fn !== undefined && typeof fn !== 'function') {
      throw new InvalidConfigurationError(`hooks.${member}`, fn, 'a function or undefined');
    }
  }
}

/**
 * The per-call events of one manager: its registered {@link ResilienceHooks} and the
 * `node:diagnostics_channel` channels. The pipeline asks {@link CallEvents.on} (one field read)
 * or a channel's `hasSubscribers` before it builds an event, so a call pays nothing while
 * nobody listens. A hook that throws is counted in {@link CallEvents.hookErrors}, logged once,
 * and never reaches the call.
 * @internal
 */
@SdkCompatibility('6.0.0')
export class CallEvents {
  /** Whether at least one hook set is registered, or tracing is on. */
  on = false;
  /** Set while tracing is on: each call captures its caller's active span at its start. */
  spans: SpanSource | undefined = undefined;
  /** Hooks that threw (their error is swallowed: a hook never changes a call's outcome). */
  hookErrors = 0;
  readonly successChannel = diagnostics.channel(RESILIENCE_DIAGNOSTICS_CHANNELS.success);
  readonly failureChannel = diagnostics.channel(RESILIENCE_DIAGNOSTICS_CHANNELS.failure);
  readonly retryChannel = diagnostics.channel(RESILIENCE_DIAGNOSTICS_CHANNELS.retry);
  readonly timeoutChannel = diagnostics.channel(RESILIENCE_DIAGNOSTICS_CHANNELS.timeout);
  readonly rejectedChannel = diagnostics.channel(RESILIENCE_DIAGNOSTICS_CHANNELS.rejected);
  readonly fallbackChannel = diagnostics.channel(RESILIENCE_DIAGNOSTICS_CHANNELS.fallback);
  readonly circuitChannel = diagnostics.channel(RESILIENCE_DIAGNOSTICS_CHANNELS.circuitTransition);
  private hooks: readonly ResilienceHooks[] = [];
  private logged = false;

  constructor(private readonly logger: Logger) {}

  /**
   * Registers `hooks` (validated now: each member a function or undefined).
   * @returns Removes them; idempotent.
   * @throws {@link InvalidConfigurationError} naming `hooks` or `hooks.<member>`.
   */
  add(hooks: ResilienceHooks): () => void {
    validateHooks(hooks);
    // The object itself (not a copy): hooks may be methods of a class instance. A member that
    // is later replaced by a non-function throws when called, and is counted like any throw.
    this.hooks = [...this.hooks, hooks];
    this.on = true;
    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      // Copy on write: an event being dispatched keeps iterating the list it started with.
      const next = this.hooks.slice();
      next.splice(next.indexOf(hooks), 1);
      this.hooks = next;
      this.on = next.length > 0 || this.spans !== undefined;
    };
  }

  /**
   * Adds a span event per attempt outcome (and per rejection and fallback) to the span active
   * when each call started. Costs one span lookup per call while on.
   * @returns Switches tracing off; idempotent.
   */
  trace(spans: SpanSource): () => void {
    this.spans = spans;
    this.on = true;
    return () => {
      if (this.spans !== spans) return;
      this.spans = undefined;
      this.on = this.hooks.length > 0;
    };
  }

  /** The caller's active span now, or undefined (no tracing, no span, or a tracer that throws). */
  activeSpan(): SpanLike | undefined {
    const spans = this.spans;
    if (spans === undefined) return undefined;
    try {
      return spans.activeSpan();
    } catch {
      return undefined;
    }
  }

  success(strategyId: string, attempt: number, durationMs: number, elapsedMs: number, span?: SpanLike): void {
    const event: CallSucceededEvent = { strategyId, attempt, durationMs, elapsedMs };
    if (span !== undefined) {
      this.spanEvent(span, 'resilience.success', {
        'resilience.strategy': strategyId,
        'resilience.attempt': attempt,
        'resilience.duration_ms': durationMs,
      });
    }
    if (this.successChannel.hasSubscribers) this.successChannel.publish(event);
    for (const h of this.hooks) if (h.onSuccess !== undefined) this.run(h, h.onSuccess, event);
  }

  failure(strategyId: string, attempts: number, error: unknown, elapsedMs: number, span?: SpanLike): void {
    const event: CallFailedEvent = { strategyId, attempts, error, elapsedMs };
    if (span !== undefined) {
      this.spanEvent(
        span,
        'resilience.failure',
        {
          'resilience.strategy': strategyId,
          'resilience.attempt': attempts,
        },
        { value: error },
      );
    }
    if (this.failureChannel.hasSubscribers) this.failureChannel.publish(event);
    for (const h of this.hooks) if (h.onFailure !== undefined) this.run(h, h.onFailure, event);
  }

  retry(strategyId: string, attempt: number, delayMs: number, error: unknown, span?: SpanLike): void {
    const event: CallRetryEvent = { strategyId, attempt, delayMs, error };
    if (span !== undefined) {
      // The event of the attempt that failed (attempt - 1), announcing the retry.
      this.spanEvent(
        span,
        'resilience.retry',
        {
          'resilience.strategy': strategyId,
          'resilience.attempt': attempt - 1,
          'resilience.retry_delay_ms': delayMs,
        },
        { value: error },
      );
    }
    if (this.retryChannel.hasSubscribers) this.retryChannel.publish(event);
    for (const h of this.hooks) if (h.onRetry !== undefined) this.run(h, h.onRetry, event);
  }

  timeout(strategyId: string, attempt: number, timeoutMs: number, scope: 'attempt' | 'overall', span?: SpanLike): void {
    const event: CallTimeoutEvent = { strategyId, attempt, timeoutMs, scope };
    if (span !== undefined) {
      this.spanEvent(span, 'resilience.timeout', {
        'resilience.strategy': strategyId,
        'resilience.attempt': attempt,
        'resilience.timeout_ms': timeoutMs,
        'resilience.timeout_scope': scope,
      });
    }
    if (this.timeoutChannel.hasSubscribers) this.timeoutChannel.publish(event);
    for (const h of this.hooks) if (h.onTimeout !== undefined) this.run(h, h.onTimeout, event);
  }

  rejected(strategyId: string, cause: CallRejectionCause, error: unknown, span?: SpanLike): void {
    const event: CallRejectedEvent = { strategyId, cause, error };
    if (span !== undefined) {
      this.spanEvent(span, 'resilience.rejected', { 'resilience.strategy': strategyId, 'resilience.cause': cause });
    }
    if (this.rejectedChannel.hasSubscribers) this.rejectedChannel.publish(event);
    for (const h of this.hooks) if (h.onRejected !== undefined) this.run(h, h.onRejected, event);
  }

  fallback(strategyId: string, error: unknown, span?: SpanLike): void {
    const event: CallFallbackEvent = { strategyId, error };
    if (span !== undefined) {
      this.spanEvent(span, 'resilience.fallback', { 'resilience.strategy': strategyId }, { value: error });
    }
    if (this.fallbackChannel.hasSubscribers) this.fallbackChannel.publish(event);
    for (const h of this.hooks) if (h.onFallback !== undefined) this.run(h, h.onFallback, event);
  }

  /** A breaker's `stateChanged`, as a hook event (not on the call path: costs what it costs). */
  circuitTransition(strategyId: string, change: CircuitStateChange): void {
    if (!this.on && !this.circuitChannel.hasSubscribers) return;
    const remoteNode = change.origin === 'remote' ? FROM_NODE.exec(change.reason)?.[1] : undefined;
    const event: CircuitTransitionEvent = {
      strategyId,
      from: change.previousState,
      to: change.newState,
      origin: change.origin,
      ...(remoteNode === undefined ? {} : { remoteNode }),
      reason: change.reason,
      timestamp: change.timestamp,
    };
    if (this.circuitChannel.hasSubscribers) this.circuitChannel.publish(event);
    for (const h of this.hooks) if (h.onCircuitTransition !== undefined) this.run(h, h.onCircuitTransition, event);
  }

  private spanEvent(
    span: SpanLike,
    name: string,
    attributes: Record<string, string | number | boolean>,
    error?: { readonly value: unknown },
  ): void {
    try {
      span.addEvent(name, error === undefined ? attributes : { ...attributes, ...errorAttributes(error.value) });
    } catch (error) {
      this.hookErrors++;
      if (!this.logged) {
        this.logged = true;
        this.logger.warn('adding a span event threw; such errors are ignored (counted in hookErrors)', {
          error: describe(error),
        });
      }
    }
  }

  private run<E>(hooks: ResilienceHooks, fn: (this: ResilienceHooks, event: E) => void, event: E): void {
    try {
      fn.call(hooks, event);
    } catch (error) {
      this.hookErrors++;
      if (!this.logged) {
        this.logged = true;
        this.logger.warn('a resilience hook threw; its errors are ignored (counted in hookErrors)', {
          error: describe(error),
        });
      }
    }
  }
}
