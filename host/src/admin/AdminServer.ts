import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvalidConfigurationError, SdkCompatibility, silentLogger } from '@datawarehouse/sdk';
import type { Logger } from '@datawarehouse/sdk';
import { reviveInfinity } from '../registry/limitsJson.js';
import type { SubsystemRegistry } from '../registry/SubsystemRegistry.js';
import { HttpError } from './HttpError.js';
import type { HttpRouteTable } from './HttpRouteTable.js';
import { routeExchange } from './routeExchange.js';
import { isLoopbackAddress } from './isLoopbackAddress.js';
import { readJsonBody } from './readJsonBody.js';
import { send, sendError } from './respond.js';
import { tokensEqual } from './tokensEqual.js';

/** What the admin API serves (the {@link Kernel} is one). @since 6.0.0 */
export interface AdminBackend {
  readonly subsystems: Pick<
    SubsystemRegistry,
    'names' | 'describe' | 'reconfigureAsync' | 'actions' | 'invokeActionAsync'
  >;
  /** Health report; `status: 'ok'` answers 200, anything else 503. */
  health(): { readonly status: string };
  /**
   * Readiness for `GET /readyz` (`ready: false` answers 503). Default: ready when `health()` is ok.
   * @since 6.1.0
   */
  readiness?(): { readonly ready: boolean; readonly reasons: readonly string[] };
  /**
   * Liveness for `GET /livez` (`live: false` answers 503). Default: always live.
   * @since 6.1.0
   */
  liveness?(): { readonly live: boolean; readonly status: string };
  /** The plugins' routes, served after the host's own. Default: none. @since 6.1.0 */
  readonly routes?: HttpRouteTable;
}

/**
 * Options of {@link AdminServer} (the configuration's `admin` section fits them).
 * @since 6.0.0
 */
export interface AdminServerOptions {
  /** Address to bind; any non-loopback address requires `token`. */
  readonly host: string;
  /** TCP port, `0` for an ephemeral one. */
  readonly port: number;
  /** Bearer token required on every request, or `null` (loopback only). */
  readonly token: string | null;
  /** Largest accepted request body, bytes. */
  readonly maxBodyBytes: number;
  /** What the API serves (the kernel). */
  readonly backend: AdminBackend;
  /** Receives failed requests and subsystems that cannot be described. Default: silent. */
  readonly logger?: Logger;
  /**
   * Answer `GET /livez` and `GET /readyz` without the token and `Host` checks, for probes that
   * cannot send a token (the configuration's `admin.probes.public`). Default `false`.
   * @since 6.1.0
   */
  readonly publicProbes?: boolean;
}

const SOURCE = 'admin API';

/**
 * The admin HTTP API (JSON):
 * - `HEAD` is answered like `GET`, without a body;
 * - `GET /health` — kernel state, plugins, bus (503 unless running);
 * - `GET /subsystems` — every subsystem with limits, backpressure and metrics;
 * - `GET /subsystems/:name` — one subsystem; `GET /subsystems/:name/limits` — its limits in
 *   force (`limits`) and, when the subsystem tells, what was set (`configured`);
 * - `PUT|PATCH /subsystems/:name/limits` — applies a partial `ScalingLimits` body, answers
 *   the limits in force; 400 `{ error: { code, field, value, expected, message } }` on bad
 *   input (any JSON the server can parse: bodies nest at most 32 levels, and `value` echoes at
 *   most an excerpt). `Infinity` is written `"Infinity"` and read back so: what `GET` returns
 *   (`limits` or `configured`) is accepted unchanged;
 * - `GET /subsystems/:name/actions` — the subsystem's operator actions;
 * - `POST /subsystems/:name/actions/:action` — runs one with the JSON body as arguments (e.g.
 *   `POST /subsystems/resilience/actions/trip {"strategyId":"db"}`); 400 on a bad action or
 *   argument, 404 for an unknown strategy;
 * - `GET /livez`, `GET /readyz` — probes (200 or 503), optionally without authentication;
 * - `GET /plugins` — the plugins' routes; then the routes themselves (`backend.routes`), under
 *   `/plugins/<id>/…` or at a top-level path a plugin claimed (e.g. `/metrics`).
 *
 * Every error answer closes the connection (`Connection: close`) without reading the rest of
 * the request body. With a token configured every request needs `Authorization: Bearer <token>` (401 otherwise).
 * Without one, the server only binds a loopback address and only answers requests whose
 * `Host` is a loopback name (a guard against DNS rebinding).
 *
 * @example
 * ```ts
 * const admin = new AdminServer({ host: '127.0.0.1', port: 0, token: null, maxBodyBytes: 65536, backend: kernel });
 * const url = await admin.listenAsync(); // http://127.0.0.1:PORT
 * ```
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class AdminServer {
  private readonly server: Server;
  private readonly logger: Logger;
  private boundUrl: string | undefined;

  /** @throws {@link InvalidConfigurationError} for a non-loopback `host` without a `token`. */
  constructor(private readonly options: AdminServerOptions) {
    if (options.token === null && !isLoopbackAddress(options.host)) {
      throw new InvalidConfigurationError(
        'admin.token',
        null,
        `a bearer token, because admin.host '${options.host}' is not a loopback address`,
      );
    }
    this.logger = options.logger ?? silentLogger;
    this.server = createServer(
      { requestTimeout: 15_000, headersTimeout: 10_000, maxHeaderSize: 16_384 },
      (req, res) => {
        this.handle(req, res).catch((e: unknown) => {
          sendError(res, e, this.logger);
        });
      },
    );
  }

  /** `http://host:port` once listening, else `undefined`. */
  get url(): string | undefined {
    return this.boundUrl;
  }

  /**
   * Starts listening; resolves to the bound URL (the real port when `port` is 0).
   * @throws the listen error (e.g. `EADDRINUSE`).
   */
  listenAsync(): Promise<string> {
    return new Promise((resolve, reject) => {
      const onError = (e: Error): void => reject(e);
      this.server.once('error', onError);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', onError);
        const { address, port } = this.server.address() as AddressInfo;
        this.boundUrl = `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
        resolve(this.boundUrl);
      });
    });
  }

  /**
   * Stops accepting requests and closes open connections, streams included (their requests'
   * signals abort). Idempotent.
   */
  closeAsync(): Promise<void> {
    this.options.backend.routes?.abortAll();
    if (!this.server.listening) return Promise.resolve();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://admin.invalid');
      const parts = url.pathname
        .split('/')
        .filter((p) => p.length > 0)
        .map(decodeSegment);
      const requested = req.method ?? 'GET';
      // HEAD is answered as GET; Node's response then sends the headers without the body.
      const method = requested === 'HEAD' ? 'GET' : requested;
      const { backend } = this.options;
      const probe = parts.length === 1 && (parts[0] === 'livez' || parts[0] === 'readyz');
      const route = probe ? undefined : backend.routes?.match(parts);
      if (route?.entry.public === true && method === 'GET') this.authorizeHost(req);
      else if (!(probe && this.options.publicProbes === true)) this.authorize(req);
      if (probe) {
        allow(method, requested, ['GET']);
        if (parts[0] === 'livez') {
          const live = backend.liveness?.() ?? { live: true, status: 'ok' };
          return send(res, live.live ? 200 : 503, live);
        }
        const ready = backend.readiness?.() ?? readinessFromHealth(backend.health());
        return send(res, ready.ready ? 200 : 503, ready);
      }
      if (parts.length === 1 && parts[0] === 'plugins') {
        allow(method, requested, ['GET']);
        return send(res, 200, { routes: backend.routes?.list() ?? [] });
      }
      if (route !== undefined) {
        allow(method, requested, [...route.entry.methods]);
        return await this.serveRoute(req, res, url, route);
      }
      if (parts.length === 1 && parts[0] === 'health') {
        allow(method, requested, ['GET']);
        const health = backend.health();
        return send(res, health.status === 'ok' ? 200 : 503, health);
      }
      if (parts[0] === 'subsystems') {
        if (parts.length === 1) {
          allow(method, requested, ['GET']);
          return send(res, 200, { subsystems: backend.subsystems.names().map((n) => this.describeForList(n)) });
        }
        const name = parts[1]!;
        if (parts.length === 2) {
          allow(method, requested, ['GET']);
          return send(res, 200, backend.subsystems.describe(name));
        }
        if (parts.length === 3 && parts[2] === 'limits') {
          allow(method, requested, ['GET', 'PUT', 'PATCH']);
          if (method === 'GET') {
            const { limits, configured } = backend.subsystems.describe(name);
            return send(res, 200, { name, limits, ...(configured !== undefined && { configured }) });
          }
          const body = await readJsonBody(req, this.options.maxBodyBytes, { reviver: reviveInfinity });
          const limits = await backend.subsystems.reconfigureAsync(name, body as never, SOURCE);
          const snapshot = backend.subsystems.describe(name);
          return send(res, 200, { name, limits, backpressure: snapshot.backpressure });
        }
        if (parts[2] === 'actions') {
          if (parts.length === 3) {
            allow(method, requested, ['GET']);
            return send(res, 200, { name, actions: backend.subsystems.actions(name) });
          }
          if (parts.length === 4) {
            allow(method, requested, ['POST']);
            const body = await readJsonBody(req, this.options.maxBodyBytes);
            const result = await backend.subsystems.invokeActionAsync(name, parts[3]!, body, SOURCE);
            return send(res, 200, { name, action: parts[3], result });
          }
        }
      }
      throw new HttpError(404, 'ERR_NOT_FOUND', `No route for ${requested} ${url.pathname}`);
    } catch (e) {
      sendError(res, e, this.logger);
    }
  }

  private async serveRoute(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    route: NonNullable<ReturnType<HttpRouteTable['match']>>,
  ): Promise<void> {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > this.options.maxBodyBytes) {
      throw new HttpError(413, 'ERR_BODY_TOO_LARGE', `Request body exceeds ${this.options.maxBodyBytes} bytes`);
    }
    const exchange = routeExchange(req, res, url, route.entry, route.params, this.options.maxBodyBytes);
    try {
      await route.entry.handler(exchange.request, exchange.response);
      if (!res.headersSent) {
        throw new HttpError(
          500,
          'ERR_NO_RESPONSE',
          `Route ${route.entry.pattern} of plugin '${route.entry.owner}' did not answer`,
        );
      }
    } finally {
      exchange.settle();
    }
  }

  /** One subsystem of the listing; one whose snapshot throws (e.g. its metrics) must not fail them all. */
  private describeForList(name: string): unknown {
    try {
      return this.options.backend.subsystems.describe(name);
    } catch (error) {
      this.logger.warn('cannot describe subsystem', { subsystem: name, error });
      return { name, metrics: { error: 'metrics unavailable' } };
    }
  }

  /** A public route: no token needed, but a token-less server still guards against DNS rebinding. */
  private authorizeHost(req: IncomingMessage): void {
    if (this.options.token === null) this.authorize(req);
  }

  private authorize(req: IncomingMessage): void {
    const { token } = this.options;
    if (token === null) {
      const host = hostName(req.headers.host);
      if (host === undefined || !(isLoopbackAddress(host) || host === this.options.host)) {
        throw new HttpError(403, 'ERR_FORBIDDEN_HOST', 'Host header must name a loopback address');
      }
      return;
    }
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (match === null || !tokensEqual(match[1]!, token)) {
      throw new HttpError(401, 'ERR_UNAUTHORIZED', 'A valid bearer token is required', {
        'www-authenticate': 'Bearer realm="dw-host"',
      });
    }
  }
}

function readinessFromHealth(health: { readonly status: string }): { ready: boolean; reasons: string[] } {
  return health.status === 'ok' ? { ready: true, reasons: [] } : { ready: false, reasons: [`host ${health.status}`] };
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, 'ERR_BAD_REQUEST', `Malformed path segment '${segment.slice(0, 40)}'`);
  }
}

function allow(method: string, requested: string, methods: readonly string[]): void {
  if (!methods.includes(method)) {
    throw new HttpError(405, 'ERR_METHOD_NOT_ALLOWED', `Method ${requested} not allowed`, {
      allow: methods.join(', '),
    });
  }
}

function hostName(header: string | undefined): string | undefined {
  if (header === undefined || header.length === 0) return undefined;
  if (header.startsWith('[')) {
    const end = header.indexOf(']');
    return end < 0 ? undefined : header.slice(0, end + 1);
  }
  const colon = header.lastIndexOf(':');
  return colon < 0 ? header : header.slice(0, colon);
}
