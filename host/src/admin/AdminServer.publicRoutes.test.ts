import { afterEach, describe, expect, it } from 'vitest';
import { isInvalidConfigurationError } from '@datawarehouse/sdk';
import type { HttpRoute } from '@datawarehouse/sdk';
import { SubsystemRegistry } from '../registry/SubsystemRegistry.js';
import { AdminServer } from './AdminServer.js';
import { HttpRouteTable } from './HttpRouteTable.js';

const TOKEN = 'abcdefghijklmnop-token';
const servers: AdminServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.closeAsync()));
});

async function start(token: string | null): Promise<{ url: string; routes: HttpRouteTable }> {
  const routes = new HttpRouteTable();
  const server = new AdminServer({
    host: '127.0.0.1',
    port: 0,
    token,
    maxBodyBytes: 256,
    backend: { subsystems: new SubsystemRegistry(), health: () => ({ status: 'ok' }), routes },
  });
  servers.push(server);
  return { url: await server.listenAsync(), routes };
}

const page: HttpRoute = {
  method: 'GET',
  path: '/',
  public: true,
  handler: (_req, res) => res.send(200, 'page', { 'content-type': 'text/html' }),
};

describe('AdminServer public plugin routes', () => {
  it('serves a public GET route without the token, and keeps every other route behind it', async () => {
    const { url, routes } = await start(TOKEN);
    const http = routes.forOwner('dash');
    http.register(page);
    http.register({ method: 'GET', path: '/events', handler: (_req, res) => res.json(200, { secret: 1 }) });
    const open = await fetch(`${url}/plugins/dash`);
    expect([open.status, await open.text()]).toEqual([200, 'page']);
    expect((await fetch(`${url}/plugins/dash`, { method: 'HEAD' })).status).toBe(200);
    expect((await fetch(`${url}/plugins/dash/events`)).status).toBe(401);
    expect((await fetch(`${url}/subsystems`)).status).toBe(401);
    const listed = await fetch(`${url}/plugins`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(((await listed.json()) as { routes: unknown[] }).routes).toContainEqual({
      plugin: 'dash',
      methods: ['GET'],
      path: '/plugins/dash',
      public: true,
    });
  });

  it('still refuses a non-loopback Host on a public route when no token is configured', async () => {
    const { url, routes } = await start(null);
    routes.forOwner('dash').register(page);
    expect((await fetch(`${url}/plugins/dash`)).status).toBe(200);
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const u = new URL(`${url}/plugins/dash`);
      const req = request(
        { host: u.hostname, port: u.port, path: u.pathname, headers: { host: 'evil.example' } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
  });

  it('refuses public on a route that answers anything but GET, and a non-boolean public', () => {
    const routes = new HttpRouteTable();
    const http = routes.forOwner('dash');
    const handler = () => undefined;
    for (const [route, field] of [
      [{ method: 'POST', path: '/a', public: true, handler }, 'route.public'],
      [{ method: ['GET', 'PUT'], path: '/b', public: true, handler }, 'route.public'],
      [{ method: 'GET', path: '/c', public: 'yes', handler }, 'route.public'],
    ] as const) {
      let error: unknown;
      try {
        http.register(route as never);
      } catch (e) {
        error = e;
      }
      expect(isInvalidConfigurationError(error) && error.field).toBe(field);
    }
  });
});
