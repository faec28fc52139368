import { describe, expect, it, vi } from 'vitest';
import { InvalidConfigurationError, VirtualClock, isInvalidConfigurationError, silentLogger } from '@datawarehouse/sdk';
import type { HttpRoute, HttpRouteResponse, IHttpRouteRegistry } from '@datawarehouse/sdk';
import { ResilienceScalingManager } from '../manager/ResilienceScalingManager.js';
import { ResilienceObservability, validateObservabilityOptions } from './ResilienceObservability.js';

/** An `IHttpRouteRegistry` that keeps routes by path, refusing a top-level path in `taken`. */
function fakeHttp(taken: readonly string[] = []) {
  const routes = new Map<string, HttpRoute>();
  const http: IHttpRouteRegistry = {
    register(route) {
      const key = `${route.topLevel === true ? 'top' : 'plugin'}:${route.path}`;
      if (route.topLevel === true && taken.includes(route.path)) {
        throw new InvalidConfigurationError('route.path', route.path, 'a path not already registered');
      }
      routes.set(key, route);
      return { dispose: () => void routes.delete(key) };
    },
  };
  return { http, routes };
}

async function scrape(route: HttpRoute): Promise<{ status: number; body: string; headers: Record<string, string> }> {
  let answer = { status: 0, body: '', headers: {} as Record<string, string> };
  const res = {
    started: false,
    json: () => undefined,
    stream: () => {
      throw new Error('not used');
    },
    send: (status: number, body: string | Uint8Array, headers: Record<string, string> = {}) => {
      answer = { status, body: String(body), headers };
    },
  } as HttpRouteResponse;
  await route.handler({} as never, res);
  return answer;
}

describe('ResilienceObservability', () => {
  it('serves /metrics under the plugin and at the top level, and withdraws both on dispose', async () => {
    const manager = new ResilienceScalingManager({ clock: new VirtualClock(0) });
    await manager.executeWithResilience('default', () => 1);
    const { http, routes } = fakeHttp();
    const o = new ResilienceObservability(manager, { nodeId: 'n1', http, logger: silentLogger });
    expect([...routes.keys()].sort()).toEqual(['plugin:/metrics', 'top:/metrics']);
    const answer = await scrape(routes.get('top:/metrics')!);
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(answer.body).toContain(
      'dw_resilience_calls_total{node="n1",strategy="default",name="default",kind="successful"} 1',
    );
    o.dispose();
    expect(routes.size).toBe(0);
    manager.dispose();
  });

  it('keeps the plugin path and warns when another plugin holds GET /metrics; serves nothing with prometheus off', () => {
    const manager = new ResilienceScalingManager({ clock: new VirtualClock(0) });
    const warn = vi.fn();
    const taken = fakeHttp(['/metrics']);
    new ResilienceObservability(manager, { nodeId: 'n1', http: taken.http, logger: { ...silentLogger, warn } });
    expect([...taken.routes.keys()]).toEqual(['plugin:/metrics']);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('GET /metrics is taken'), expect.anything());
    const off = fakeHttp();
    new ResilienceObservability(manager, { nodeId: 'n1', http: off.http, logger: silentLogger }, { prometheus: false });
    expect(off.routes.size).toBe(0);
    const unclaimed = fakeHttp();
    new ResilienceObservability(
      manager,
      { nodeId: 'n1', http: unclaimed.http, logger: silentLogger },
      { claimMetricsPath: false },
    );
    expect([...unclaimed.routes.keys()]).toEqual(['plugin:/metrics']);
    manager.dispose();
  });

  it('starts without OpenTelemetry when the API cannot be imported, and does not import it when turned off', async () => {
    const manager = new ResilienceScalingManager({ clock: new VirtualClock(0) });
    const missing = vi.fn(async () => undefined);
    await new ResilienceObservability(manager, { nodeId: 'n1', logger: silentLogger }, {}, missing).startAsync();
    expect(missing).toHaveBeenCalledOnce();
    const never = vi.fn(async () => undefined);
    await new ResilienceObservability(
      manager,
      { nodeId: 'n1', logger: silentLogger },
      { openTelemetry: false },
      never,
    ).startAsync();
    expect(never).not.toHaveBeenCalled();
    manager.dispose();
  });

  it.each([
    [{ prometheus: 'yes' }, 'observability.prometheus'],
    [{ colour: true }, 'observability.colour'],
    [[], 'observability'],
  ])('refuses observability option %j naming %s', (value, field) => {
    let error: unknown;
    try {
      validateObservabilityOptions(value);
    } catch (e) {
      error = e;
    }
    expect(isInvalidConfigurationError(error)).toBe(true);
    expect((error as InvalidConfigurationError).field).toBe(field);
  });
});
