import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { SubsystemRegistry } from '../registry/SubsystemRegistry.js';
import { AdminServer } from './AdminServer.js';
import type { AdminBackend } from './AdminServer.js';
import { fakeSubsystem } from '../testing/kernelFixtures.js';

// Edge cases of the admin API over real HTTP found in review (bounded real-time waits only here):
// failing backends, HEAD, status codes, the Host guard and path normalization.

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function call(
  url: string,
  method: string,
  path: string,
  o: { headers?: Record<string, string>; body?: string | Buffer; chunked?: boolean } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = request({ host: u.hostname, port: u.port, method, path, headers: o.headers, timeout: 5_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
      );
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
  it("lists the other subsystems when one subsystem's metrics throw, and hides internal messages in a 500", async () => {
    const subsystems = new SubsystemRegistry();
    subsystems.register({
      ...fakeSubsystem('broken'),
      getScalingMetrics: () => {
        throw new Error('secret /etc/path');
      },
    });
    subsystems.register(fakeSubsystem('ok'));
    const server = new AdminServer({
      host: '127.0.0.1',
      port: 0,
      token: null,
      maxBodyBytes: 1024,
      backend: {
        subsystems,
        health: () => {
          throw new Error('secret /etc/path');
        },
      },
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
      expect(
        (await call(url, 'GET', '/health', { headers: { authorization: `Bearer ${'t'.repeat(19)}x` } })).status,
      ).toBe(401);
      const bad = await call(url, 'PUT', '/subsystems/resilience/limits', {
        headers: auth,
        body: '{"maxQueueDepth":-1}',
      });
      expect(bad.status).toBe(400);
      expect(JSON.parse(bad.body)).toMatchObject({ error: { field: 'maxQueueDepth' } });
      const big = await call(url, 'PUT', '/subsystems/resilience/limits', {
        headers: auth,
        body: `{"x":"${'y'.repeat(5_000)}"}`,
      });
      expect(big.status).toBe(413);
      const chunked = await call(url, 'PUT', '/subsystems/resilience/limits', {
        headers: auth,
        body: 'z'.repeat(5_000),
        chunked: true,
      });
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
