import { describe, expect, it } from 'vitest';
import { SdkCompatibility, VirtualClock } from '@datawarehouse/sdk';
import type { IPlugin, PluginContext } from '@datawarehouse/sdk';
import { Kernel } from './Kernel.js';
import type { KernelOptions } from './Kernel.js';

interface FakeSpec {
  id: string;
  dependencies?: string[];
  sdkVersion?: string;
  failOn?: 'init' | 'start' | 'stop';
  hangOnStop?: boolean;
  onInit?: (ctx: PluginContext) => void | Promise<void>;
}

function fakePlugin(spec: FakeSpec, journal: string[]): IPlugin {
  return {
    id: spec.id,
    version: '1.0.0',
    sdkVersion: spec.sdkVersion ?? '6.0.0',
    dependencies: spec.dependencies,
    async initializeAsync(ctx) {
      journal.push(`init:${spec.id}`);
      if (spec.failOn === 'init') throw new Error(`boom in ${spec.id}`);
      await spec.onInit?.(ctx);
    },
    async startAsync() {
      journal.push(`start:${spec.id}`);
      if (spec.failOn === 'start') throw new Error(`start boom in ${spec.id}`);
    },
    async stopAsync() {
      journal.push(`stop:${spec.id}`);
      if (spec.failOn === 'stop') throw new Error(`stop boom in ${spec.id}`);
      if (spec.hangOnStop) await new Promise(() => undefined);
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

describe('Kernel startup timeout', () => {
  it('fails a plugin whose initializeAsync hangs past startupTimeoutMs, naming it, and stops cleanly', async () => {
    const journal: string[] = [];
    const clock = new VirtualClock();
    const kernel = kernelFor(
      [{ id: 'a' }, { id: 'slow', dependencies: ['a'], onInit: () => new Promise(() => undefined) }],
      journal,
      {
        clock,
        config: {
          nodeId: 'n1',
          shutdownTimeoutMs: 1000,
          startupTimeoutMs: 5000,
          plugins: [{ module: 'a' }, { module: 'slow' }],
        },
      },
    );
    const started = kernel.startAsync().catch((e: unknown) => e);
    await clock.advanceAsync(4999);
    expect(journal).toEqual(['init:a', 'init:slow']);
    await clock.advanceAsync(1);
    const error = await started;
    expect(error).toMatchObject({
      code: 'ERR_PLUGIN_INIT_FAILED',
      pluginId: 'slow',
      cause: expect.objectContaining({ code: 'ERR_PLUGIN_STARTUP_TIMEOUT', phase: 'initializeAsync', timeoutMs: 5000 }),
    });
    expect(journal).toContain('stop:a');
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('Kernel', () => {
  it('initializes all plugins in dependency order, then starts them, and stops in reverse', async () => {
    const journal: string[] = [];
    const kernel = kernelFor(
      [{ id: 'c', dependencies: ['b'] }, { id: 'a' }, { id: 'b', dependencies: ['a'] }],
      journal,
    );
    await kernel.startAsync();
    expect(kernel.state).toBe('running');
    expect(journal).toEqual(['init:a', 'init:b', 'init:c', 'start:a', 'start:b', 'start:c']);
    expect(kernel.plugins.map((p) => [p.id, p.state])).toEqual([
      ['a', 'running'],
      ['b', 'running'],
      ['c', 'running'],
    ]);
    const report = await kernel.stopAsync();
    expect(journal.slice(6)).toEqual(['stop:c', 'stop:b', 'stop:a']);
    expect(report).toEqual({ stopped: ['c', 'b', 'a'], errors: [] });
    expect(kernel.state).toBe('stopped');
  });

  it('reports a throwing initializeAsync with the plugin id and cause, and stops what was initialized', async () => {
    const journal: string[] = [];
    const kernel = kernelFor([{ id: 'a' }, { id: 'b', failOn: 'init' }, { id: 'c' }], journal);
    const error = await kernel.startAsync().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_PLUGIN_INIT_FAILED', pluginId: 'b' });
    expect((error as Error).message).toContain('boom in b');
    expect(((error as Error).cause as Error).message).toBe('boom in b');
    expect(journal).toEqual(['init:a', 'init:b', 'stop:a']);
    expect(kernel.state).toBe('failed');
    expect(kernel.plugins.map((p) => p.state)).toEqual(['stopped', 'failed', 'loaded']);
  });

  it('reports a throwing startAsync and stops every initialized plugin in reverse, the failed one too', async () => {
    const journal: string[] = [];
    const kernel = kernelFor([{ id: 'a' }, { id: 'b', failOn: 'start' }, { id: 'c' }], journal);
    await expect(kernel.startAsync()).rejects.toMatchObject({ code: 'ERR_PLUGIN_START_FAILED', pluginId: 'b' });
    // b's initializeAsync succeeded and may hold resources, so its failed start does not exempt it from stopAsync.
    expect(journal).toEqual(['init:a', 'init:b', 'init:c', 'start:a', 'start:b', 'stop:c', 'stop:b', 'stop:a']);
    expect(kernel.state).toBe('failed');
  });

  it('refuses a plugin built for another SDK major before initializing anything', async () => {
    const journal: string[] = [];
    const kernel = kernelFor([{ id: 'a' }, { id: 'old', sdkVersion: '5.0.0' }], journal);
    await expect(kernel.startAsync()).rejects.toMatchObject({
      code: 'ERR_PLUGIN_INCOMPATIBLE_SDK',
      pluginId: 'old',
      pluginSdkVersion: '5.0.0',
      hostSdkVersion: '6.0.0',
    });
    expect(journal).toEqual([]);
  });

  it('refuses a plugin whose @SdkCompatibility names another major even if sdkVersion matches', async () => {
    @SdkCompatibility('7.0.0')
    class Future {
      readonly id = 'future';
      readonly version = '1.0.0';
      readonly sdkVersion = '6.0.0';
      async initializeAsync(): Promise<void> {}
    }
    const kernel = new Kernel({
      config: { plugins: [{ module: 'future' }] },
      importModule: async () => ({ default: Future }),
    });
    await expect(kernel.startAsync()).rejects.toMatchObject({
      code: 'ERR_PLUGIN_INCOMPATIBLE_SDK',
      pluginSdkVersion: '7.0.0',
    });
  });

  it('names both plugins when a dependency is missing', async () => {
    const kernel = kernelFor([{ id: 'a', dependencies: ['ghost'] }], []);
    await expect(kernel.startAsync()).rejects.toMatchObject({
      code: 'ERR_PLUGIN_MISSING_DEPENDENCY',
      pluginId: 'a',
      dependencyId: 'ghost',
    });
  });

  it('lists the cycle when dependencies form one', async () => {
    const kernel = kernelFor(
      [
        { id: 'a', dependencies: ['b'] },
        { id: 'b', dependencies: ['a'] },
      ],
      [],
    );
    await expect(kernel.startAsync()).rejects.toMatchObject({
      code: 'ERR_PLUGIN_DEPENDENCY_CYCLE',
      cycle: ['a', 'b', 'a'],
    });
  });

  it('refuses two plugins with the same id', async () => {
    const journal: string[] = [];
    const modules = { x: { default: () => fakePlugin({ id: 'dup' }, journal) } };
    const kernel = new Kernel({
      config: { plugins: [{ module: 'x' }, { module: 'x' }] },
      importModule: async (s) => modules[s as 'x'],
    });
    await expect(kernel.startAsync()).rejects.toMatchObject({
      code: 'ERR_DUPLICATE_PLUGIN',
      pluginId: 'dup',
      firstIndex: 0,
      secondIndex: 1,
    });
  });

  it('skips disabled entries', async () => {
    const journal: string[] = [];
    const kernel = new Kernel({
      config: { plugins: [{ module: 'a' }, { module: 'b', enabled: false }] },
      importModule: async (s) => ({ default: () => fakePlugin({ id: s }, journal) }),
    });
    await kernel.startAsync();
    expect(kernel.plugins.map((p) => p.id)).toEqual(['a']);
    await kernel.stopAsync();
  });

  it('bounds each stopAsync by shutdownTimeoutMs on the injected clock and carries on', async () => {
    const journal: string[] = [];
    const clock = new VirtualClock();
    const kernel = kernelFor([{ id: 'a' }, { id: 'slow', hangOnStop: true }], journal, { clock });
    await kernel.startAsync();
    const stopping = kernel.stopAsync();
    await clock.advanceAsync(999);
    expect(journal).not.toContain('stop:a');
    await clock.advanceAsync(1);
    const report = await stopping;
    expect(report.stopped).toEqual(['a']);
    expect(report.errors).toHaveLength(1);
    expect(report.errors[0]).toMatchObject({ code: 'ERR_PLUGIN_STOP_TIMEOUT', pluginId: 'slow', timeoutMs: 1000 });
    expect(clock.pendingTimers).toBe(0);
  });

  it('reports a throwing stopAsync and still stops the others', async () => {
    const journal: string[] = [];
    const kernel = kernelFor([{ id: 'a' }, { id: 'b', failOn: 'stop' }], journal);
    await kernel.startAsync();
    const report = await kernel.stopAsync();
    expect(report.stopped).toEqual(['a']);
    expect(report.errors[0]).toMatchObject({ code: 'ERR_PLUGIN_STOP_FAILED', pluginId: 'b' });
    expect(await kernel.stopAsync()).toBe(report);
  });

  it('refuses to start twice and reports its health', async () => {
    const kernel = kernelFor([{ id: 'a' }], []);
    expect(kernel.health().status).toBe('created');
    await kernel.startAsync();
    expect(kernel.health()).toMatchObject({
      status: 'ok',
      nodeId: 'n1',
      sdkVersion: '6.0.0',
      plugins: [{ id: 'a', state: 'running' }],
    });
    await expect(kernel.startAsync()).rejects.toMatchObject({ code: 'ERR_KERNEL_STATE' });
    await kernel.stopAsync();
    expect(kernel.health().status).toBe('stopped');
  });

  it('validates its configuration object', () => {
    expect(() => new Kernel({ config: { plugins: 'x' } as never, source: 'inline' })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_CONFIGURATION', field: 'plugins', source: 'inline' }),
    );
  });

  it('stops cleanly when asked to stop during startup', async () => {
    const journal: string[] = [];
    let release!: () => void;
    let entered!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const inInit = new Promise<void>((r) => {
      entered = r;
    });
    const kernel = kernelFor(
      [
        {
          id: 'a',
          onInit: () => {
            entered();
            return gate;
          },
        },
        { id: 'b' },
      ],
      journal,
    );
    const starting = kernel.startAsync();
    await inInit;
    const stopping = kernel.stopAsync();
    expect(kernel.state).toBe('starting');
    release();
    await expect(starting).rejects.toMatchObject({ code: 'ERR_KERNEL_STATE' });
    await stopping;
    expect(journal).toEqual(['init:a', 'stop:a']);
  });
});
