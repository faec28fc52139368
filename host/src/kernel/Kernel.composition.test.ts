import { describe, expect, it } from 'vitest';
import {
  InMemoryFederation,
  ResilienceServiceToken,
  VirtualClock,
  createPluginMessage,
  isInvalidConfigurationError,
} from '@datawarehouse/sdk';
import type { IPlugin, PluginContext } from '@datawarehouse/sdk';
import { isServiceNotFoundError, isSubsystemNotFoundError } from '../registry/errors.js';
import { Kernel } from './Kernel.js';
import type { KernelOptions } from './Kernel.js';
import { fakeSubsystem } from '../testing/kernelFixtures.js';

// What the kernel wires for its plugins (its composition root): services, subsystems and their limits, the bus.

interface FakeSpec {
  id: string;
  dependencies?: string[];
  onInit?: (ctx: PluginContext) => void | Promise<void>;
}

function fakePlugin(spec: FakeSpec, journal: string[]): IPlugin {
  return {
    id: spec.id,
    version: '1.0.0',
    sdkVersion: '6.0.0',
    dependencies: spec.dependencies,
    async initializeAsync(ctx) {
      journal.push(`init:${spec.id}`);
      await spec.onInit?.(ctx);
    },
    async startAsync() {
      journal.push(`start:${spec.id}`);
    },
    async stopAsync() {
      journal.push(`stop:${spec.id}`);
    },
  };
}

/** A kernel whose module specifiers name entries of `specs`. */
function kernelFor(specs: FakeSpec[], journal: string[], extra: Partial<KernelOptions> = {}): Kernel {
  const modules = new Map(specs.map((s) => [s.id, { createPlugin: () => fakePlugin(s, journal) }]));
  return new Kernel({
    config: { nodeId: 'n1', shutdownTimeoutMs: 1000, plugins: specs.map((s) => ({ module: s.id })) },
    importModule: async (spec) => {
      const m = modules.get(spec);
      if (m === undefined)
        throw Object.assign(new Error(`Cannot find module '${spec}'`), { code: 'ERR_MODULE_NOT_FOUND' });
      return m;
    },
    clock: new VirtualClock(),
    ...extra,
  });
}

describe('Kernel', () => {
  it('lets a plugin publish a service that a dependent plugin resolves', async () => {
    const journal: string[] = [];
    const service = { executeWithResilience: async <T>(_id: string, op: () => T) => op() };
    let resolved: unknown;
    const kernel = kernelFor(
      [
        {
          id: 'consumer',
          dependencies: ['provider'],
          onInit: (ctx) => {
            resolved = ctx.services.resolve(ResilienceServiceToken);
          },
        },
        {
          id: 'provider',
          onInit: (ctx) => {
            ctx.services.register(ResilienceServiceToken, service as never);
          },
        },
      ],
      journal,
    );
    await kernel.startAsync();
    expect(resolved).toBe(service);
    expect(kernel.resolve(ResilienceServiceToken)).toBe(service);
    await kernel.stopAsync();
  });

  it("withdraws a stopped plugin's services and subsystems", async () => {
    const kernel = kernelFor(
      [
        {
          id: 'p',
          onInit: (ctx) => {
            ctx.services.register(ResilienceServiceToken, {} as never);
            ctx.subsystems.register(fakeSubsystem('sub'));
          },
        },
      ],
      [],
    );
    await kernel.startAsync();
    expect(kernel.subsystems.names()).toEqual(['sub']);
    await kernel.stopAsync();
    expect(kernel.subsystems.names()).toEqual([]);
    expect(() => kernel.resolve(ResilienceServiceToken)).toThrow(
      expect.objectContaining({ code: 'ERR_SERVICE_NOT_FOUND' }),
    );
  });

  it('applies the configured subsystems section after initialization and before start', async () => {
    const sub = fakeSubsystem('resilience');
    const journal: string[] = [];
    const modules = {
      p: {
        default: () =>
          fakePlugin(
            {
              id: 'p',
              onInit: (ctx) => {
                ctx.subsystems.register(sub);
              },
            },
            journal,
          ),
      },
    };
    const kernel = new Kernel({
      config: { plugins: [{ module: 'p' }], subsystems: { resilience: { maxConcurrentOperations: 4 } } },
      importModule: async (s) => modules[s as 'p'],
    });
    await kernel.startAsync();
    expect(sub.applied).toEqual([{ maxConcurrentOperations: 4 }]);
    expect(kernel.subsystems.describe('resilience').limits.maxConcurrentOperations).toBe(4);
    await kernel.stopAsync();
  });

  it('fails startup when the subsystems section names an unknown subsystem or bad limits', async () => {
    const unknown = new Kernel({
      config: { plugins: [], subsystems: { nope: { maxQueueDepth: 1 } } },
    });
    expect(isSubsystemNotFoundError(await unknown.startAsync().catch((e: unknown) => e))).toBe(true);

    const sub = fakeSubsystem('resilience');
    const bad = new Kernel({
      config: { plugins: [{ module: 'p' }], subsystems: { resilience: { maxConcurrentOperations: 999 } } },
      source: '/etc/dw.json',
      importModule: async () => ({
        default: () =>
          fakePlugin(
            {
              id: 'p',
              onInit: (ctx) => {
                ctx.subsystems.register(sub);
              },
            },
            [],
          ),
      }),
    });
    const error = await bad.startAsync().catch((e: unknown) => e);
    expect(isInvalidConfigurationError(error)).toBe(true);
    expect(error).toMatchObject({ field: 'subsystems.resilience.maxConcurrentOperations', source: '/etc/dw.json' });
  });

  it("gives every plugin the node's bus, the in-memory node by default", async () => {
    const received: unknown[] = [];
    let ctxBus: PluginContext['bus'] | undefined;
    const kernel = kernelFor(
      [
        {
          id: 'listener',
          onInit: (ctx) => {
            ctxBus = ctx.bus;
            ctx.bus.subscribe('t', (m) => void received.push(m.payload));
          },
        },
      ],
      [],
    );
    await kernel.startAsync();
    expect(ctxBus).toBe(kernel.bus);
    expect(kernel.bus.nodeId).toBe('n1');
    await kernel.bus.publish('t', createPluginMessage('x', 1, { nodeId: 'n1', pluginId: 'test' }));
    await Promise.resolve();
    await Promise.resolve();
    expect(received).toEqual([1]);
    expect(kernel.health().bus).toEqual({ transport: 'in-memory', connectionState: 'connected' });
    await kernel.stopAsync();
  });

  it("lets a transport plugin provide the node's bus; earlier subscriptions move to it", async () => {
    const federation = new InMemoryFederation();
    const transport = federation.createNode('n1');
    const received: unknown[] = [];
    const kernel = kernelFor(
      [
        {
          id: 'early',
          onInit: (ctx) => {
            ctx.bus.subscribe('t', (m) => void received.push(m.payload));
          },
        },
        { id: 'transport', dependencies: ['early'], onInit: (ctx) => ctx.provideMessageBus(transport) },
      ],
      [],
    );
    await kernel.startAsync();
    expect(kernel.health().bus.transport).toBe('transport');
    await transport.publish('t', createPluginMessage('x', 'via transport', { nodeId: 'n1', pluginId: 'test' }));
    await federation.settle();
    expect(received).toEqual(['via transport']);
    await kernel.stopAsync();
    federation.dispose();
  });

  it('gives resolve errors a code when a service is absent', () => {
    const kernel = kernelFor([], []);
    let e: unknown;
    try {
      kernel.resolve(ResilienceServiceToken);
    } catch (err) {
      e = err;
    }
    expect(isServiceNotFoundError(e)).toBe(true);
  });
});
