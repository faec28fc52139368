import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { IScalableSubsystem, ScalingLimits } from '@datawarehouse/sdk';
import { SubsystemRegistry } from '../registry/SubsystemRegistry.js';
import { AdminServer } from './AdminServer.js';

/** Parsed JSON of a response; tests inspect it structurally. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- loose on purpose: assertions check the shape
const body = async (res: Response): Promise<any> => res.json();

function subsystem(): IScalableSubsystem {
  let limits: ScalingLimits = {
    maxConcurrentOperations: 8,
    maxQueueDepth: 10,
    maxCacheEntries: 100,
  };
  return {
    name: 'resilience',
    get currentLimits() {
      return limits;
    },
    currentBackpressureState: 'normal',
    getScalingMetrics: () => ({ strategies: { default: { state: 'closed', inFlight: 0 } } }),
    async reconfigureLimitsAsync(patch) {
      limits = { ...limits, ...patch };
      return limits;
    },
  };
}

const servers: AdminServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.closeAsync()));
});

async function start(
  token: string | null = null,
  status = 'ok',
): Promise<{ url: string; registry: SubsystemRegistry }> {
  const registry = new SubsystemRegistry();
  registry.register(subsystem(), 'ultimate-resilience');
  const server = new AdminServer({
    host: '127.0.0.1',
    port: 0,
    token,
    maxBodyBytes: 256,
    backend: { subsystems: registry, health: () => ({ status, nodeId: 'n1' }) },
  });
  servers.push(server);
  return { url: await server.listenAsync(), registry };
}

const json = { 'content-type': 'application/json' };

describe('AdminServer', () => {
  it('answers health, the subsystem list and one subsystem', async () => {
    const { url } = await start();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(200);
    expect(await body(health)).toEqual({ status: 'ok', nodeId: 'n1' });
    const list = await body(await fetch(`${url}/subsystems`));
    expect(list.subsystems).toEqual([
      expect.objectContaining({
        name: 'resilience',
        owner: 'ultimate-resilience',
        backpressure: 'normal',
        limits: expect.objectContaining({ maxConcurrentOperations: 8 }),
      }),
    ]);
    const one = await body(await fetch(`${url}/subsystems/resilience`));
    expect(one.metrics.strategies.default.state).toBe('closed');
    const limits = await body(await fetch(`${url}/subsystems/resilience/limits`));
    expect(limits).toEqual({ name: 'resilience', limits: expect.objectContaining({ maxQueueDepth: 10 }) });
  });

  it('answers 503 while the kernel is not running', async () => {
    const { url } = await start(null, 'stopping');
    expect((await fetch(`${url}/health`)).status).toBe(503);
  });

  it('changes limits with PUT and PATCH and reports the limits in force', async () => {
    const { url, registry } = await start();
    const put = await fetch(`${url}/subsystems/resilience/limits`, {
      method: 'PUT',
      headers: json,
      body: '{"maxConcurrentOperations":3}',
    });
    expect(put.status).toBe(200);
    expect(await body(put)).toMatchObject({
      name: 'resilience',
      limits: { maxConcurrentOperations: 3 },
      backpressure: 'normal',
    });
    const patch = await fetch(`${url}/subsystems/resilience/limits`, {
      method: 'PATCH',
      headers: json,
      body: '{"maxQueueDepth":0}',
    });
    expect(patch.status).toBe(200);
    expect(registry.describe('resilience').limits).toMatchObject({ maxConcurrentOperations: 3, maxQueueDepth: 0 });
  });

  it('answers 400 naming the field for bad limits and bad JSON', async () => {
    const { url, registry } = await start();
    const bad = await fetch(`${url}/subsystems/resilience/limits`, {
      method: 'PUT',
      headers: json,
      body: '{"maxConcurrentOperations":0}',
    });
    expect(bad.status).toBe(400);
    expect((await body(bad)).error).toMatchObject({
      code: 'ERR_INVALID_CONFIGURATION',
      field: 'maxConcurrentOperations',
      value: 0,
    });
    const unknown = await fetch(`${url}/subsystems/resilience/limits`, {
      method: 'PUT',
      headers: json,
      body: '{"maxConcurency":2}',
    });
    expect((await body(unknown)).error.field).toBe('maxConcurency');
    const malformed = await fetch(`${url}/subsystems/resilience/limits`, {
      method: 'PUT',
      headers: json,
      body: '{"max',
    });
    expect(malformed.status).toBe(400);
    expect((await body(malformed)).error).toMatchObject({ code: 'ERR_INVALID_CONFIGURATION', field: 'body' });
    const array = await fetch(`${url}/subsystems/resilience/limits`, { method: 'PUT', headers: json, body: '[1]' });
    expect((await body(array)).error.field).toBe('limits');
    expect(registry.describe('resilience').limits.maxConcurrentOperations).toBe(8);
  });

  it('answers 404 for an unknown subsystem or route and 405 for a wrong method', async () => {
    const { url } = await start();
    const missing = await fetch(`${url}/subsystems/nope`);
    expect(missing.status).toBe(404);
    expect((await body(missing)).error.code).toBe('ERR_SUBSYSTEM_NOT_FOUND');
    const missingPut = await fetch(`${url}/subsystems/nope/limits`, {
      method: 'PUT',
      headers: json,
      body: '{"maxQueueDepth":1}',
    });
    expect(missingPut.status).toBe(404);
    expect((await fetch(`${url}/nothing`)).status).toBe(404);
    const wrong = await fetch(`${url}/subsystems`, { method: 'DELETE' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET');
  });

  it('answers 415 without a JSON content type and 413 for an oversized body', async () => {
    const { url } = await start();
    const text = await fetch(`${url}/subsystems/resilience/limits`, { method: 'PUT', body: '{"maxQueueDepth":1}' });
    expect(text.status).toBe(415);
    const big = await fetch(`${url}/subsystems/resilience/limits`, {
      method: 'PUT',
      headers: json,
      body: JSON.stringify({ adaptation: { pad: 'x'.repeat(1000) } }),
    });
    expect(big.status).toBe(413);
    expect((await body(big)).error.code).toBe('ERR_BODY_TOO_LARGE');
  });

  it('requires the bearer token when one is configured', async () => {
    const token = 's3cret-token-0123456789';
    const { url } = await start(token);
    const none = await fetch(`${url}/health`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    expect((await fetch(`${url}/health`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await fetch(`${url}/health`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
  });

  it('refuses to start on a non-loopback address without a token', () => {
    expect(
      () =>
        new AdminServer({
          host: '0.0.0.0',
          port: 0,
          token: null,
          maxBodyBytes: 100,
          backend: { subsystems: new SubsystemRegistry(), health: () => ({ status: 'ok' }) },
        }),
    ).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CONFIGURATION', field: 'admin.token' }));
  });

  it('refuses requests naming a non-loopback Host when no token is configured (DNS rebinding)', async () => {
    const { url } = await start();
    const { port } = new URL(url);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/health', headers: { host: 'evil.example:80' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
  });
});

describe('AdminServer operator actions', () => {
  async function startOperable(): Promise<{ url: string; calls: unknown[] }> {
    const calls: unknown[] = [];
    const registry = new SubsystemRegistry();
    registry.register(
      {
        ...subsystem(),
        listActions: () => [{ name: 'trip', description: 'open a circuit', arguments: ['strategyId'] }],
        async invokeActionAsync(action: string, args: Readonly<Record<string, unknown>>) {
          calls.push({ action, args });
          if (args.strategyId === 'ghost')
            throw Object.assign(new Error('Unknown resilience strategy'), { code: 'ERR_UNKNOWN_STRATEGY' });
          return { strategyId: args.strategyId, state: 'open' };
        },
      } as IScalableSubsystem,
      'ultimate-resilience',
    );
    const server = new AdminServer({
      host: '127.0.0.1',
      port: 0,
      token: null,
      maxBodyBytes: 256,
      backend: { subsystems: registry, health: () => ({ status: 'ok' }) },
    });
    servers.push(server);
    return { url: await server.listenAsync(), calls };
  }

  it('lists actions and runs one with the JSON body as arguments', async () => {
    const { url, calls } = await startOperable();
    const list = await body(await fetch(`${url}/subsystems/resilience/actions`));
    expect(list.actions).toEqual([expect.objectContaining({ name: 'trip' })]);
    const res = await fetch(`${url}/subsystems/resilience/actions/trip`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ strategyId: 'db' }),
    });
    expect(res.status).toBe(200);
    expect(await body(res)).toEqual({
      name: 'resilience',
      action: 'trip',
      result: { strategyId: 'db', state: 'open' },
    });
    expect(calls).toEqual([{ action: 'trip', args: { strategyId: 'db' } }]);
  });

  it('answers 400 for an unknown action, 404 for an unknown strategy, 405 for GET', async () => {
    const { url, calls } = await startOperable();
    const bad = await fetch(`${url}/subsystems/resilience/actions/explode`, {
      method: 'POST',
      headers: json,
      body: '{}',
    });
    expect(bad.status).toBe(400);
    expect((await body(bad)).error).toMatchObject({
      code: 'ERR_INVALID_CONFIGURATION',
      field: 'action',
      value: 'explode',
    });
    const ghost = await fetch(`${url}/subsystems/resilience/actions/trip`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ strategyId: 'ghost' }),
    });
    expect(ghost.status).toBe(404);
    expect((await fetch(`${url}/subsystems/resilience/actions/trip`)).status).toBe(405);
    expect(calls).toHaveLength(1);
  });
});
