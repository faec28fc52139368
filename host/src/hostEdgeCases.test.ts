import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { InMemoryFederation, InvalidConfigurationError, VirtualClock, createPluginMessage } from '@datawarehouse/sdk';
import type { IPlugin, IScalableSubsystem, PluginContext, ScalingLimits, TimerHandle } from '@datawarehouse/sdk';
import { AdminServer } from './admin/AdminServer.js';
import type { AdminBackend } from './admin/AdminServer.js';
import { HostMessageBus } from './bus/HostMessageBus.js';
import { ConfigReloader } from './config/ConfigReloader.js';
import { loadHostConfig } from './config/loadHostConfig.js';
import { validateHostConfig } from './config/validateHostConfig.js';
import { Kernel } from './kernel/Kernel.js';
import type { KernelOptions } from './kernel/Kernel.js';
import { SubsystemRegistry } from './registry/SubsystemRegistry.js';
import { HostRuntime } from './runtime/HostRuntime.js';

// Edge cases of the host found in review: lifecycle failures, hostile config keys, transport swaps, reloads, HTTP methods.

const dir = mkdtempSync(join(tmpdir(), 'dw-edge-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;

function fakeSubsystem(name: string): IScalableSubsystem {
  let limits: ScalingLimits = { maxConcurrentOperations: 8, maxQueueDepth: 0, maxCacheEntries: 10, maxMemoryBytes: 1000 };
  return {
    name,
    get currentLimits() { return limits; },
    currentBackpressureState: 'normal',
    getScalingMetrics: () => ({}),
    async reconfigureLimitsAsync(patch) {
      if (patch.maxConcurrentOperations === 999) throw new InvalidConfigurationError('maxConcurrentOperations', 999, 'at most 100');
      limits = { ...limits, ...patch };
      return limits;
    },
  };
}

function kernelWith(plugins: Record<string, IPlugin>, extra: Partial<KernelOptions> = {}): Kernel {
  return new Kernel({
    config: { nodeId: 'n1', shutdownTimeoutMs: 1000, startupTimeoutMs: 1000, plugins: Object.keys(plugins).map((module) => ({ module })) },
    importModule: async (spec) => ({ createPlugin: () => plugins[spec] }),
    clock: new VirtualClock(),
    ...extra,
  });
}

/** A plugin that arms a timer in initializeAsync and clears it in stopAsync (as the resilience plugin's manager does). */
function timerPlugin(id: string, clock: VirtualClock, start: () => Promise<void>): IPlugin & { timer?: TimerHandle } {
  const plugin: IPlugin & { timer?: TimerHandle } = {
    id, version: '1.0.0', sdkVersion: '6.0.0',
    async initializeAsync() {
      plugin.timer = clock.setTimeout(() => undefined, 3_600_000);
    },
    startAsync: start,
    async stopAsync() {
      if (plugin.timer !== undefined) clock.clearTimeout(plugin.timer);
      plugin.timer = undefined;
    },
  };
  return plugin;
}

describe('Kernel', () => {
  it('a plugin whose startAsync throws is stopped too, so what its initializeAsync acquired is released', async () => {
    const clock = new VirtualClock();
    const plugin = timerPlugin('res', clock, () => Promise.reject(new Error('start failed')));
    const kernel = kernelWith({ res: plugin }, { clock });
    await expect(kernel.startAsync()).rejects.toMatchObject({ code: 'ERR_PLUGIN_START_FAILED' });
    expect(kernel.state).toBe('failed');
    // Its initializeAsync succeeded; nobody ever calls its stopAsync, so its timer (on a real
    // clock: the process's event loop) stays armed after the host gave up.
    expect(clock.pendingTimers).toBe(0);
  });

  it('a plugin whose startAsync times out is stopped once that start settles (never left running)', async () => {
    const clock = new VirtualClock();
    let finishStart!: () => void;
    const plugin = timerPlugin('slow', clock, () => new Promise<void>((r) => { finishStart = r; }));
    const kernel = kernelWith({ slow: plugin }, { clock });
    const starting = kernel.startAsync().catch((e: unknown) => e);
    await vi.waitFor(() => expect(finishStart).toBeDefined());
    await clock.advanceAsync(1_000);
    expect(await starting).toMatchObject({ code: 'ERR_PLUGIN_START_FAILED', cause: { code: 'ERR_PLUGIN_STARTUP_TIMEOUT' } });
    finishStart(); // the late start completes: the plugin now runs, and nothing will ever stop it
    await clock.advanceAsync(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('a host stopped on request during startup ends `stopped`, not `failed`', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const plugin: IPlugin = { id: 'a', version: '1.0.0', sdkVersion: '6.0.0', initializeAsync: () => gate };
    const kernel = kernelWith({ a: plugin });
    const starting = kernel.startAsync().catch(() => undefined);
    await vi.waitFor(() => expect(release).toBeDefined());
    const stopping = kernel.stopAsync();
    release();
    await starting;
    await stopping;
    expect(kernel.state).toBe('stopped');
    expect(kernel.health().status).toBe('stopped');
  });

  it('stops in reverse dependency order and bounds a hanging stop by shutdownTimeoutMs', async () => {
    const clock = new VirtualClock();
    const journal: string[] = [];
    const mk = (id: string, dependencies: string[] = [], hang = false): IPlugin => ({
      id, version: '1.0.0', sdkVersion: '6.0.0', dependencies,
      async initializeAsync() { journal.push(`init:${id}`); },
      async stopAsync() { journal.push(`stop:${id}`); if (hang) await new Promise(() => undefined); },
    });
    const kernel = kernelWith({ c: mk('c', ['b']), a: mk('a', [], true), b: mk('b', ['a']) }, { clock });
    await kernel.startAsync();
    const stopping = kernel.stopAsync();
    await vi.waitFor(() => expect(journal).toContain('stop:a'));
    await clock.advanceAsync(1_000);
    const report = await stopping;
    expect(journal).toEqual(['init:a', 'init:b', 'init:c', 'stop:c', 'stop:b', 'stop:a']);
    expect(report.errors.map((e) => e.code)).toEqual(['ERR_PLUGIN_STOP_TIMEOUT']);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('validateHostConfig', () => {
  it('names the field (not a DataCloneError) for plugin options JSON cannot carry, e.g. a function given in code', () => {
    let error: unknown;
    try {
      validateHostConfig({ plugins: [{ module: 'x', options: { retryIf: () => true } }] }, 'inline');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidConfigurationError);
    expect(error).toMatchObject({ field: 'plugins[0].options.retryIf', source: 'inline' });
  });
});

describe('validateHostConfig __proto__', () => {
  it('a `__proto__` subsystem key from the file is refused or kept as a key, never turned into a prototype', () => {
    const parsed: unknown = JSON.parse('{"plugins":[],"subsystems":{"__proto__":{"maxQueueDepth":1}}}');
    let config: ReturnType<typeof validateHostConfig> | undefined;
    try {
      config = validateHostConfig(parsed, 'dw.config.json');
    } catch (e) {
      expect(e).toMatchObject({ field: expect.stringContaining('subsystems') });
      return;
    }
    // Silently dropped from the section (Object.entries skips it) ...
    expect(Object.keys(config.subsystems)).toEqual(['__proto__']);
    // ... and it became the section's prototype.
    expect(Object.getPrototypeOf(config.subsystems)).toBe(Object.prototype);
  });
});

describe('validateHostConfig reserved keys', () => {
  it('refuses __proto__, constructor and prototype as keys of plugin options and strategy ids, naming the field', () => {
    const options: unknown = JSON.parse('{"plugins":[{"module":"x","options":{"a":{"__proto__":{"polluted":true}}}}]}');
    expect(() => validateHostConfig(options, 'f.json')).toThrow(expect.objectContaining({ field: 'plugins[0].options.a.__proto__', source: 'f.json' }));
    expect(() => validateHostConfig({ plugins: [], subsystems: { constructor: { maxQueueDepth: 1 } } }))
      .toThrow(expect.objectContaining({ field: 'subsystems.constructor' }));
    const strategies: unknown = JSON.parse('{"plugins":[],"subsystems":{"r":{"strategies":{"prototype":{}}}}}');
    expect(() => validateHostConfig(strategies)).toThrow(expect.objectContaining({ field: 'subsystems.r.strategies.prototype' }));
  });

  it('names a cycle or a class instance in plugin options instead of failing to clone', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => validateHostConfig({ plugins: [{ module: 'x', options: cyclic }] })).toThrow(expect.objectContaining({ field: 'plugins[0].options.self' }));
    expect(() => validateHostConfig({ plugins: [{ module: 'x', options: { at: new Date(0) } }] })).toThrow(expect.objectContaining({ field: 'plugins[0].options.at' }));
  });
});

describe('HostMessageBus', () => {
  it('refuses a subscription after dispose with a coded error', () => {
    const federation = new InMemoryFederation();
    const bus = new HostMessageBus(federation.createNode('n1'));
    bus.dispose();
    expect(() => bus.subscribe('t', () => undefined)).toThrow(expect.objectContaining({ code: 'ERR_BUS_CLOSED' }));
    federation.dispose();
  });

  it('releases the old transport once the message in flight on it arrived', async () => {
    const federation = new InMemoryFederation();
    const embedded = federation.createNode('n1');
    const bus = new HostMessageBus(embedded);
    bus.subscribe('t', () => undefined);
    void bus.publish('t', createPluginMessage('x', 1, { nodeId: 'n1', pluginId: 'p' }));
    const other = new InMemoryFederation();
    bus.provide(other.createNode('n1'), 'transport');
    expect(embedded.subscriberCount('t')).toBe(1);
    await federation.settle();
    await Promise.resolve();
    expect(embedded.subscriberCount('t')).toBe(0);
    federation.dispose();
    other.dispose();
  });

  it('a message published just before the transport is swapped still reaches the subscriber', async () => {
    const federation = new InMemoryFederation();
    const bus = new HostMessageBus(federation.createNode('n1'));
    const received: unknown[] = [];
    bus.subscribe('t', (m) => void received.push(m.payload));
    // Accepted by the old transport (delivery is queued), then the transport changes in the same tick.
    void bus.publish('t', createPluginMessage('x', 'in flight', { nodeId: 'n1', pluginId: 'p' }));
    const other = new InMemoryFederation();
    bus.provide(other.createNode('n1'), 'transport'); // documented: "no message window opens"
    await federation.settle();
    expect(received).toEqual(['in flight']);
    federation.dispose();
    other.dispose();
  });

  it('moves every subscription (and connection listeners) to a provided transport; disposing after the move releases the new one', async () => {
    const a = new InMemoryFederation();
    const b = new InMemoryFederation();
    const bus = new HostMessageBus(a.createNode('n1'));
    const got: string[] = [];
    const s1 = bus.subscribe('t', (m) => void got.push(`1:${String(m.payload)}`));
    bus.subscribe('t', (m) => void got.push(`2:${String(m.payload)}`));
    const transport = b.createNode('n1');
    bus.provide(transport, 'redis');
    await transport.publish('t', createPluginMessage('x', 'p', { nodeId: 'n1', pluginId: 'p' }));
    await b.settle();
    expect(got.sort()).toEqual(['1:p', '2:p']);
    s1.dispose();
    expect(transport.subscriberCount('t')).toBe(1);
    a.dispose();
    b.dispose();
  });
});

describe('ConfigReloader', () => {
  async function kernelWithTwoSubsystems() {
    const plugin: IPlugin = {
      id: 'subs', version: '1.0.0', sdkVersion: '6.0.0',
      async initializeAsync(ctx: PluginContext) {
        ctx.subsystems.register(fakeSubsystem('alpha'));
        ctx.subsystems.register(fakeSubsystem('beta'));
      },
    };
    const kernel = kernelWith({ subs: plugin });
    await kernel.startAsync();
    return kernel;
  }

  it('a rejected reload leaves every subsystem as it was (no subsystem half-applied)', async () => {
    const kernel = await kernelWithTwoSubsystems();
    const path = join(dir, `c${fileNo++}.json`);
    writeFileSync(path, JSON.stringify({ plugins: [] }));
    const loaded = await loadHostConfig(path);
    const reloader = new ConfigReloader({
      path, initial: loaded.config, initialDigest: loaded.digest, clock: new VirtualClock(),
      apply: (section, source) => kernel.applySubsystemLimitsAsync(section, source),
    });
    writeFileSync(path, JSON.stringify({
      plugins: [], subsystems: { alpha: { maxConcurrentOperations: 50 }, beta: { maxConcurrentOperations: 999 } },
    }));
    const outcome = await reloader.reloadAsync('signal');
    expect(outcome.status).toBe('rejected');
    expect(outcome.error).toMatchObject({ field: 'subsystems.beta.maxConcurrentOperations' });
    // "keeps the running configuration": alpha must still run with 8.
    expect(kernel.subsystems.describe('alpha').limits.maxConcurrentOperations).toBe(8);
    await kernel.stopAsync();
  });

  it('runs two reloads requested at once one after the other, never concurrently', async () => {
    const path = join(dir, `c${fileNo++}.json`);
    writeFileSync(path, JSON.stringify({ plugins: [] }));
    const loaded = await loadHostConfig(path);
    const order: number[] = [];
    let active = 0;
    const reloader = new ConfigReloader({
      path, initial: loaded.config, clock: new VirtualClock(),
      apply: async (section) => {
        active++;
        expect(active).toBe(1);
        await new Promise((r) => setImmediate(r));
        order.push(section.r?.maxQueueDepth ?? -1);
        active--;
        return {};
      },
    });
    writeFileSync(path, JSON.stringify({ plugins: [], subsystems: { r: { maxQueueDepth: 1 } } }));
    const first = reloader.reloadAsync('signal');
    const second = reloader.reloadAsync('signal');
    await Promise.all([first, second]);
    expect(order).toEqual([1, 1]);
  });

  it('reloads when the file is replaced through a symlinked data folder (Kubernetes ConfigMap volume)', async () => {
    // Layout of a ConfigMap volume: dw.config.json -> ..data/dw.config.json, ..data -> ..2024_v1;
    // an update writes ..2024_v2 and atomically renames a new ..data symlink over the old one.
    const root = join(dir, `k8s${fileNo++}`);
    mkdirSync(join(root, '..v1'), { recursive: true });
    writeFileSync(join(root, '..v1', 'dw.config.json'), JSON.stringify({ plugins: [], subsystems: { r: { maxQueueDepth: 1 } } }));
    symlinkSync('..v1', join(root, '..data'));
    symlinkSync(join('..data', 'dw.config.json'), join(root, 'dw.config.json'));
    const path = join(root, 'dw.config.json');
    const loaded = await loadHostConfig(path);
    const clock = new VirtualClock();
    const applied: unknown[] = [];
    const reloader = new ConfigReloader({
      path, initial: loaded.config, initialDigest: loaded.digest, clock,
      apply: async (section) => { applied.push(section); return {}; },
    });
    reloader.watch();
    try {
      mkdirSync(join(root, '..v2'));
      writeFileSync(join(root, '..v2', 'dw.config.json'), JSON.stringify({ plugins: [], subsystems: { r: { maxQueueDepth: 2 } } }));
      symlinkSync('..v2', join(root, '..data_tmp'));
      renameSync(join(root, '..data_tmp'), join(root, '..data'));
      // The fs event arrives in real time (bounded wait); the debounce runs on the virtual clock.
      await vi.waitFor(() => expect(clock.pendingTimers).toBe(1), { timeout: 2_000, interval: 20 });
      await clock.advanceAsync(250);
      await vi.waitFor(() => expect(applied).toEqual([{ r: { maxQueueDepth: 2 } }]), { timeout: 2_000, interval: 20 });
    } finally {
      reloader.close();
    }
  });
});

describe('HostRuntime', () => {
  it('with the admin token from the environment, a reload does not report `admin` as changed-needs-restart', async () => {
    const path = join(dir, `c${fileNo++}.json`);
    writeFileSync(path, JSON.stringify({ plugins: [], statusIntervalMs: 0, admin: { enabled: false } }));
    const host = await HostRuntime.startAsync({ configPath: path, adminToken: 'a'.repeat(32), watchConfig: false, clock: new VirtualClock() });
    try {
      const outcome = await host.reloadAsync('signal');
      expect(outcome.status).toBe('applied');
      // The file did not change at all; every reload warns "admin changed, needs a restart".
      expect(outcome.ignored).toEqual([]);
    } finally {
      await host.stopAsync();
    }
  });
});

// ---- Admin API over real HTTP (bounded real-time waits only here) ----

interface Reply { status: number; headers: Record<string, string | string[] | undefined>; body: string }

function call(url: string, method: string, path: string, o: { headers?: Record<string, string>; body?: string | Buffer; chunked?: boolean } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = request({ host: u.hostname, port: u.port, method, path, headers: o.headers, timeout: 5_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    if (o.body !== undefined) {
      if (o.chunked === true) {
        req.write(o.body);
      } else {
        req.end(o.body);
        return;
      }
    }
    req.end();
  });
}

function backend(): AdminBackend {
  const subsystems = new SubsystemRegistry();
  subsystems.register(fakeSubsystem('resilience'));
  return { subsystems, health: () => ({ status: 'ok' }) };
}

async function withServer(token: string | null, fn: (url: string) => Promise<void>): Promise<void> {
  const server = new AdminServer({ host: '127.0.0.1', port: 0, token, maxBodyBytes: 1024, backend: backend() });
  const url = await server.listenAsync();
  try {
    await fn(url);
  } finally {
    await server.closeAsync();
  }
}

describe('AdminServer', () => {
  it('lists the other subsystems when one subsystem\'s metrics throw, and hides internal messages in a 500', async () => {
    const subsystems = new SubsystemRegistry();
    subsystems.register({ ...fakeSubsystem('broken'), getScalingMetrics: () => { throw new Error('secret /etc/path'); } });
    subsystems.register(fakeSubsystem('ok'));
    const server = new AdminServer({
      host: '127.0.0.1', port: 0, token: null, maxBodyBytes: 1024,
      backend: { subsystems, health: () => { throw new Error('secret /etc/path'); } },
    });
    const url = await server.listenAsync();
    try {
      const list = await call(url, 'GET', '/subsystems');
      expect(list.status).toBe(200);
      const body = JSON.parse(list.body) as { subsystems: { name: string; metrics: unknown }[] };
      expect(body.subsystems.map((s) => s.name)).toEqual(['broken', 'ok']);
      expect(body.subsystems[0]!.metrics).toEqual({ error: 'metrics unavailable' });
      const failed = await call(url, 'GET', '/health');
      expect(failed.status).toBe(500);
      expect(failed.body).not.toContain('secret');
    } finally {
      await server.closeAsync();
    }
  });

  it('answers HEAD like GET, without a body (RFC 9110: GET and HEAD must be supported)', async () => {
    await withServer(null, async (url) => {
      const head = await call(url, 'HEAD', '/health');
      expect(head.status).toBe(200);
      expect(head.body).toBe('');
    });
  });

  it('answers 400 naming the field, 401 without the token, 413 past the body limit (also chunked), 405 with Allow', async () => {
    const auth = { authorization: `Bearer ${'t'.repeat(20)}`, 'content-type': 'application/json' };
    await withServer('t'.repeat(20), async (url) => {
      expect((await call(url, 'GET', '/health')).status).toBe(401);
      expect((await call(url, 'GET', '/health', { headers: { authorization: `Bearer ${'t'.repeat(19)}x` } })).status).toBe(401);
      const bad = await call(url, 'PUT', '/subsystems/resilience/limits', { headers: auth, body: '{"maxQueueDepth":-1}' });
      expect(bad.status).toBe(400);
      expect(JSON.parse(bad.body)).toMatchObject({ error: { field: 'maxQueueDepth' } });
      const big = await call(url, 'PUT', '/subsystems/resilience/limits', { headers: auth, body: `{"x":"${'y'.repeat(5_000)}"}` });
      expect(big.status).toBe(413);
      const chunked = await call(url, 'PUT', '/subsystems/resilience/limits', { headers: auth, body: 'z'.repeat(5_000), chunked: true });
      expect(chunked.status).toBe(413);
      const wrong = await call(url, 'DELETE', '/subsystems/resilience/limits', { headers: auth });
      expect(wrong.status).toBe(405);
      expect(wrong.headers.allow).toBe('GET, PUT, PATCH');
    });
  });

  it('without a token, refuses a non-loopback Host (DNS rebinding) and malformed or traversing paths', async () => {
    await withServer(null, async (url) => {
      expect((await call(url, 'GET', '/health', { headers: { host: 'evil.example:80' } })).status).toBe(403);
      expect((await call(url, 'GET', '/health', { headers: { host: 'localhost.evil.example' } })).status).toBe(403);
      expect((await call(url, 'GET', '/subsystems/%E0%A4%A/limits')).status).toBe(400);
      expect((await call(url, 'GET', '/subsystems/resilience/%2e%2e/%2e%2e/health')).status).toBe(200); // normalized: /health
      expect((await call(url, 'GET', '/subsystems/..%2Fhealth')).status).toBe(404);
    });
  });
});
