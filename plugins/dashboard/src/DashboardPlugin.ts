import { PluginNotInitializedError, ResilienceServiceToken, SdkCompatibility } from '@datawarehouse/sdk';
import type { Disposable, HttpRouteRequest, HttpRouteResponse, IPlugin, PluginContext } from '@datawarehouse/sdk';
import { loadDashboardAssets } from './DashboardAssets.js';
import type { DashboardAsset } from './DashboardAssets.js';
import { resolveDashboardOptions } from './DashboardOptions.js';
import type { ResolvedDashboardOptions } from './DashboardOptions.js';
import { DashboardStream } from './DashboardStream.js';
import { serializeReport } from './computeDelta.js';
import type { SerializedState } from './computeDelta.js';
import { TransitionLog } from './TransitionLog.js';

/** The page's Content-Security-Policy: everything from this server, nothing inline but styles uPlot sets. */
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * A live resilience dashboard served by the host: the page and its assets at
 * `/plugins/dashboard/` (public: they hold no data), and a Server-Sent Events stream at
 * `/plugins/dashboard/events` behind the admin API's authentication — the page asks for the token
 * once, keeps it in `sessionStorage` and sends it as a header, never in a URL. The stream sends a
 * snapshot of the resilience report, then at most one delta a second with only what changed;
 * circuit transitions come from the resilience service's `onCircuitTransition` hook. Operator
 * actions and limit changes go through the admin API's own routes.
 *
 * @example
 * ```json
 * { "module": "@datawarehouse/plugin-dashboard", "options": { "intervalMs": 1000 } }
 * ```
 * @since 6.1.0
 */
@SdkCompatibility('6.0.0')
export class DashboardPlugin implements IPlugin {
  /** The plugin's id: its routes live under `/plugins/dashboard/`. */
  readonly id = 'dashboard';
  /** The plugin's version. */
  readonly version = '6.0.0';
  /** The SDK major it was built for. */
  readonly sdkVersion = '6.0.0';
  /** Started after the resilience plugin, whose service and subsystem it reads. */
  readonly dependencies: readonly string[] = ['ultimate-resilience'];
  /** The resolved options. */
  readonly options: ResolvedDashboardOptions;
  private ctx: PluginContext | undefined;
  private stream: DashboardStream | undefined;
  private assets: ReadonlyMap<string, DashboardAsset> | undefined;
  private readonly registrations: Disposable[] = [];
  private removeHooks: (() => void) | undefined;

  /** @throws `InvalidConfigurationError` naming the bad option and its value. */
  constructor(options: unknown = {}) {
    this.options = resolveDashboardOptions(options);
  }

  /** Path of the page on the admin server. */
  get path(): string {
    return `/plugins/${this.id}/`;
  }

  /** Streams open now. */
  get openStreams(): number {
    return this.stream?.size ?? 0;
  }

  /** Reads the page's files. @throws when a file of the package is missing. */
  async initializeAsync(ctx: PluginContext): Promise<void> {
    this.assets = loadDashboardAssets(`/plugins/${this.id}`);
    this.ctx = ctx;
  }

  /**
   * Subscribes to circuit transitions and adds the routes; logs the page's URL.
   * @throws {@link PluginNotInitializedError} before `initializeAsync`.
   */
  async startAsync(): Promise<void> {
    const ctx = this.ctx;
    if (ctx === undefined) throw new PluginNotInitializedError(this.id, 'startAsync');
    if (this.stream !== undefined) return;
    const log = new TransitionLog(this.options.eventLogSize);
    // Without the service (or a pre-6.1 one without hooks) the tiles still update; the event log stays empty.
    const service = ctx.services.tryResolve(ResilienceServiceToken);
    this.removeHooks = service?.addHooks?.({ onCircuitTransition: (event) => log.record(event) });
    const stream = new DashboardStream({
      read: () => this.read(),
      log,
      clock: ctx.clock,
      intervalMs: this.options.intervalMs,
      maxStreams: this.options.maxStreams,
      nodeId: ctx.nodeId,
      subsystem: this.options.subsystem,
      onError: (error) => ctx.logger.warn('dashboard: cannot read the report', { error: String(error) }),
    });
    this.stream = stream;
    if (ctx.http === undefined) {
      ctx.logger.warn('dashboard: the host serves no HTTP routes, nothing to show');
      return;
    }
    const http = ctx.http;
    this.registrations.push(
      http.register({
        method: 'GET',
        path: '/',
        public: true,
        description: 'dashboard page',
        handler: (q, r) => this.page(q, r),
      }),
      http.register({
        method: 'GET',
        path: '/assets/*',
        public: true,
        description: 'dashboard assets',
        handler: (q, r) => this.asset(q, r),
      }),
      http.register({
        method: 'GET',
        path: '/events',
        description: 'dashboard updates, Server-Sent Events',
        handler: (req, res) => this.events(req, res),
      }),
    );
    ctx.logger.info('dashboard ready', { path: this.path, strategiesSubsystem: this.options.subsystem });
  }

  /** Ends the open streams, removes the routes and the hook. */
  async stopAsync(): Promise<void> {
    this.stream?.close();
    this.stream = undefined;
    for (const r of this.registrations.splice(0)) r.dispose();
    this.removeHooks?.();
    this.removeHooks = undefined;
  }

  private read(): SerializedState {
    const subsystem = this.ctx!.subsystems.get(this.options.subsystem);
    return serializeReport(subsystem?.getScalingMetrics());
  }

  private page(_req: HttpRouteRequest, res: HttpRouteResponse): void {
    const page = this.assets!.get('index.html')!;
    res.send(200, page.body, {
      'content-type': page.contentType,
      'content-security-policy': CSP,
      'referrer-policy': 'no-referrer',
    });
  }

  private asset(req: HttpRouteRequest, res: HttpRouteResponse): void {
    const asset = this.assets!.get(req.params['*'] ?? '');
    if (asset === undefined) {
      res.json(404, {
        error: { code: 'ERR_NOT_FOUND', message: `No dashboard asset '${String(req.params['*']).slice(0, 80)}'` },
      });
      return;
    }
    res.send(200, asset.body, { 'content-type': asset.contentType, 'cache-control': 'no-cache' });
  }

  private events(req: HttpRouteRequest, res: HttpRouteResponse): void {
    const stream = this.stream;
    if (stream === undefined)
      throw Object.assign(new Error('The dashboard is stopped'), { status: 503, code: 'ERR_NOT_RUNNING' });
    stream.open(
      () => res.stream(200, { 'content-type': 'text/event-stream; charset=utf-8', 'x-accel-buffering': 'no' }),
      req.signal,
    );
  }
}
