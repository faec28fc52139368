import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { isInvalidConfigurationError } from '@datawarehouse/sdk';
import type { HttpRouteStream } from '@datawarehouse/sdk';
import { SubsystemRegistry } from '../registry/SubsystemRegistry.js';
import { AdminServer } from './AdminServer.js';
import { HttpRouteTable } from './HttpRouteTable.js';

const TOKEN = 'abcdefghijklmnop-token';
/** Parsed JSON of a response; tests inspect it structurally. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- loose on purpose: assertions check the shape
const body = async (res: Response): Promise<any> => res.json();
const servers: AdminServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.closeAsync()));
});

interface Started {
  url: string;
  routes: HttpRouteTable;
  server: AdminServer;
}

async function start(
  options: { token?: string | null; publicProbes?: boolean; ready?: boolean; live?: boolean } = {},
): Promise<Started> {
  const routes = new HttpRouteTable();
  const server = new AdminServer({
    host: '127.0.0.1',
    port: 0,
    token: options.token ?? null,
    maxBodyBytes: 256,
    publicProbes: options.publicProbes ?? false,
    backend: {
      subsystems: new SubsystemRegistry(),
      health: () => ({ status: 'ok' }),
      readiness: () =>
        options.ready === false ? { ready: false, reasons: ['draining'] } : { ready: true, reasons: [] },
      liveness: () => ({ live: options.live !== false, status: options.live === false ? 'failed' : 'running' }),
      routes,
    },
  });
  servers.push(server);
  return { url: await server.listenAsync(), routes, server };
}

/** Reads a streaming body chunk by chunk until `until` holds on what arrived. */
async function readUntil(res: Response, until: (text: string) => boolean): Promise<string> {
  const reader = res.body!.getReader();
  let text = '';
  while (!until(text)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  return text;
}

describe('AdminServer plugin routes', () => {
  it('serves a plugin route under /plugins/<id>, with :params, a * rest, HEAD and 405 with Allow', async () => {
    const { url, routes } = await start();
    const http = routes.forOwner('dash');
    http.register({ method: 'GET', path: '/items/:id', handler: (req, res) => res.json(200, { id: req.params.id }) });
    http.register({
      method: 'GET',
      path: '/assets/*',
      handler: (req, res) => res.send(200, `asset ${req.params['*']}`, { 'content-type': 'text/plain' }),
    });
    expect(await body(await fetch(`${url}/plugins/dash/items/a%20b`))).toEqual({ id: 'a b' });
    const asset = await fetch(`${url}/plugins/dash/assets/js/app.js?v=1`);
    expect(asset.headers.get('content-type')).toBe('text/plain');
    expect(asset.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await asset.text()).toBe('asset js/app.js');
    const head = await fetch(`${url}/plugins/dash/items/x`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const post = await fetch(`${url}/plugins/dash/items/x`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET');
    expect(post.headers.get('connection')).toBe('close');
    const missing = await fetch(`${url}/plugins/dash/nothing`);
    expect(missing.status).toBe(404);
    expect((await body(missing)).error.code).toBe('ERR_NOT_FOUND');
    const listing = await body(await fetch(`${url}/plugins`));
    expect(listing.routes.map((r: { path: string }) => r.path)).toEqual([
      '/plugins/dash/items/:id',
      '/plugins/dash/assets/*',
    ]);
  });

  it('lets a plugin claim a top-level path such as /metrics, and refuses reserved and taken paths', async () => {
    const { url, routes } = await start();
    routes
      .forOwner('prom')
      .register({ method: 'GET', path: '/metrics', topLevel: true, handler: (_q, r) => r.send(200, 'm 1\n') });
    expect(await (await fetch(`${url}/metrics`)).text()).toBe('m 1\n');
    const refuse = (route: Parameters<HttpRouteTable['register']>[1], owner = 'other'): unknown => {
      try {
        routes.register(owner, route);
      } catch (e) {
        return e;
      }
      return undefined;
    };
    const handler = (): void => undefined;
    for (const [route, field] of [
      [{ method: 'GET', path: '/metrics', topLevel: true, handler }, 'route.path'],
      [{ method: 'GET', path: '/health', topLevel: true, handler }, 'route.path'],
      [{ method: 'GET', path: '/plugins/x', topLevel: true, handler }, 'route.path'],
      [{ method: 'GET', path: 'no-slash', handler }, 'route.path'],
      [{ method: 'GET', path: '/a/*/b', handler }, 'route.path'],
      [{ method: 'TRACE', path: '/a', handler }, 'route.method'],
      [{ method: 'GET', path: '/a', handler: 'nope' }, 'route.handler'],
    ] as const) {
      const error = refuse(route as never);
      expect(isInvalidConfigurationError(error), JSON.stringify(route)).toBe(true);
      expect((error as { field: string }).field).toBe(field);
    }
    // The same path for another method is fine; two shapes that shadow each other are not.
    routes.register('prom', { method: 'POST', path: '/metrics', topLevel: true, handler });
    routes.register('prom', { method: 'GET', path: '/x/:a', handler });
    expect(isInvalidConfigurationError(refuse({ method: 'GET', path: '/x/:b', handler }, 'prom'))).toBe(true);
  });

  it('applies the admin authentication to routes, and leaves only the probes open when they are public', async () => {
    const { url, routes } = await start({ token: TOKEN, publicProbes: true, ready: false });
    routes.forOwner('p').register({ method: 'GET', path: '/', handler: (_q, r) => r.json(200, { ok: true }) });
    expect((await fetch(`${url}/plugins/p`)).status).toBe(401);
    const authed = await fetch(`${url}/plugins/p`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(await body(authed)).toEqual({ ok: true });
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await body(ready)).toEqual({ ready: false, reasons: ['draining'] });
    expect((await fetch(`${url}/livez`)).status).toBe(200);
    expect((await fetch(`${url}/health`)).status).toBe(401);
  });

  it('authenticates the probes like the rest unless they are public', async () => {
    const { url } = await start({ token: TOKEN, live: false });
    expect((await fetch(`${url}/livez`)).status).toBe(401);
    const live = await fetch(`${url}/livez`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(live.status).toBe(503);
    expect(await body(live)).toEqual({ live: false, status: 'failed' });
    expect(
      (await fetch(`${url}/readyz`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } })).status,
    ).toBe(405);
  });

  it('answers coded errors for what a handler throws or forgets, and reads JSON bodies with the admin limits', async () => {
    const { url, routes } = await start();
    const http = routes.forOwner('p');
    http.register({
      method: 'GET',
      path: '/teapot',
      handler: () => {
        throw Object.assign(new Error('short and stout'), { status: 418, code: 'ERR_TEAPOT' });
      },
    });
    http.register({
      method: 'GET',
      path: '/boom',
      handler: () => {
        throw new Error('secret internals');
      },
    });
    http.register({ method: 'GET', path: '/silent', handler: () => undefined });
    http.register({
      method: 'POST',
      path: '/echo',
      handler: async (req, res) => res.json(200, { got: await req.readJsonAsync() }),
    });
    http.register({ method: 'POST', path: '/ignore', handler: (_q, res) => res.json(202, {}) });
    const teapot = await fetch(`${url}/plugins/p/teapot`);
    expect(teapot.status).toBe(418);
    expect(await body(teapot)).toEqual({ error: { code: 'ERR_TEAPOT', message: 'short and stout' } });
    const boom = await fetch(`${url}/plugins/p/boom`);
    expect(boom.status).toBe(500);
    expect(await body(boom)).toEqual({ error: { code: 'ERR_INTERNAL', message: 'Internal error' } });
    const silent = await fetch(`${url}/plugins/p/silent`);
    expect(silent.status).toBe(500);
    expect((await body(silent)).error.code).toBe('ERR_NO_RESPONSE');
    const json = { 'content-type': 'application/json' };
    const echo = await fetch(`${url}/plugins/p/echo`, { method: 'POST', headers: json, body: '{"a":[1]}' });
    expect(await body(echo)).toEqual({ got: { a: [1] } });
    expect(echo.headers.get('connection')).not.toBe('close');
    const text = await fetch(`${url}/plugins/p/echo`, { method: 'POST', body: 'x' });
    expect(text.status).toBe(415);
    const big = await fetch(`${url}/plugins/p/echo`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify('x'.repeat(300)),
    });
    expect(big.status).toBe(413);
    expect(big.headers.get('connection')).toBe('close');
    const bad = await fetch(`${url}/plugins/p/echo`, { method: 'POST', headers: json, body: '{' });
    expect(bad.status).toBe(400);
    expect((await body(bad)).error.field).toBe('body');
    // Answered without reading the body: the connection is not kept for a body nobody read.
    const ignored = await fetch(`${url}/plugins/p/ignore`, { method: 'POST', headers: json, body: '{}' });
    expect(ignored.status).toBe(202);
    expect(ignored.headers.get('connection')).toBe('close');
  });

  it('streams Server-Sent Events and aborts the handler when the client disconnects', async () => {
    const { url, routes } = await start();
    let aborted!: () => void;
    const abortSeen = new Promise<void>((resolve) => (aborted = resolve));
    let stream: HttpRouteStream | undefined;
    routes.forOwner('dash').register({
      method: 'GET',
      path: '/events',
      handler: (req, res) => {
        stream = res.stream(200, { 'content-type': 'text/event-stream' });
        stream.write('data: one\n\n');
        req.signal.addEventListener('abort', () => aborted());
      },
    });
    const controller = new AbortController();
    const res = await fetch(`${url}/plugins/dash/events`, { signal: controller.signal });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    expect(await readUntil(res, (t) => t.includes('one'))).toBe('data: one\n\n');
    controller.abort();
    await abortSeen;
    expect(stream!.closed).toBe(true);
    expect(stream!.write('data: late\n\n')).toBe(false);
  });

  it('ends open streams when the plugin’s routes are withdrawn, and closeAsync does not hang on a stream', async () => {
    const { url, routes, server } = await start();
    const streams: HttpRouteStream[] = [];
    routes.forOwner('dash').register({
      method: 'GET',
      path: '/events',
      handler: (_req, res) => {
        const s = res.stream(200, { 'content-type': 'text/event-stream' });
        s.write(': hello\n\n');
        streams.push(s);
      },
    });
    const first = await fetch(`${url}/plugins/dash/events`);
    const reader = first.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe(': hello\n\n');
    routes.unregisterOwner('dash');
    // The stream ends: the client reads to the end of the body.
    expect((await reader.read()).done).toBe(true);
    expect(streams[0]!.closed).toBe(true);
    expect((await fetch(`${url}/plugins/dash/events`)).status).toBe(404);

    routes.forOwner('dash').register({
      method: 'GET',
      path: '/events',
      handler: (_req, res) => void streams.push(res.stream(200, { 'content-type': 'text/event-stream' })),
    });
    const second = await rawGet(`${url}/plugins/dash/events`);
    await server.closeAsync();
    await second.closed;
    expect(streams[1]!.closed).toBe(true);
  });
});

/** A GET over a plain socket, resolved once the headers arrived; `closed` settles when the connection ends. */
function rawGet(url: string): Promise<{ closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, (res) => {
      const closed = new Promise<void>((done) => {
        res.on('close', () => done());
        res.on('error', () => done());
        res.resume();
      });
      resolve({ closed });
    });
    req.on('error', reject);
    req.end();
  });
}
