import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '@datawarehouse/sdk';
import { SseParser } from '@datawarehouse/plugin-dashboard/internals';
import type { SseEvent } from '@datawarehouse/plugin-dashboard/internals';
import { TOKEN, admin, startDashboardHost } from './support.js';

// The dashboard's routes on a running host under demo traffic, in virtual time: what is public,
// what needs the token, the stream's snapshot and deltas, and that neither a client leaving nor
// the host stopping leaves anything behind.

interface ErrorBody {
  readonly error: { readonly code: string };
}

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

async function start(dashboard: Record<string, unknown> = {}) {
  const clock = new VirtualClock(1_700_000_000_000);
  const started = await startDashboardHost({ clock, dashboard });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await started.stop();
  };
  stops.push(stop);
  return { ...started, clock, stop };
}

/** Opens the stream with the token and reads events as they come. */
async function openStream(url: string) {
  const controller = new AbortController();
  const res = await fetch(`${url}/plugins/dashboard/events`, {
    headers: { authorization: `Bearer ${TOKEN}` },
    signal: controller.signal,
  });
  const reader = res.body!.getReader();
  const parser = new SseParser();
  const queue: SseEvent[] = [];
  const decoder = new TextDecoder();
  let ended = false;
  const next = async (): Promise<SseEvent | undefined> => {
    while (queue.length === 0 && !ended) {
      const { value, done } = await reader.read();
      if (done) ended = true;
      else queue.push(...parser.push(decoder.decode(value, { stream: true })));
    }
    return queue.shift();
  };
  return { res, next, controller };
}

describe('the dashboard plugin on a running host', () => {
  it('serves the page and assets without the token and the stream only with it', async () => {
    const { url } = await start();
    const page = await fetch(`${url}/plugins/dashboard/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await page.text();
    expect(html).toContain('/plugins/dashboard/assets/app.js');
    expect(html).not.toMatch(/https?:\/\//); // nothing from a CDN
    for (const asset of [
      'app.js',
      'tiles.js',
      'sse.js',
      'dashboard.css',
      'vendor/uPlot.iife.min.js',
      'vendor/uPlot.min.css',
    ]) {
      const res = await fetch(`${url}/plugins/dashboard/assets/${asset}`);
      expect(res.status, asset).toBe(200);
      expect((await res.arrayBuffer()).byteLength, asset).toBeGreaterThan(100);
    }
    expect((await fetch(`${url}/plugins/dashboard/assets/nope.js`)).status).toBe(404);
    expect((await fetch(`${url}/plugins/dashboard/assets/../../../subsystems`)).status).toBe(401);
    const denied = await fetch(`${url}/plugins/dashboard/events`);
    expect([denied.status, ((await denied.json()) as ErrorBody).error.code]).toEqual([401, 'ERR_UNAUTHORIZED']);
    expect((await fetch(`${url}/plugins/dashboard/events?token=${TOKEN}`)).status).toBe(401);
  });

  it('streams a snapshot of the demo strategies, then a delta per second of virtual time with what changed', async () => {
    const { url, clock } = await start();
    await clock.advanceAsync(3000);
    const { res, next, controller } = await openStream(url);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const snapshot = await next();
    expect(snapshot?.event).toBe('snapshot');
    const body = JSON.parse(snapshot!.data);
    expect(body.strategies.map((s: { id: string }) => s.id).sort()).toEqual(
      ['bulkhead-semaphore', 'breaker-consecutive', 'default', 'retry-exponential-jitter'].sort(),
    );
    expect(body.cluster).toMatchObject({ enabled: true, nodeId: 'dash-node' });

    await admin(url, '/subsystems/resilience/actions/trip', { method: 'POST', body: { strategyId: 'default' } });
    await clock.advanceAsync(1000);
    const delta = JSON.parse((await next())!.data);
    expect(delta.changed.find((s: { id: string }) => s.id === 'default')).toMatchObject({ state: 'open' });
    expect(delta.events).toEqual([
      expect.objectContaining({ strategyId: 'default', from: 'closed', to: 'open', origin: 'operator' }),
    ]);
    controller.abort();
  });

  it('frees a stream when its client leaves: with maxStreams 1, the next client gets in', async () => {
    const { url } = await start({ maxStreams: 1 });
    const first = await openStream(url);
    expect((await first.next())?.event).toBe('snapshot');
    first.controller.abort();
    await expect
      .poll(async () => {
        const again = await openStream(url);
        const status = again.res.status;
        again.controller.abort();
        return status;
      })
      .toBe(200);
  });

  it('answers 503 past maxStreams', async () => {
    const { url } = await start({ maxStreams: 1 });
    const { next, controller } = await openStream(url);
    await next();
    const refused = await fetch(`${url}/plugins/dashboard/events`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect([refused.status, ((await refused.json()) as ErrorBody).error.code]).toEqual([503, 'ERR_TOO_MANY_STREAMS']);
    controller.abort();
  });

  it('ends open streams when the host stops, without waiting for them', async () => {
    const { url, stop } = await start();
    const streams = [await openStream(url), await openStream(url)];
    for (const s of streams) await s.next();
    await stop();
    for (const s of streams) expect(await s.next().catch(() => undefined)).toBeUndefined();
  });
});
