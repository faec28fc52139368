import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { CIRCUIT_BREAKER_OPTION_KEYS, VirtualClock } from '@datawarehouse/sdk';
import { AdminServer, HostRuntime } from '@datawarehouse/host';
import type { Kernel } from '@datawarehouse/host';
import { anySection, validResilience } from './limitsArbitraries.js';
import { importLimitsPlugins, limitsConfigText, limitsState, startLimitsHost } from './limitsHost.js';

// Properties of limits at the edges (#10 e): seeded, hundreds of runs each.

const dir = mkdtempSync(join(tmpdir(), 'dw-limits-prop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;

async function runtimeWith(subsystems: unknown): Promise<{ host: HostRuntime; path: string } | undefined> {
  const path = join(dir, `c${fileNo++}.json`);
  writeFileSync(path, limitsConfigText(subsystems));
  try {
    const host = await HostRuntime.startAsync({
      configPath: path,
      clock: new VirtualClock(),
      watchConfig: false,
      importModule: importLimitsPlugins,
    });
    return { host, path };
  } catch {
    return undefined;
  }
}

/** What a host started with `subsystems` runs with; `undefined` when it refuses to start. */
async function freshState(subsystems: unknown): Promise<unknown> {
  const started = await runtimeWith(subsystems);
  if (started === undefined) return undefined;
  const state = limitsState(started.host.kernel);
  await started.host.stopAsync();
  return state;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- loose on purpose: assertions check the shape
type Call = (method: string, path: string, body?: unknown) => Promise<{ status: number; json: any }>;

/** Runs `fn` against an admin API serving whichever kernel `kernel()` returns at each request. */
async function withAdmin<T>(kernel: () => Kernel, fn: (call: Call) => Promise<T>): Promise<T> {
  const backend = {
    get subsystems() {
      return kernel().subsystems;
    },
    health: () => kernel().health(),
  };
  const server = new AdminServer({ host: '127.0.0.1', port: 0, token: null, maxBodyBytes: 1 << 20, backend });
  const url = await server.listenAsync();
  try {
    return await fn(async (method, path, body) => {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, json: text.length > 0 ? JSON.parse(text) : undefined };
    });
  } finally {
    await server.closeAsync();
  }
}

describe('limits at the edges (properties)', () => {
  it('a reload makes the running limits what the file says (removed overrides included); a rejected one changes nothing', async () => {
    const initial = fc
      .record({ resilience: validResilience }, { requiredKeys: [] })
      .filter((s) => s.resilience === undefined || Object.keys(s.resilience).length > 0);
    await fc.assert(
      fc.asyncProperty(initial, fc.array(anySection, { minLength: 1, maxLength: 3 }), async (first, sections) => {
        const started = await runtimeWith(first);
        expect(started).toBeDefined();
        const { host, path } = started!;
        try {
          for (const section of sections) {
            const before = limitsState(host.kernel);
            writeFileSync(path, limitsConfigText(section));
            const outcome = await host.reloadAsync('signal');
            const expected = await freshState(section);
            if (expected === undefined) {
              expect(outcome.status).toBe('rejected');
              expect(limitsState(host.kernel)).toEqual(before);
            } else {
              expect(outcome.status).toBe('applied');
              expect(limitsState(host.kernel)).toEqual(expected);
            }
          }
        } finally {
          await host.stopAsync();
        }
      }),
      { seed: 0x5eed_0007, numRuns: 200 },
    );
  }, 60_000);

  it('what GET returns (limits in force, or configured), PATCH accepts unchanged, Infinity included', async () => {
    let kernel: Kernel | undefined;
    await withAdmin(
      () => kernel!,
      async (call) => {
        await fc.assert(
          fc.asyncProperty(
            fc.array(
              validResilience.filter((r) => Object.keys(r).length > 0),
              { maxLength: 3 },
            ),
            async (patches) => {
              kernel = await startLimitsHost();
              try {
                for (const patch of patches)
                  expect((await call('PATCH', '/subsystems/resilience/limits', patch)).status).toBe(200);
                const got = (await call('GET', '/subsystems/resilience/limits')).json;
                expect((await call('PATCH', '/subsystems/resilience/limits', got.configured)).status).toBe(200);
                expect((await call('GET', '/subsystems/resilience/limits')).json).toEqual(got);
                expect((await call('PATCH', '/subsystems/resilience/limits', got.limits)).status).toBe(200);
                expect((await call('GET', '/subsystems/resilience/limits')).json.limits).toEqual(got.limits);
              } finally {
                await kernel.stopAsync();
              }
            },
          ),
          { seed: 0x5eed_0008, numRuns: 200 },
        );
      },
    );
  }, 60_000);

  it('answers any JSON body it can parse with 200, 400 or 404, never 500', async () => {
    const breakerKeys: string[] = [...CIRCUIT_BREAKER_OPTION_KEYS];
    const leaf = fc.jsonValue({ maxDepth: 3 });
    const key = (known: string[]) => fc.oneof(fc.constantFrom(...known), fc.string({ maxLength: 8 }));
    const section = fc.dictionary(
      key(
        breakerKeys.concat([
          'maxConcurrency',
          'maxQueueSize',
          'queueTimeoutMs',
          'maxRetries',
          'attemptTimeoutMs',
          'enabled',
          'minCalls',
        ]),
      ),
      leaf,
      { maxKeys: 3 },
    );
    const strategy = fc.dictionary(
      key(['bulkhead', 'circuitBreaker', 'retry', 'timeout', 'adaptive', 'shareState']),
      fc.oneof(section, leaf),
      { maxKeys: 3 },
    );
    const limits = fc.dictionary(
      key(['maxConcurrentOperations', 'maxQueueDepth', 'maxCacheEntries', 'adaptation', 'strategies']),
      fc.oneof(
        leaf,
        section,
        fc.dictionary(fc.constantFrom('db', 'api', 'x'), fc.oneof(strategy, leaf), { maxKeys: 2 }),
      ),
      { maxKeys: 4 },
    );
    // Written as text: nesting this deep overflows JSON.stringify (and did the server's answer).
    const deep = fc.integer({ min: 1, max: 20_000 }).map((d) => `{"maxQueueDepth":${'['.repeat(d)}${']'.repeat(d)}}`);
    const body = fc.oneof(
      limits.map((b) => JSON.stringify(b)),
      fc.jsonValue({ maxDepth: 40 }).map((b) => JSON.stringify(b)),
      deep,
      fc
        .record({ strategyId: fc.oneof(fc.constantFrom('db', 'api'), leaf), reason: leaf }, { requiredKeys: [] })
        .map((b) => JSON.stringify(b)),
    );
    const route = fc.constantFrom(
      'PATCH /subsystems/resilience/limits',
      'PUT /subsystems/beta/limits',
      'POST /subsystems/resilience/actions/trip',
    );
    const kernel = await startLimitsHost();
    try {
      await withAdmin(
        () => kernel,
        async (call) => {
          await fc.assert(
            fc.asyncProperty(route, body, async (r, b) => {
              const [method, path] = r.split(' ') as [string, string];
              const { status } = await call(method, path, b);
              expect([200, 400, 404]).toContain(status);
            }),
            { seed: 0x5eed_0009, numRuns: 500 },
          );
        },
      );
    } finally {
      await kernel.stopAsync();
    }
  }, 60_000);
});
