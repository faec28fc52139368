import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidConfigurationError } from '@datawarehouse/sdk';
import type { IScalableSubsystem, ScalingLimits } from '@datawarehouse/sdk';
import { SubsystemRegistry } from '../registry/SubsystemRegistry.js';
import { AdminServer } from './AdminServer.js';

const TOKEN = 'edge-token-0123456789';
const servers: AdminServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.closeAsync()));
});

/** A subsystem with an unbounded queue timeout, which only accepts numbers for it. */
function subsystem(): IScalableSubsystem {
  let limits: ScalingLimits = {
    maxConcurrentOperations: 8,
    maxQueueDepth: 10,
    maxCacheEntries: 100,
    strategies: { s: { bulkhead: { maxConcurrency: 2, queueTimeoutMs: Infinity } } },
  };
  return {
    name: 'resilience',
    get currentLimits() {
      return limits;
    },
    currentBackpressureState: 'normal',
    getScalingMetrics: () => ({}),
    async reconfigureLimitsAsync(patch) {
      for (const [key, value] of Object.entries(patch)) {
        if (key !== 'strategies' && typeof value !== 'number')
          throw new InvalidConfigurationError(key, value, 'a number');
      }
      const timeout = patch.strategies?.s?.bulkhead?.queueTimeoutMs;
      if (timeout !== undefined && typeof timeout !== 'number') {
        throw new InvalidConfigurationError(
          'strategies.s.bulkhead.queueTimeoutMs',
          timeout,
          'a number of ms or Infinity',
        );
      }
      limits = { ...limits, ...patch };
      return limits;
    },
  };
}

async function start(token: string | null): Promise<string> {
  const subsystems = new SubsystemRegistry();
  subsystems.register(subsystem());
  const server = new AdminServer({
    host: '127.0.0.1',
    port: 0,
    token,
    maxBodyBytes: 1 << 20,
    backend: { subsystems, health: () => ({ status: 'ok' }) },
  });
  servers.push(server);
  return server.listenAsync();
}

interface Flood {
  /** Status line and headers of the answer, lower-cased. */
  readonly head: string;
  /** Bytes the client had written when the server closed the connection. */
  readonly written: number;
}

const GIVE_UP_BYTES = 256 * 1024 * 1024;

/**
 * Sends `head` (request line and headers) announcing an endless body, then writes body bytes as fast as the socket
 * takes them until the server closes the connection; fails if it is still open after 256 MB.
 */
function flood(url: string, head: string): Promise<Flood> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    const chunk = Buffer.alloc(64 * 1024, 'a');
    let written = 0;
    let answer = '';
    let closed = false;
    socket.on('data', (d: Buffer) => {
      answer += d.toString('latin1');
    });
    socket.on('error', () => undefined); // EPIPE / ECONNRESET once the server closes: expected
    socket.on('close', () => {
      closed = true;
      resolve({ head: answer.split('\r\n\r\n')[0]!.toLowerCase(), written });
    });
    const pump = (): void => {
      while (!closed) {
        if (written > GIVE_UP_BYTES) {
          socket.destroy();
          reject(new Error(`server still reading after ${written} bytes; answer so far: ${answer.slice(0, 80)}`));
          return;
        }
        written += chunk.length;
        if (!socket.write(chunk)) {
          socket.once('drain', pump);
          return;
        }
      }
    };
    socket.write(`${head}\r\nContent-Length: 1000000000000\r\n\r\n`);
    pump();
  });
}

async function request(
  url: string,
  method: string,
  path: string,
  body?: string,
): Promise<{ status: number; text: string; headers: Headers }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    ...(body !== undefined && { body }),
  });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

describe('AdminServer at the edges', () => {
  it.each([
    [
      '401 without the token',
      TOKEN,
      'PUT /subsystems/resilience/limits HTTP/1.1\r\nContent-Type: application/json',
      '401',
    ],
    [
      '404 for an unknown route',
      TOKEN,
      `PUT /nothing HTTP/1.1\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json`,
      '404',
    ],
    [
      '405 for a wrong method',
      TOKEN,
      `POST /subsystems HTTP/1.1\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json`,
      '405',
    ],
    [
      '415 for a non-JSON body',
      TOKEN,
      `PATCH /subsystems/resilience/limits HTTP/1.1\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: text/plain`,
      '415',
    ],
    [
      '403 for a foreign Host without a token',
      null,
      'PUT /subsystems/resilience/limits HTTP/1.1\r\nHost: evil.example\r\nContent-Type: application/json',
      '403',
    ],
  ])(
    'answers %s with Connection: close and stops reading a body the client keeps sending',
    async (_name, token, head, status) => {
      const url = await start(token);
      const { head: answer, written } = await flood(url, head.includes('Host:') ? head : `${head}\r\nHost: 127.0.0.1`);
      expect(answer.startsWith(`http/1.1 ${status}`)).toBe(true);
      expect(answer).toContain('connection: close');
      // Kernel socket buffers hold a few MB; reading the body would mean the full 256 MB.
      expect(written).toBeLessThan(64 * 1024 * 1024);
    },
  );

  it('answers 400, never 500, for deeply nested JSON, and echoes a bounded part of the value', async () => {
    const url = await start(TOKEN);
    const deep = `${'['.repeat(50_000)}${']'.repeat(50_000)}`;
    const limits = await request(url, 'PATCH', '/subsystems/resilience/limits', `{"maxQueueDepth":${deep}}`);
    expect(limits.status).toBe(400);
    expect(JSON.parse(limits.text)).toMatchObject({ error: { code: 'ERR_INVALID_CONFIGURATION' } });
    expect(limits.text.length).toBeLessThan(1_000);
    const action = await request(url, 'POST', '/subsystems/resilience/actions/trip', `{"strategyId":${deep}}`);
    expect(action.status).toBe(400);
    const shallow = await request(
      url,
      'PATCH',
      '/subsystems/resilience/limits',
      `{"maxQueueDepth":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]}`,
    );
    expect(shallow.status).toBe(400);
    expect(shallow.text.length).toBeLessThan(1_000);
  });

  it('echoes a bounded part of a large bad value', async () => {
    const url = await start(TOKEN);
    const wide = await request(
      url,
      'PATCH',
      '/subsystems/resilience/limits',
      JSON.stringify({ maxQueueDepth: Array.from({ length: 20_000 }, (_, i) => i) }),
    );
    expect(wide.status).toBe(400);
    expect(JSON.parse(wide.text)).toMatchObject({
      error: { code: 'ERR_INVALID_CONFIGURATION', field: 'maxQueueDepth' },
    });
    expect(wide.text.length).toBeLessThan(1_000);
    const long = await request(
      url,
      'PATCH',
      '/subsystems/resilience/limits',
      JSON.stringify({ maxQueueDepth: 'x'.repeat(50_000) }),
    );
    expect(long.status).toBe(400);
    expect(long.text.length).toBeLessThan(1_000);
  });

  it('accepts back with PATCH what GET returned, an Infinity limit included', async () => {
    const url = await start(TOKEN);
    const got = await request(url, 'GET', '/subsystems/resilience/limits');
    expect(got.status).toBe(200);
    const { limits } = JSON.parse(got.text) as { limits: unknown };
    const patched = await request(url, 'PATCH', '/subsystems/resilience/limits', JSON.stringify(limits));
    expect(patched.status).toBe(200);
    const again = await request(url, 'GET', '/subsystems/resilience/limits');
    expect(again.text).toBe(got.text);
  });
});
