import type { SpanLike, SpanSource } from '../pipeline/CallEvents.js';

/** The part of `@opentelemetry/api`'s tracing used for attempt span events. @internal */
export interface OpenTelemetryTraceApi {
  readonly trace: {
    getTracerProvider(): unknown;
    getActiveSpan(): SpanLike | undefined;
  };
  readonly ProxyTracerProvider: new () => { getDelegate(): unknown };
}

/**
 * Whether an application registered a TracerProvider: the global provider is a proxy whose
 * delegate is the API's no-op provider until one is registered (the same object a fresh proxy
 * returns).
 * @internal
 */
export function tracerRegistered(api: OpenTelemetryTraceApi): boolean {
  const global = api.trace.getTracerProvider() as { getDelegate?: () => unknown };
  if (typeof global.getDelegate !== 'function') return true; // not the API's proxy: a provider of its own
  return global.getDelegate() !== new api.ProxyTracerProvider().getDelegate();
}

/** The span source of attempt span events: the caller's active span when a call starts. @internal */
export function activeSpanSource(api: OpenTelemetryTraceApi): SpanSource {
  return { activeSpan: () => api.trace.getActiveSpan() };
}
