// An existing Node.js HTTP application that embeds the DataWarehouse host: the kernel loads the
// resilience plugin in-process, and the application's route calls its flaky upstream through
// `executeWithResilience`. No admin API, no CLI, no configuration file: the app owns the process.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Kernel } from '@datawarehouse/host';
import { ResilienceServiceToken, isCircuitOpenError } from '@datawarehouse/sdk';

// --- The application's upstream: down until `upstreamUp` is set.
let upstreamUp = false;
async function fetchPrice(sku: string, signal: AbortSignal): Promise<number> {
  signal.throwIfAborted();
  if (!upstreamUp) throw new Error('pricing service unavailable');
  return sku.length * 100;
}

// --- The host, embedded. Plugins are still named by module specifier; a package name resolves
// from this folder (the app's own dependencies) when the host cannot see it.
const kernel = new Kernel({
  config: {
    nodeId: 'shop-1',
    plugins: [
      {
        module: '@datawarehouse/plugin-ultimate-resilience',
        options: {
          strategies: [
            {
              id: 'pricing',
              circuitBreaker: { mode: 'consecutive', failureThreshold: 3, breakDurationMs: 60_000 },
              retry: false,
              timeout: { attemptTimeoutMs: 500 },
            },
          ],
        },
      },
    ],
  },
  baseDir: fileURLToPath(new URL('.', import.meta.url)),
});
await kernel.startAsync();
const resilience = kernel.resolve(ResilienceServiceToken);

// --- The application's HTTP server: GET /price/<sku>.
const server = createServer((req, res) => {
  const sku = decodeURIComponent((req.url ?? '/').split('/')[2] ?? '');
  resilience
    .executeWithResilience('pricing', ({ signal }) => fetchPrice(sku, signal))
    .then((price) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ sku, price }));
    })
    .catch((e: unknown) => {
      if (isCircuitOpenError(e)) {
        // Fail fast while the upstream is known to be down, and tell the client when to retry.
        res.writeHead(503, { 'retry-after': String(Math.ceil(e.retryAfterMs / 1000)) }).end('pricing is down');
      } else {
        res.writeHead(502).end((e as Error).message);
      }
    });
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
console.log(`shop listening on ${base}`);

// --- A short demonstration against itself; a real application would keep serving.
async function get(path: string): Promise<void> {
  const response = await fetch(base + path);
  const retryAfter = response.headers.get('retry-after');
  console.log(
    `GET ${path} -> ${response.status} ${await response.text()}${retryAfter ? ` (retry-after ${retryAfter} s)` : ''}`,
  );
}
for (let i = 0; i < 4; i++) await get('/price/apple'); // 3 failures open the circuit; the 4th fails fast

upstreamUp = true;
// Operators act on the embedded host through the same registry the admin API uses.
await kernel.subsystems.invokeActionAsync('resilience', 'reset', { strategyId: 'pricing', reason: 'upstream fixed' });
// Limits change in place, at runtime.
await kernel.subsystems.reconfigureAsync('resilience', {
  strategies: { pricing: { bulkhead: { maxConcurrency: 8 } } },
});
await get('/price/apple');

const { metrics } = kernel.subsystems.describe('resilience');
const pricing = (
  metrics as { strategies: Record<string, { state: string; calls: number; failures: number; maxConcurrency: number }> }
).strategies.pricing!;
console.log(
  `pricing: state ${pricing.state}, calls ${pricing.calls}, failures ${pricing.failures}, maxConcurrency ${pricing.maxConcurrency}`,
);

await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
const report = await kernel.stopAsync();
console.log(`stopped: ${report.stopped.join(', ')}`);
