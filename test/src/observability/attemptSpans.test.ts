import { AsyncLocalStorage } from 'node:async_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT_CONTEXT, context, trace } from '@opentelemetry/api';
import type { Context, ContextManager } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { VirtualClock, isCircuitOpenError } from '@datawarehouse/sdk';
import { Kernel } from '@datawarehouse/host';
import { createPlugin } from '@datawarehouse/plugin-ultimate-resilience';
import type { UltimateResiliencePlugin } from '@datawarehouse/plugin-ultimate-resilience';

// Span events per attempt on the caller's span, with a real TracerProvider: the plugin adds them
// only when one is registered, to the span active when each call started.

/** The smallest AsyncLocalStorage context manager (the API's default one keeps no context). */
class AlsContextManager implements ContextManager {
  private readonly storage = new AsyncLocalStorage<Context>();
  active(): Context {
    return this.storage.getStore() ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.storage.run(ctx, () => fn.call(thisArg, ...args));
  }
  bind<T>(_ctx: Context, target: T): T {
    return target;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.storage.disable();
    return this;
  }
}

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
  trace.disable();
  context.disable();
});

async function start(registerTracer: boolean): Promise<{
  plugin: UltimateResiliencePlugin;
  clock: VirtualClock;
  exporter: InMemorySpanExporter;
}> {
  const exporter = new InMemorySpanExporter();
  if (registerTracer) {
    context.setGlobalContextManager(new AlsContextManager());
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    trace.setGlobalTracerProvider(provider);
    cleanups.push(() => provider.shutdown());
  }
  const clock = new VirtualClock(0);
  const plugin = createPlugin({
    strategies: [
      {
        id: 'db',
        circuitBreaker: { mode: 'consecutive', failureThreshold: 2, breakDurationMs: 10_000 },
        retry: { maxRetries: 1, backoff: 'immediate' },
        timeout: { attemptTimeoutMs: 50 },
      },
    ],
  });
  const kernel = new Kernel({
    config: { nodeId: 'trace-node', plugins: [{ module: 'resilience' }] },
    clock,
    importModule: async () => ({ createPlugin: () => plugin }),
  });
  await kernel.startAsync();
  cleanups.push(() => kernel.stopAsync());
  return { plugin, clock, exporter };
}

describe('attempt span events (OpenTelemetry tracing)', () => {
  it("adds one event per attempt outcome to the caller's span, with strategy, attempt and error", async () => {
    const { plugin, clock, exporter } = await start(true);
    const tracer = trace.getTracer('test');
    await tracer.startActiveSpan('load orders', async (span) => {
      let attempt = 0;
      const call = plugin.executeWithResilience('db', () =>
        ++attempt === 1 ? new Promise<string>(() => {}) : Promise.resolve('rows'),
      );
      await clock.advanceAsync(50); // the first attempt times out; the retry succeeds
      await expect(call).resolves.toBe('rows');
      span.end();
    });
    const [span] = exporter.getFinishedSpans();
    expect(span!.name).toBe('load orders');
    expect(span!.events.map((e) => e.name)).toEqual(['resilience.timeout', 'resilience.retry', 'resilience.success']);
    expect(span!.events[0]!.attributes).toMatchObject({
      'resilience.strategy': 'db',
      'resilience.attempt': 1,
      'resilience.timeout_ms': 50,
      'resilience.timeout_scope': 'attempt',
    });
    expect(span!.events[1]!.attributes).toMatchObject({
      'resilience.attempt': 1,
      'error.type': 'ResilienceTimeoutError',
    });
    expect(span!.events[2]!.attributes).toMatchObject({ 'resilience.strategy': 'db', 'resilience.attempt': 2 });
  });

  it("puts each call's events on its own span, even when calls interleave, and marks rejections", async () => {
    const { plugin, exporter } = await start(true);
    const tracer = trace.getTracer('test');
    const boom = new Error('db down');
    const runIn = (name: string, op: () => Promise<string>) =>
      tracer.startActiveSpan(name, async (span) => {
        try {
          return await plugin.executeWithResilience('db', op);
        } catch (e) {
          return e;
        } finally {
          span.end();
        }
      });
    // b starts first and finishes last; a fails twice (attempt and retry), which trips the
    // breaker; c is then refused.
    let release: (v: string) => void = () => undefined;
    const b = runIn('b', () => new Promise<string>((resolve) => (release = resolve)));
    await runIn('a', () => Promise.reject(boom));
    release('ok');
    await b;
    const refused = await runIn('c', () => Promise.resolve('never'));
    expect(isCircuitOpenError(refused)).toBe(true);
    const byName = new Map(exporter.getFinishedSpans().map((s) => [s.name, s.events.map((e) => e.name)]));
    expect(byName.get('a')).toEqual(['resilience.retry', 'resilience.failure']);
    expect(byName.get('b')).toEqual(['resilience.success']);
    expect(byName.get('c')).toEqual(['resilience.rejected']);
  });

  it('adds nothing, and looks up no span, when no TracerProvider is registered', async () => {
    const { plugin, exporter } = await start(false);
    await expect(plugin.executeWithResilience('db', () => 'v')).resolves.toBe('v');
    expect(exporter.getFinishedSpans()).toEqual([]);
    const manager = plugin.manager as unknown as { callEvents: { spans: unknown } };
    expect(manager.callEvents.spans).toBeUndefined();
  });
});
